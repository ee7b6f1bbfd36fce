"""The tools that change files: edit (exact-string replace) and write (create or overwrite).

``edit`` follows Claude Code's Edit: ``old_string`` must occur exactly once unless
``replace_all``, and the file keeps its encoding (UTF-8, with or without a byte-order
mark) and its newlines (a file that uses CRLF throughout is matched and written back with
CRLF, so the model may send plain ``\\n``). Both tools write atomically: a temporary file
in the same directory, given the old file's permissions, then :func:`os.replace`, so a
crash or a cancelled call never leaves half a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from anyio import to_thread

from ...errors import ToolError
from ._files import BINARY_PROBE, MAX_LINE_CHARS, stat_target
from ._workspace import Workspace

__all__ = ["atomic_write", "edit_file", "write_file"]

_BOM = b"\xef\xbb\xbf"

_SNIPPET_CONTEXT = 3
"""Lines shown before and after the edited region in edit's answer."""

_SNIPPET_MAX_LINES = 40


async def edit_file(
    ws: Workspace, path: str, old_string: str, new_string: str, replace_all: bool = False
) -> str:
    """Replace exact text in an existing file in the workspace.

    `old_string` must match the file exactly, whitespace and indentation included
    (copy it from read's output without the line-number prefix), and must occur exactly
    once unless `replace_all` is set: include enough surrounding lines to make it
    unique. Read the file before editing it. To create a file use write.

    Args:
        path: The file to change, relative to the workspace root.
        old_string: The exact text to replace.
        new_string: The text to put in its place (must differ from old_string).
        replace_all: Replace every occurrence of old_string instead of exactly one.
    """
    if not old_string:
        raise ToolError("old_string is empty: give the exact text to replace, or use write "
                        "to create a file")
    if old_string == new_string:
        raise ToolError("old_string and new_string are the same: nothing would change")
    return await to_thread.run_sync(_edit, ws, path, old_string, new_string, replace_all)


def _edit(ws: Workspace, path: str, old: str, new: str, replace_all: bool) -> str:
    target = ws.resolve(path, for_write=True)
    if not target.exists():
        raise ToolError(f"{path!r} does not exist: use write to create a new file")
    info = stat_target(path, target)
    if not stat.S_ISREG(info.st_mode):
        raise ToolError(f"{path!r} is not a regular file: edit changes text files only")
    data = _read_bytes(path, target)
    bom = _BOM if data.startswith(_BOM) else b""
    if b"\0" in data[:BINARY_PROBE]:
        raise ToolError(f"{path!r} is a binary file: edit changes text files only")
    try:
        text = data[len(bom):].decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"{path!r} is not UTF-8 text, so edit cannot change it safely") from None
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    if crlf:
        text, old, new = (s.replace("\r\n", "\n") for s in (text, old, new))
    count = text.count(old)
    if count == 0:
        raise ToolError(f"old_string was not found in {path!r}: read the file and copy the "
                        "text exactly, including whitespace and indentation")
    if count > 1 and not replace_all:
        raise ToolError(f"old_string occurs {count} times in {path!r}: include more "
                        "surrounding lines to make it unique, or set replace_all to replace "
                        "every occurrence")
    start = text.find(old)
    result = text.replace(old, new) if replace_all else text.replace(old, new, 1)
    encoded = (result.replace("\n", "\r\n") if crlf else result)
    atomic_write(path, target, bom + _encode(encoded), stat.S_IMODE(info.st_mode))
    replaced = f"{count} occurrences" if replace_all and count > 1 else "1 occurrence"
    return (f"Edited {ws.relative(target)}: replaced {replaced}. The edited region "
            f"(cat -n):\n{_snippet(result, start, len(new))}")


def _snippet(text: str, start: int, length: int) -> str:
    """``cat -n`` lines around ``text[start:start + length]``, a few lines of context."""
    lines = text.removesuffix("\n").split("\n")
    first = text.count("\n", 0, start)
    end = start + length - text.endswith("\n", start, start + length)  # a closing newline
    last = first + text.count("\n", start, end)
    low = max(first - _SNIPPET_CONTEXT, 0)
    high = min(last + _SNIPPET_CONTEXT + 1, len(lines), low + _SNIPPET_MAX_LINES)
    return "\n".join(f"{n + 1:>6}\t{lines[n][:MAX_LINE_CHARS]}" for n in range(low, high))


async def write_file(ws: Workspace, path: str, content: str) -> str:
    """Create a file in the workspace, or replace an existing file's whole content.

    Missing parent directories are created. Prefer edit for changing part of an
    existing file; read a file before overwriting it.

    Args:
        path: The file to write, relative to the workspace root.
        content: The complete new content of the file.
    """
    return await to_thread.run_sync(_write, ws, path, content)


def _write(ws: Workspace, path: str, content: str) -> str:
    target = ws.resolve(path, for_write=True)
    data = _encode(content)
    mode: int | None = None
    existed = target.exists()
    if existed:
        info = stat_target(path, target)
        if stat.S_ISDIR(info.st_mode):
            raise ToolError(f"{path!r} is a directory: give a file path to write")
        if not stat.S_ISREG(info.st_mode):
            raise ToolError(f"{path!r} is not a regular file and cannot be overwritten")
        mode = stat.S_IMODE(info.st_mode)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ToolError(f"cannot create the directory for {path!r}: "
                        f"{exc.strerror or exc}") from None
    atomic_write(path, target, data, mode)
    lines = content.count("\n") + (0 if content.endswith("\n") or not content else 1)
    verb = "Overwrote" if existed else "Created"
    return f"{verb} {ws.relative(target)} ({lines:,} lines, {len(data):,} bytes)"


def _read_bytes(path: str, target: Path) -> bytes:
    try:
        return target.read_bytes()
    except OSError as exc:
        raise ToolError(f"cannot read {path!r}: {exc.strerror or exc}") from None


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ToolError(f"the text cannot be written as UTF-8 ({exc.reason} at index "
                        f"{exc.start}): remove lone surrogate characters") from None


def atomic_write(path: str, target: Path, data: bytes, mode: int | None) -> None:
    """Replace ``target`` with ``data`` atomically; ``mode`` None means a new file's default.

    Raises:
        ToolError: the file cannot be written (``path`` is how the model named it).
    """
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:200]}.",
                                   suffix=".tmp")
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise ToolError(f"cannot write {path!r}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _umask() -> int:
    """The process umask, read without setting it (``os.umask`` would race other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022
