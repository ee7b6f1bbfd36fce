"""Running a coding-agent CLI as a subprocess: private home, process group, clean kill.

Both CLI backends (``claude``, ``codex``, through :mod:`._cli_agent`) are thin over
:func:`run_cli`:

- the CLI runs in its own session (``start_new_session=True``) so it leads a process
  group; on return, error, timeout or cancellation the *whole group* is sent SIGTERM, then
  SIGKILL after a grace period, inside a shielded scope - tools the agent spawned (shells,
  test runners) do not outlive the agent;
- stdin is closed (``/dev/null``): a CLI that waits for input cannot hang the run;
- each run gets a private temporary home (:class:`PrivateHome`) holding copies of the
  user's credential files only, so concurrent agents never share session state.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import anyio
from anyio.abc import ByteReceiveStream, Process

from ..errors import BackendConfigError, BackendError

__all__ = ["CliOutput", "PrivateHome", "base_env", "find_command", "kill_group", "run_cli"]

_GRACE = 2.0
"""Seconds between SIGTERM and SIGKILL for the process group."""

_PASS_ENV = ("PATH", "LANG", "LC_ALL", "TERM", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
             "NODE_EXTRA_CA_CERTS", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY")
"""Variables a CLI child inherits besides the ones the backend sets explicitly."""


@dataclass(frozen=True, slots=True)
class CliOutput:
    returncode: int
    stdout: str
    stderr: str


def find_command(name: str, configured: str | None, package: str) -> str:
    """The CLI's path: ``[tool.flowdsl.commands]``, else PATH.

    Raises:
        BackendConfigError: not found, with how to install or configure it.
    """
    candidate = configured or name
    found = shutil.which(candidate)
    if found is None:
        raise BackendConfigError(
            f"the {name} CLI was not found ({candidate!r} is not an executable on PATH). "
            f"Install it with `npm install -g {package}` or set "
            f"[tool.flowdsl.commands] {name} = \"/path/to/{name}\""
        )
    return found


def base_env(extra: Mapping[str, str], prefixes: tuple[str, ...] = ()) -> dict[str, str]:
    """The child's environment: a short allow-list, the CLI's own prefixes, then ``extra``."""
    env = {k: v for k, v in os.environ.items() if k in _PASS_ENV or k.startswith(prefixes)}
    env.update(extra)
    return env


class PrivateHome:
    """A temporary directory used as HOME (and CODEX_HOME) for one CLI run."""

    def __init__(self, copies: Iterable[tuple[Path, str]] = ()) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="flowdsl-agent-")
        self.path = Path(self._tmp.name)
        for source, relative in copies:
            if source.is_file():
                target = self.path / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)

    def __enter__(self) -> PrivateHome:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._tmp.cleanup()


async def _drain(stream: ByteReceiveStream | None, sink: list[bytes]) -> None:
    if stream is None:
        return
    async for chunk in stream:
        sink.append(chunk)


def _signal_group(pid: int, sig: int) -> bool:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


async def kill_group(process: Process) -> None:
    """SIGTERM the group, give the leader a grace period, then SIGKILL the group. Never raises.

    The SIGKILL is unconditional: members that outlive the leader (a tool still running,
    or one that ignores SIGTERM) are orphans by definition. Polling the group until it is
    empty does not work in containers whose init never reaps zombies. Shared with the
    agents' bash tool (:mod:`._tools._bash`), whose commands run in a group the same way.
    """
    with anyio.CancelScope(shield=True):
        if not _signal_group(process.pid, signal.SIGTERM):
            return
        with anyio.move_on_after(_GRACE):
            await process.wait()
        _signal_group(process.pid, signal.SIGKILL)
        await process.wait()


async def run_cli(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: str | Path, time_limit: float
) -> CliOutput:
    """Run ``argv`` to completion (stdin closed) and collect its output.

    Raises:
        BackendError: it ran longer than ``time_limit`` seconds (the group is killed).
        OSError: it could not be started (translated by the caller's boundary).
    """
    out: list[bytes] = []
    err: list[bytes] = []
    # Shielded: a cancellation while asyncio still connects the pipes would make it kill
    # the leader alone, leaving the rest of the group running.
    with anyio.CancelScope(shield=True):
        process = await anyio.open_process(
            list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=cwd, env=dict(env), start_new_session=True,
        )
    try:
        with anyio.fail_after(time_limit):
            async with anyio.create_task_group() as tg:
                tg.start_soon(_drain, process.stdout, out)
                tg.start_soon(_drain, process.stderr, err)
                await process.wait()
                # a tool the agent left running may hold the pipes open: end the group
                # now so the drains see EOF
                await kill_group(process)
    except TimeoutError:
        raise BackendError(f"{Path(argv[0]).name} did not finish within {time_limit:g} s") from None
    finally:
        await kill_group(process)
        await process.aclose()
    code = process.returncode if process.returncode is not None else -1
    return CliOutput(code, b"".join(out).decode("utf-8", "replace"),
                     b"".join(err).decode("utf-8", "replace"))
