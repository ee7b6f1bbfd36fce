"""Tokens and money: :class:`Usage`, of one agent or a whole run.

A module of its own (re-exported by :mod:`._types`): the store's run rows carry a usage,
and ``flowdsl runs list`` loads this, not every value type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._frozen import fast_frozen_init

if TYPE_CHECKING:
    from ._types import JSONValue

__all__ = ["Usage"]


@fast_frozen_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """Tokens and money one agent (or a whole run) consumed, as the backend reported."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    """The cost of the priced tokens; the whole cost only when :attr:`cost_complete`."""
    estimated: bool = False
    """True when the backend did not report usage and the figures are an estimate."""
    unpriced_tokens: int = 0
    """Tokens of responses whose model has no known price (and no reported cost): their
    cost is unknown, never $0."""

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def cost_complete(self) -> bool:
        """True when every token was priced, so ``cost_usd`` is the whole cost."""
        return self.unpriced_tokens == 0

    def known_cost(self) -> float | None:
        """``cost_usd``, or None when nothing was priced and some tokens were not."""
        if self.unpriced_tokens and self.unpriced_tokens >= self.total_tokens:
            return None
        return self.cost_usd

    def to_json(self) -> dict[str, JSONValue]:
        """The ``usage`` object of every ``--json`` output."""
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cost_usd": self.known_cost(), "cost_complete": self.cost_complete,
                "unpriced_tokens": self.unpriced_tokens}

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            estimated=self.estimated or other.estimated,
            unpriced_tokens=self.unpriced_tokens + other.unpriced_tokens,
        )
