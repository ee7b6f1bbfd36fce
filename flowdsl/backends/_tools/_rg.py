"""The grep engine used when ripgrep is on PATH: ``rg --json``, parsed as it streams.

ripgrep runs with ``--no-config`` (no ``RIPGREP_CONFIG_PATH`` from the user),
``--no-ignore --hidden`` and ``--glob !.git`` (every file but ``.git``, as the Python
engine searches), ``--encoding none`` (no BOM sniffing: a UTF-16 file holds NULs and
is binary to both engines) and without ``--follow``, so a symlink met while walking is
never followed out of the workspace. It runs in the workspace root on a path relative to
it, so the paths it prints are already relative to the root. Files whose ``end`` message
reports a ``binary_offset`` are dropped (ripgrep stops reading at the NUL; the Python
engine leaves such files out entirely). The child lives in its own process group,
ended on return, early stop and cancellation (:mod:`._proc`).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ...errors import ToolError
from ._hits import MAX_COLLECTED, FileHits, Found, Line, Query
from ._proc import minimal_env, run_streaming
from ._workspace import Workspace

__all__ = ["search"]


def argv(rg: str, ws: Workspace, query: Query) -> list[str]:
    """The ripgrep command line for ``query`` (run with the workspace root as cwd)."""
    args = [rg, "--no-config", "--json", "--no-ignore", "--hidden", "--encoding", "none",
            "--glob", "!.git"]
    if query.ignore_case:
        args.append("--ignore-case")
    if query.context:
        args += ["--context", str(query.context)]
    if query.glob:
        args += ["--glob", query.glob]
    return [*args, "--regexp", query.pattern, "--", ws.relative(query.target)]


async def search(rg: str, ws: Workspace, query: Query) -> Found:
    """Run ripgrep for ``query``.

    Raises:
        ToolError: ripgrep refused the pattern (its message is passed on) or failed.
    """
    parser = _Parser(content=query.content)
    try:
        exit_ = await run_streaming(argv(rg, ws, query), cwd=ws.root, env=minimal_env(),
                                    sink=parser.feed, merge_stderr=False)
    except OSError as exc:
        raise ToolError(f"grep could not start ripgrep ({rg}): {exc.strerror or exc}") from None
    if exit_.returncode == 2 and not parser.finished and not exit_.stopped:
        message = " ".join(exit_.stderr.decode("utf-8", "replace").split())[:500]
        if "regex" in message:
            raise ToolError(f"invalid regex {query.pattern!r}: {message} (Rust regex syntax: "
                            "no look-around or backreferences; escape ( [ . * with a backslash)")
        raise ToolError(f"grep failed: {message}")
    return Found(tuple(parser.files), complete=not exit_.stopped)


class _Parser:
    """Turns ``rg --json`` output into :class:`FileHits`, a chunk at a time."""

    def __init__(self, *, content: bool) -> None:
        self.files: list[FileHits] = []
        self._content = content
        self.finished = False
        self._buffer = b""
        self._lines: list[Line] = []
        self._collected = 0

    def feed(self, chunk: bytes) -> bool:
        """Take a chunk of stdout; False once enough is collected."""
        self._buffer += chunk
        *complete, self._buffer = self._buffer.split(b"\n")
        for raw in complete:
            try:
                message = json.loads(raw)
            except ValueError:
                continue  # not a message (ripgrep prints only JSON lines with --json)
            self._message(message)
            if self._collected >= MAX_COLLECTED:
                return False
        return True

    def _message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        data = message.get("data", {})
        if kind == "begin":
            self._lines = []
        elif kind in ("match", "context"):
            text = _text(data["lines"]).removesuffix("\n") if self._content else ""
            self._lines.append(Line(data["line_number"], text, kind == "match"))
        elif kind == "end":
            if self._lines and data.get("binary_offset") is None:
                self.files.append(FileHits(_text(data["path"]).removeprefix("./"),
                                           tuple(self._lines)))
                self._collected += len(self._lines) if self._content else 1
            self._lines = []
        elif kind == "summary":
            self.finished = True


def _text(field: dict[str, str]) -> str:
    """ripgrep's ``{"text": ...}``, or ``{"bytes": base64}`` for data that is not UTF-8."""
    if "text" in field:
        return field["text"]
    return base64.b64decode(field["bytes"]).decode("utf-8", "replace")
