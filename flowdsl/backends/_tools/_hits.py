"""What a grep engine finds, in one shape for both (ripgrep and the Python fallback).

Each engine returns :class:`Found`; :mod:`._grep` alone sorts, limits and renders it, so
the two cannot disagree on format. Shared rules: every file under the search path except
``.git`` is searched (``.gitignore`` is not consulted, so results do not depend on
whether ripgrep is installed); symlinks met while walking are not followed; a file
holding a NUL byte is binary and left out; lines end at ``\\n``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["MAX_COLLECTED", "FileHits", "Found", "Line", "Query"]

MAX_COLLECTED = 50_000
"""What an engine collects before it stops searching: lines (matches plus context) for
``content`` queries, files for the others."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    pattern: str
    ignore_case: bool
    context: int
    glob: str | None
    target: Path
    """The resolved file or directory searched."""
    content: bool
    """Keep the lines' text and count :data:`MAX_COLLECTED` in lines (else: no text, files)."""


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    text: str
    """The line without its ``\\n`` (a ``\\r`` before it is kept, as ripgrep keeps it)."""
    match: bool
    """False for a context line."""


@dataclass(frozen=True, slots=True)
class FileHits:
    path: str
    """Relative to the workspace root, ``/``-separated."""
    lines: tuple[Line, ...]

    @property
    def count(self) -> int:
        return sum(line.match for line in self.lines)


@dataclass(frozen=True, slots=True)
class Found:
    files: tuple[FileHits, ...]
    complete: bool
    """False when the engine stopped at :data:`MAX_COLLECTED`."""
