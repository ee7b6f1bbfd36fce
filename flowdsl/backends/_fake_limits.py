"""Caps shared by both fake-value generators: what a script's schema may make them build.

Schemas come from scripts, so what a schema asks for is capped rather than allocated
(``minItems: 10**9`` is a :class:`~flowdsl.errors.BackendError`, not a billion items).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import BackendError

__all__ = [
    "MAX_FAKE_DEPTH",
    "MAX_FAKE_ITEMS",
    "MAX_FAKE_MAGNITUDE",
    "MAX_FAKE_STRING",
    "MAX_FAKE_TOTAL_CHARS",
    "MAX_FAKE_VALUES",
    "Budget",
    "is_number",
    "refuse",
]

MAX_FAKE_ITEMS = 1000
"""Longest array made for one ``minItems``."""
MAX_FAKE_STRING = 100_000
"""Longest string made for one ``minLength``."""
MAX_FAKE_VALUES = 100_000
"""Most values (scalars and containers) in one fake value."""
MAX_FAKE_TOTAL_CHARS = 4_000_000
"""Most string characters in one fake value."""
MAX_FAKE_DEPTH = 64
"""Deepest schema nesting followed (properties, items and combinators each count one)."""
MAX_FAKE_MAGNITUDE = 10**308
"""Largest ``minimum``/``maximum`` (in absolute value) a fake number is drawn between."""


def refuse(why: str) -> BackendError:
    """The error for a schema that asks for more than a fake value may hold."""
    return BackendError(f"cannot make a fake value for this schema: {why}")


def is_number(value: Any) -> bool:
    """A JSON number (``bool`` is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class Budget:
    """What one ``fake_value`` call may still make (mutable, private to that call)."""

    values: int = MAX_FAKE_VALUES
    chars: int = MAX_FAKE_TOTAL_CHARS

    def reserve(self, values: int) -> None:
        """Refuse now what would exceed the budget later (before making anything)."""
        if values > self.values:
            raise refuse(f"it would hold more than {MAX_FAKE_VALUES:,} values")

    def take(self, values: int = 1, chars: int = 0) -> None:
        """Spend ``values`` and ``chars``; refuse once either runs out."""
        self.values -= values
        self.chars -= chars
        if self.values < 0:
            raise refuse(f"it would hold more than {MAX_FAKE_VALUES:,} values")
        if self.chars < 0:
            raise refuse(f"its strings would hold more than {MAX_FAKE_TOTAL_CHARS:,} characters")
