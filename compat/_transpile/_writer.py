"""The Python text being produced, with its line map back to the JS source."""

from __future__ import annotations

__all__ = ["Writer"]


class Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.line_map: dict[int, tuple[int, int]] = {}
        self.indent = 0
        self.position = (1, 1)
        self._last: tuple[int, int] | None = None

    def line(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)
        number = len(self.lines)
        if self.position != self._last:
            self.line_map[number] = self.position
            self._last = self.position

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"
