"""Positions in the Python form -> positions in the script the user wrote.

A transpiled script (JavaScript) is compiled and run as Python; every message that
names a position (syntax errors, sandbox violations, run-time errors) maps its Python
line back through one :class:`LineMap`.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping

__all__ = ["LineMap"]


class LineMap:
    """Python line -> (line, column) in the original source, for the lines that start a
    statement; any line in between maps to the nearest entry at or before it."""

    __slots__ = ("_lines", "_positions")

    def __init__(self, entries: Mapping[int, tuple[int, int]]) -> None:
        self._lines = sorted(entries)
        self._positions = [entries[line] for line in self._lines]

    def lookup(self, line: int, column: int | None = None) -> tuple[int, int | None]:
        """The original position of ``line``; ``(line, column)`` when nothing maps it.

        Args:
            line: a 1-based line of the Python form.
            column: the column to report when the line precedes every entry.
        """
        index = bisect.bisect_right(self._lines, line) - 1
        if index < 0:
            return line, column
        return self._positions[index]

    def as_dict(self) -> dict[int, tuple[int, int]]:
        """The entries, for storage (``LineMap(m.as_dict()) == m``)."""
        return dict(zip(self._lines, self._positions, strict=True))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LineMap):
            return NotImplemented
        return self._lines == other._lines and self._positions == other._positions

    def __hash__(self) -> int:
        return hash((tuple(self._lines), tuple(self._positions)))

    def __repr__(self) -> str:
        return f"LineMap({len(self._lines)} entries)"
