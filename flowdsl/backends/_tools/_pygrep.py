"""The grep engine used when ripgrep is not installed: :mod:`re` over a tree walk.

Runs in a worker thread (:func:`search`) and checks for cancellation per file and every
few thousand lines. It follows ripgrep's rules (see :mod:`._hits`), including its
``--glob`` semantics: a glob without ``/`` matches a file's name at any depth, one with
``/`` its path from the workspace root; a leading ``!`` excludes, and an excluding glob
that matches a directory skips all of it; an explicitly named file is searched whatever
the glob. Python's ``re`` backtracks, and a thread cannot be interrupted mid-match, so
patterns shaped for catastrophic backtracking are refused (:mod:`flowdsl._regex_safety`).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from anyio import from_thread

from ..._regex_safety import BACKTRACKING_HINT, backtracks_catastrophically
from ...errors import ToolError
from ._globs import Glob, compile_glob
from ._hits import MAX_COLLECTED, FileHits, Found, Line, Query
from ._workspace import Workspace, walk_files

__all__ = ["search"]

_CHECK_LINES = 4096
"""Lines searched between two cancellation checks."""


@dataclass(frozen=True, slots=True)
class _GlobFilter:
    glob: Glob
    by_path: bool
    """Match the path from the root (the glob has a ``/``), else the name."""
    exclude: bool

    @classmethod
    def parse(cls, text: str) -> _GlobFilter:
        exclude = text.startswith("!")
        body = text[1:] if exclude else text
        return cls(compile_glob(body), "/" in body.strip("/"), exclude)

    def _matches(self, relative: str) -> bool:
        return self.glob.matches(relative if self.by_path else relative.rsplit("/", 1)[-1])

    def wants_file(self, relative: str) -> bool:
        return self._matches(relative) != self.exclude

    def wants_dir(self, relative: str) -> bool:
        return not (self.exclude and self._matches(relative))


def search(ws: Workspace, query: Query) -> Found:
    """Search the query's target (call from a worker thread).

    Raises:
        ToolError: the pattern is not a valid Python regex, or is shaped to backtrack
            catastrophically.
    """
    regex = _compile(query.pattern, query.ignore_case)
    found: list[FileHits] = []
    collected = 0
    for path in _files(ws, query):
        from_thread.check_cancelled()
        lines = _search_file(path, regex, query.context, query.content)
        if lines:
            found.append(FileHits(ws.relative(path), lines))
            collected += len(lines) if query.content else 1
            if collected >= MAX_COLLECTED:
                return Found(tuple(found), complete=False)
    return Found(tuple(found), complete=True)


def _compile(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    flags = re.IGNORECASE if ignore_case else 0
    try:
        regex = re.compile(pattern, flags)
        catastrophic = backtracks_catastrophically(pattern, flags)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ToolError(f"invalid regex {pattern!r}: {exc}; fix the pattern (escape special "
                        "characters like ( [ . * with a backslash)") from None
    if catastrophic:
        raise ToolError(f"regex {pattern!r} refused: {BACKTRACKING_HINT}")
    return regex


def _files(ws: Workspace, query: Query) -> Iterable[Path]:
    if not query.target.is_dir():
        return [query.target]
    glob = _GlobFilter.parse(query.glob) if query.glob else None
    if glob is None:
        return walk_files(ws, query.target)
    return (
        path
        for path in walk_files(ws, query.target,
                               prune=lambda parts: glob.wants_dir("/".join(parts)))
        if glob.wants_file(ws.relative(path))
    )


def _search_file(
    path: Path, regex: re.Pattern[str], context: int, keep_text: bool
) -> tuple[Line, ...]:
    """Matching lines of one file with their context; () for a binary or unreadable file."""
    out: list[Line] = []
    before: deque[Line] = deque(maxlen=context or None)
    after = 0
    try:
        with path.open("rb") as stream:
            for number, raw in enumerate(stream, 1):
                if b"\0" in raw:
                    return ()
                if number % _CHECK_LINES == 0:
                    from_thread.check_cancelled()
                text = raw.removesuffix(b"\n").decode("utf-8", "replace")
                if regex.search(text):
                    out.extend(before)
                    before.clear()
                    out.append(Line(number, text if keep_text else "", True))
                    after = context
                elif after:
                    out.append(Line(number, text, False))
                    after -= 1
                elif context:
                    before.append(Line(number, text, False))
    except OSError:
        return ()
    return tuple(out)
