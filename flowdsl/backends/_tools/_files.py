"""The read-only file tools: read (``cat -n``), list (one directory) and glob (``**``).

Modelled on Claude Code's Read and Glob: ``read`` numbers lines like ``cat -n``, reads
2,000 lines unless told a range, refuses binary files and, without a range, files over
10 MiB; ``glob`` lists files newest first. Every result is capped at
``Workspace.max_read_chars`` with a marker saying how to get the rest. The file system is
touched only in worker threads.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

import anyio
from anyio import to_thread

from ...errors import ToolError
from ._globs import compile_glob
from ._workspace import Workspace, cap_text, printable, walk_files

__all__ = ["SEARCH_SECONDS", "glob_files", "list_dir", "read_file", "stat_target"]

DEFAULT_LIMIT = 2000
"""Lines ``read`` returns when not given a ``limit``."""

MAX_LINE_CHARS = 2000
"""Characters of one line ``read`` shows; the rest is cut with a marker."""

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Files larger than this are read only in ranges."""

BINARY_PROBE = 8192
"""Bytes at the start of a file searched for a NUL to call it binary."""

MAX_ENTRIES = 1000
"""Entries ``list`` and ``glob`` return; the rest are counted in a marker."""

SEARCH_SECONDS = 120.0
"""How long one glob or grep may walk the tree before it is stopped."""


async def read_file(
    ws: Workspace, path: str, offset: int | None = None, limit: int | None = None
) -> str:
    """Read a text file in the workspace; lines come numbered like `cat -n` (number, tab, text).

    Reads the first 2000 lines unless given a range; for long files read on with
    `offset`. Lines longer than 2000 characters are cut. Binary files are refused.

    Args:
        path: The file to read, relative to the workspace root (an absolute path inside
            the workspace also works).
        offset: The line number to start reading at (1 is the first line). Omit to start
            at the beginning.
        limit: How many lines to read (default 2000).
    """
    if offset is not None and offset < 0:
        raise ToolError(f"offset must be a line number of 1 or more, got {offset}")
    if limit is not None and limit < 1:
        raise ToolError(f"limit must be 1 or more lines, got {limit}")
    first = max(offset or 1, 1)
    count = limit or DEFAULT_LIMIT
    ranged = offset is not None or limit is not None
    return await to_thread.run_sync(_read, ws, path, first, count, ranged)


def stat_target(path: str, target: Path) -> os.stat_result:
    """``target``'s stat (following links), or a ToolError the model can act on."""
    try:
        return target.stat()
    except FileNotFoundError:
        raise ToolError(f"{path!r} does not exist: check the name with list or glob") from None
    except OSError as exc:
        raise ToolError(f"cannot access {path!r}: {exc.strerror or exc}") from None


def _read(ws: Workspace, path: str, first: int, count: int, ranged: bool) -> str:
    target = ws.resolve(path)
    info = stat_target(path, target)
    if stat.S_ISDIR(info.st_mode):
        raise ToolError(f"{path!r} is a directory: use list to see its entries")
    if not stat.S_ISREG(info.st_mode):
        raise ToolError(f"{path!r} is not a regular file and cannot be read")
    if info.st_size > MAX_FILE_BYTES and not ranged:
        raise ToolError(
            f"{path!r} is {info.st_size:,} bytes, over the {MAX_FILE_BYTES:,}-byte cap for a "
            "whole read: read a range with offset and limit, or search it with grep"
        )
    try:
        with target.open("rb") as stream:
            if b"\0" in stream.read(BINARY_PROBE):
                raise ToolError(f"{path!r} is a binary file (it contains NUL bytes): not shown")
            stream.seek(0)
            return _numbered(ws, path, stream, first, count)
    except OSError as exc:
        raise ToolError(f"cannot read {path!r}: {exc.strerror or exc}") from None


def _numbered(ws: Workspace, path: str, stream: BinaryIO, first: int, count: int) -> str:
    """The ``cat -n`` lines of the range, within ``max_read_chars`` plus a closing marker."""
    out: list[str] = []
    size = 0
    number = 0
    marker = ""
    for number, raw in enumerate(stream, 1):
        if number < first:
            continue
        if len(out) == count:
            marker = f"[more lines follow: read on with offset={number}]"
            break
        line = f"{number:>6}\t{_decode(path, raw, number)}"
        size += len(line) + 1
        if size > ws.max_read_chars and out:
            marker = (f"[output cut at {ws.max_read_chars:,} characters: read on with "
                      f"offset={number}]")
            break
        out.append(line)
    if not out:
        if number == 0:
            return "[the file is empty]"
        raise ToolError(f"offset {first} is past the end of {path!r}, which has {number} "
                        "lines: use a smaller offset")
    body = cap_text("\n".join(out), ws.max_read_chars, "read a smaller range with limit")
    return f"{body}\n{marker}" if marker else body


def _decode(path: str, raw: bytes, number: int) -> str:
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"{path!r} is a binary file (line {number} is not UTF-8 text): "
                        "not shown") from None
    text = text.removesuffix("\n").removesuffix("\r")
    if len(text) > MAX_LINE_CHARS:
        return (f"{text[:MAX_LINE_CHARS]} [... line cut at {MAX_LINE_CHARS:,} of "
                f"{len(text):,} characters]")
    return text


async def list_dir(ws: Workspace, path: str = ".") -> str:
    """List the entries of one directory in the workspace, sorted by name.

    Directories end with `/` and symbolic links with `@`. Hidden entries are
    included. To find files deeper down use glob.

    Args:
        path: The directory to list, relative to the workspace root (default: the root).
    """
    return await to_thread.run_sync(_list, ws, path)


def _list(ws: Workspace, path: str) -> str:
    target = ws.resolve(path)
    info = stat_target(path, target)
    if not stat.S_ISDIR(info.st_mode):
        raise ToolError(f"{path!r} is a file, not a directory: use read to see its contents")
    try:
        with os.scandir(target) as entries:
            names = sorted(_entry_name(entry) for entry in entries)
    except OSError as exc:
        raise ToolError(f"cannot list {path!r}: {exc.strerror or exc}") from None
    if not names:
        return "[empty directory]"
    shown = names[:MAX_ENTRIES]
    if len(names) > MAX_ENTRIES:
        shown.append(f"[{len(names) - MAX_ENTRIES:,} more entries cut: use glob with a "
                     "pattern to find specific files]")
    return cap_text("\n".join(shown), ws.max_read_chars,
                    "use glob with a pattern to find specific files")


def _entry_name(entry: os.DirEntry[str]) -> str:
    name = printable(entry.name)
    if entry.is_symlink():
        return name + "@"
    if entry.is_dir(follow_symlinks=False):
        return name + "/"
    return name


async def glob_files(ws: Workspace, pattern: str, path: str = ".") -> str:
    """Find files by name pattern, such as `**/*.py` or `src/**/test_*.{ts,tsx}`.

    Returns matching file paths relative to the workspace root, most recently modified
    first. `**` spans any number of directories; `*` and `?` stay within one name,
    so `*.py` matches only files directly in `path`. `.git` is skipped.

    Args:
        pattern: The glob pattern, relative to `path`.
        path: The directory to search in, relative to the workspace root (default: the
            root).
    """
    if not pattern or ".." in pattern.split("/"):
        raise ToolError(f"glob pattern {pattern!r} must be a non-empty pattern without '..': "
                        "pass the directory to search as path")
    try:
        with anyio.fail_after(SEARCH_SECONDS):
            return await to_thread.run_sync(_glob, ws, pattern, path)
    except TimeoutError:
        raise ToolError(f"glob took longer than {SEARCH_SECONDS:g} s: narrow the pattern "
                        "or path") from None


def _glob(ws: Workspace, pattern: str, path: str) -> str:
    base = ws.resolve(path)
    if not stat.S_ISDIR(stat_target(path, base).st_mode):
        raise ToolError(f"{path!r} is a file, not a directory: pass the directory to search")
    glob = compile_glob(pattern)
    skip = len(base.relative_to(ws.root).parts)
    found: list[tuple[float, str]] = []
    for file in walk_files(ws, base, prune=lambda parts: glob.may_contain(parts[skip:]),
                           file_links=True):
        if glob.matches(file.relative_to(base).as_posix()):
            found.append((_mtime(file), ws.relative(file)))
    if not found:
        return "No files found"
    found.sort(key=lambda item: (-item[0], item[1]))
    lines = [name for _, name in found[:MAX_ENTRIES]]
    if len(found) > MAX_ENTRIES:
        lines.append(f"[{len(found) - MAX_ENTRIES:,} more results cut: narrow the pattern "
                     "or path]")
    return cap_text("\n".join(lines), ws.max_read_chars, "narrow the pattern or path")


def _mtime(file: Path) -> float:
    try:
        return file.stat().st_mtime
    except OSError:
        return 0.0
