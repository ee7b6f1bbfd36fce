"""The grep tool: validate the call, pick an engine, render what it found.

ripgrep (:mod:`._rg`) when ``rg`` is on PATH at call time, else the Python engine
(:mod:`._pygrep`) in a worker thread. Both return :class:`._hits.Found`; sorting, output
modes, ``head_limit`` and the character cap happen here, once, so the tool answers the
same whichever engine ran. As in Claude Code, ``files_with_matches`` lists files most
recently modified first; ``content`` and ``count`` are in path order.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import anyio
from anyio import to_thread

from ...errors import ToolError
from . import _pygrep, _rg
from ._files import MAX_LINE_CHARS, SEARCH_SECONDS, stat_target
from ._hits import MAX_COLLECTED, FileHits, Found, Query
from ._workspace import Workspace, cap_text

__all__ = ["OUTPUT_MODES", "grep"]

OUTPUT_MODES = ("files_with_matches", "content", "count")

MAX_CONTEXT = 50
"""Most context lines a call may ask for on each side of a match."""


async def grep(
    ws: Workspace,
    pattern: str,
    path: str = ".",
    glob: str | None = None,
    ignore_case: bool = False,
    output_mode: str = "files_with_matches",
    context: int = 0,
    head_limit: int | None = None,
) -> str:
    """Search file contents with a regular expression, like `grep -r` (ripgrep syntax).

    Searches every file under `path` except `.git` and binary files, line by line.
    Paths in the result are relative to the workspace root. `output_mode` chooses
    the result: `files_with_matches` (default) lists matching files, most recently
    modified first; `content` shows matching lines as `path:line:text` (context
    lines as `path-line-text`, groups separated by `--`); `count` shows
    `path:count` of matching lines.

    Args:
        pattern: The regular expression to search for, e.g. `def \\w+_test` or
            `TODO|FIXME`. Escape literal `( ) [ ] { } . * + ?` with a backslash.
        path: The file or directory to search, relative to the workspace root
            (default: the whole workspace).
        glob: Only search files matching this glob: `*.py` or `*.{ts,tsx}` match
            file names at any depth; a glob with `/` such as `src/**/*.py` matches
            paths from the workspace root; a leading `!` excludes (`!tests/**`).
        ignore_case: Match letters regardless of case.
        output_mode: `files_with_matches`, `content` or `count`.
        context: Lines of context to show before and after each match (`content` mode
            only).
        head_limit: Return only the first N lines or entries of the result.
    """
    if output_mode not in OUTPUT_MODES:
        raise ToolError(f"output_mode {output_mode!r} is not one of "
                        f"{', '.join(OUTPUT_MODES)}: pick one of those")
    if not 0 <= context <= MAX_CONTEXT:
        raise ToolError(f"context must be between 0 and {MAX_CONTEXT} lines, got {context}")
    if "\0" in pattern or (glob and "\0" in glob):
        raise ToolError("the pattern or glob contains a NUL character: binary files are not "
                        "searched, so search for text")
    if head_limit is not None and head_limit < 0:
        raise ToolError(f"head_limit must be 0 (no limit) or more, got {head_limit}")
    target = await to_thread.run_sync(_target, ws, path)
    content = output_mode == "content"
    query = Query(pattern=pattern, ignore_case=ignore_case, glob=glob or None, target=target,
                  context=context if content else 0, content=content)
    rg = shutil.which("rg")
    try:
        with anyio.fail_after(SEARCH_SECONDS):
            if rg is not None:
                found = await _rg.search(rg, ws, query)
            else:
                found = await to_thread.run_sync(_pygrep.search, ws, query)
    except TimeoutError:
        raise ToolError(f"grep took longer than {SEARCH_SECONDS:g} s: narrow the path or "
                        "glob") from None
    return await to_thread.run_sync(_render, ws, found, output_mode, context > 0,
                                    head_limit or None)


def _target(ws: Workspace, path: str) -> Path:
    target = ws.resolve(path)
    mode = stat_target(path, target).st_mode
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise ToolError(f"{path!r} is not a regular file or directory and cannot be searched")
    return target


def _render(
    ws: Workspace, found: Found, mode: str, separate: bool, head_limit: int | None
) -> str:
    if not found.files:
        lines = ["No matches found"]
    elif mode == "files_with_matches":
        lines = [hits.path for hits in _newest_first(ws, found.files)]
    elif mode == "count":
        lines = [f"{hits.path}:{hits.count}" for hits in _by_path(found.files)]
    else:
        lines = _content(_by_path(found.files), separate)
    if head_limit is not None and len(lines) > head_limit:
        cut = len(lines) - head_limit
        lines = [*lines[:head_limit], f"[{cut:,} more lines cut by head_limit={head_limit}]"]
    if not found.complete:
        unit = "lines" if mode == "content" else "files"
        lines.append(f"[search stopped after {MAX_COLLECTED:,} {unit}: results are "
                     "incomplete; narrow the pattern, path or glob]")
    return cap_text("\n".join(lines), ws.max_read_chars,
                    "narrow the path or glob, or pass head_limit")


def _by_path(files: tuple[FileHits, ...]) -> list[FileHits]:
    return sorted(files, key=lambda hits: hits.path)


def _newest_first(ws: Workspace, files: tuple[FileHits, ...]) -> list[FileHits]:
    def mtime(hits: FileHits) -> float:
        try:
            return (ws.root / hits.path).stat().st_mtime
        except OSError:
            return 0.0

    return sorted(files, key=lambda hits: (-mtime(hits), hits.path))


def _content(files: list[FileHits], separate: bool) -> list[str]:
    """``path:n:text`` lines; with ``separate``, ``--`` between groups not adjacent."""
    out: list[str] = []
    for hits in files:
        previous: int | None = None
        for line in hits.lines:
            if separate and out and (previous is None or line.number != previous + 1):
                out.append("--")
            sep = ":" if line.match else "-"
            text = line.text.removesuffix("\r")
            if len(text) > MAX_LINE_CHARS:
                text = f"{text[:MAX_LINE_CHARS]} [... line cut at {MAX_LINE_CHARS:,} characters]"
            out.append(f"{hits.path}{sep}{line.number}{sep}{text}")
            previous = line.number
    return out
