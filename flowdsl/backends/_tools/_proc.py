"""Child processes for the tools (bash, ripgrep): own group, closed stdin, bare environment.

A child leads its own session (``start_new_session=True``) so the whole group can be
ended: when the leader exits (a background job left behind would hold the pipe open),
when the reader stops early, on a timeout and on cancellation, the group gets SIGTERM and
then SIGKILL after a grace period, shielded from cancellation
(:func:`.._subprocess.kill_group`, shared with the CLI backends).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
from anyio import CancelScope
from anyio.abc import ByteReceiveStream

from .._subprocess import kill_group

__all__ = ["Exit", "minimal_env", "run_streaming"]

_PASS_ENV = ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")
"""The only variables a tool's child inherits; API keys and tokens never reach it."""

_DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"

_STDERR_CAP = 64 * 1024
"""Bytes of a separate stderr kept (it is read only for an error message)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Exit:
    returncode: int
    stderr: bytes
    stopped: bool
    """True when the reader asked to stop and the group was ended early."""


def minimal_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """PATH, LANG, LC_ALL, HOME, TMPDIR from this process, TERM=dumb, then ``extra``."""
    env = {name: os.environ[name] for name in _PASS_ENV if name in os.environ}
    env.setdefault("PATH", _DEFAULT_PATH)
    env["TERM"] = "dumb"
    env.update(extra or {})
    return env


async def run_streaming(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    sink: Callable[[bytes], bool],
    merge_stderr: bool,
) -> Exit:
    """Run ``argv`` with stdin from /dev/null, feeding stdout chunks to ``sink``.

    ``sink`` returns False to stop reading: the group is ended and ``stopped`` is set.
    With ``merge_stderr`` stderr goes to the same pipe as stdout.

    Raises:
        OSError: the program could not be started.
    """
    # Shielded: a cancellation delivered while asyncio is still connecting the pipes
    # would make it kill the leader alone, leaving the group's other members running.
    with anyio.CancelScope(shield=True):
        process = await anyio.open_process(
            list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            cwd=cwd, env=dict(env), start_new_session=True,
        )
    errors = bytearray()
    stopped = False
    try:
        async with anyio.create_task_group() as tg:

            async def pump(stream: ByteReceiveStream, scope: CancelScope) -> None:
                nonlocal stopped
                async for chunk in stream:
                    if not sink(chunk):
                        stopped = True
                        scope.cancel()
                        return

            if process.stdout is not None:
                tg.start_soon(pump, process.stdout, tg.cancel_scope)
            if process.stderr is not None:
                tg.start_soon(_collect, process.stderr, errors)
            await process.wait()
            await kill_group(process)  # so pipes held by leftover members reach EOF
    finally:
        await kill_group(process)
        await process.aclose()
    code = process.returncode if process.returncode is not None else -1
    return Exit(returncode=code, stderr=bytes(errors), stopped=stopped)


async def _collect(stream: ByteReceiveStream, sink: bytearray) -> None:
    async for chunk in stream:
        if len(sink) < _STDERR_CAP:
            sink += chunk[: _STDERR_CAP - len(sink)]
