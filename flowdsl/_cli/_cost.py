"""How the CLI prints a cost: known, unknown, or a known part plus an unknown one.

A model with no known price leaves its tokens unpriced (``Usage.unpriced_tokens``); the
CLI never prints their cost as $0.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._types import AgentRecord, Usage

__all__ = ["format_cost", "unpriced_models"]


def format_cost(usage: Usage, models: Iterable[str] = ()) -> str:
    """``$0.1234``; ``unknown (no price for model X)``; or ``$0.1234 + unknown (...)``.

    Args:
        usage: the usage to describe.
        models: the names of the unpriced models, when known.
    """
    if usage.cost_complete:
        return f"${usage.cost_usd:.4f}"
    names = ", ".join(sorted(set(models)))
    known = usage.known_cost()
    if known is None:
        return f"unknown (no price for model {names})" if names else "unknown (no price)"
    which = f"unpriced models: {names}" if names else "unpriced models"
    return f"${known:.4f} + unknown ({usage.unpriced_tokens:,} tokens of {which})"


def unpriced_models(records: Iterable[AgentRecord]) -> list[str]:
    """The models named by agents some of whose tokens were not priced."""
    return sorted({r.request.model for r in records
                   if r.usage.unpriced_tokens and r.request.model})
