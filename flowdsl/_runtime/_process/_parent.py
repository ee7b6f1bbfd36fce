"""The run's side of the process boundary: start the script's process and serve it.

:func:`run_in_child` is the :data:`~flowdsl._runtime._run.ScriptMain` of a run with
``isolation="process"``. It starts the child (``_spawn``: an empty environment, a hash seed
stored with the run or fixed by its id) or adopts one started earlier, sends it the
compiled script, and then answers its messages: ``agent()`` calls run through
:meth:`Run.agent` on a pool of ``concurrency`` tasks (the run's limiter, budget,
timeouts and journal apply as inline); answers go back batched per event-loop turn.

It also watches the child. Silence longer than ``stall_timeout`` (the child beats once a
second, from its loop and from its script's loop ticks) means one call is running away
in C: the child is asked for its stack (``faulthandler`` on SIGUSR1), then killed. A
child that dies, or sends anything that is not a valid message, fails the run with a
one-line reason. Whatever ends the run early — stop, the deadline, Ctrl-C, a journal
failure — kills the child; every agent already accounted stays accounted.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from typing import IO, Any

import anyio
import anyio.abc
import anyio.to_thread

from ..._frontends import CompiledWorkflow
from ..._types import AgentRequest
from ...errors import FlowError
from .._halt import Halt
from .._run import Run
from .._script import ScriptOutcome, format_bytes
from ._crash import crash_reason, stall_reason
from ._protocol import (
    ProtocolError,
    compiled_to_wire,
    encode,
    error_to_wire,
    read_child_batch,
)
from ._spawn import ScriptProcess, hash_seed_for, start_script_process

__all__ = ["GRACE", "run_in_child"]

GRACE = 2.0
"""Seconds past the run timeout the child has to report its own timeout."""

_STDERR_KEPT = 64 * 1024
_DUMP_WAIT = 1.0
_LATE = 0.1
"""A last look for a message before calling the child stalled."""
_STARTUP = 60.0
"""Seconds a new child has to start (import, confine) and send its first message."""


async def run_in_child(run: Run, args: Any,
                       prestarted: ScriptProcess | None = None) -> ScriptOutcome:
    """Run ``run``'s script in a child process and serve it to its end.

    Args:
        run: the run (its options' ``hash_seed``, else one fixed by its id).
        args: the script's args (JSON).
        prestarted: a process started earlier for this run; used if its seed is the
            run's, else stopped.
    """
    compiled = run.compiled
    preload = sorted({compiled.language} | ({"javascript"} if "workflow" in compiled.source
                                            else set()))
    init = {
        "t": "init", "script": compiled_to_wire(compiled), "args": args,
        "options": run.options.to_json(), "replays": run.replay_count, "spent": run.spent,
        "preload": preload,
    }
    seed = run.options.hash_seed or hash_seed_for(run.run_id or compiled.source_hash)
    started = prestarted
    if started is not None and started.seed != seed:
        started.discard()
        started = None
    if started is None:
        try:
            started = start_script_process(seed)
        except OSError as exc:
            return ScriptOutcome("failed", error=f"cannot start the script's process: {exc}")
    child = _Child(run, started)
    run.control.listeners.append(child.halt)
    try:
        return await child.serve(init)
    finally:
        run.control.listeners.remove(child.halt)
        for _, request in child.unsent():
            run.refuse_unsent(request)  # asked for, never sent: the run ended first
        with anyio.CancelScope(shield=True):
            await child.end()


class _Child:
    """One running child and what the parent knows of it."""

    def __init__(self, run: Run, started: ScriptProcess) -> None:
        self.run = run
        self.started = started
        self.process = started.process
        self._stdin, self._stdout, self._stderr = (
            _nonblocking(stream) for stream in (self.process.stdin, self.process.stdout,
                                                self.process.stderr))
        self.scripts: dict[str, CompiledWorkflow] = {run.compiled.path: run.compiled}
        self.stderr = bytearray()
        self.stderr_done = anyio.Event()
        self.stderr_grew = anyio.Event()
        self._out: list[dict[str, Any]] = []
        self._calls: deque[tuple[int, AgentRequest]] = deque()
        self._agent_workers = 0
        self._parked: deque[anyio.Event] = deque()
        """The wake-up of each agent worker waiting for a call, in the order they parked."""
        self._wake = anyio.Event()
        self._log_bytes = 0
        options = run.options
        self.message_cap = 8 * options.max_result_bytes + 1024**2

    def halt(self, reason: FlowError | None) -> None:
        """The run must end (stop, a journal failure): the script ends with the child.
        Safe in a signal handler or another thread."""
        self.kill()

    def kill(self) -> None:
        if self.process.returncode is None:
            try:
                self.process.kill()
            except ProcessLookupError:
                pass

    async def wait(self) -> int:
        """The child's exit status, once it has exited."""
        returncode = self.process.poll()
        if returncode is None:
            returncode = await anyio.to_thread.run_sync(self.process.wait,
                                                        abandon_on_cancel=True)
        return returncode

    async def end(self) -> None:
        """Kill the child, reap it and close its pipes."""
        self.kill()
        await self.wait()
        self.started.discard()

    def send(self, message: dict[str, Any]) -> None:
        self._out.append(message)
        self._wake.set()

    async def serve(self, init: dict[str, Any]) -> ScriptOutcome:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._drain_stderr)
            tg.start_soon(self._writer)
            self._out.append(init)
            self._wake.set()
            outcome = await self._read(tg)
            tg.cancel_scope.cancel()
        return outcome

    # -- reading the child ---------------------------------------------------------------

    async def _read(self, tg: anyio.abc.TaskGroup) -> ScriptOutcome:
        stall = self.run.options.stall_timeout
        wait = max(stall, _STARTUP)  # the clock starts with the child's first message
        buffer = bytearray()
        while True:
            chunk = None
            for patience in (wait, _LATE):  # _LATE: this loop itself may have been busy
                with anyio.move_on_after(patience):
                    chunk = await _receive(self._stdout)
                if chunk is not None:
                    break
            else:
                return await self._stalled(wait)
            if not chunk:
                return await self._ended()
            wait = stall
            start = len(buffer)
            buffer += chunk
            if b"\n" not in chunk:
                if len(buffer) > self.message_cap:
                    return self._broken(f"a message over {format_bytes(self.message_cap)}")
                continue
            end = buffer.rindex(b"\n", start)
            lines = bytes(buffer[:end]).split(b"\n")
            del buffer[:end + 1]
            for line in lines:
                try:
                    batch = read_child_batch(line)
                except ProtocolError as exc:
                    return self._broken(str(exc))
                for message in batch:
                    outcome = self._handle(message, tg)
                    if outcome is not None:
                        return outcome

    def _handle(self, message: dict[str, Any], tg: anyio.abc.TaskGroup) -> ScriptOutcome | None:
        kind = message["t"]
        if kind == "a":
            self._calls.append((message["i"], message["r"]))
            if self._parked:
                self._parked.popleft().set()
            elif self._agent_workers < self.run.options.concurrency:
                self._agent_workers += 1
                tg.start_soon(self._agent_worker)
        elif kind == "l":
            return self._log(message["s"])
        elif kind == "n":
            self.run.note(message["s"][:self.run.options.max_log_line])
        elif kind == "p":
            self.run.enter_phase(message["s"][:self.run.options.max_log_line])
        elif kind == "w":
            self._workflow(message["i"], message["name"])
        elif kind == "d":
            return ScriptOutcome(message["status"], message.get("value"), message.get("error"))
        return None

    def _log(self, line: str) -> ScriptOutcome | None:
        """A log line, held again to the caps the child should have kept."""
        options = self.run.options
        self._log_bytes += len(line) + 1
        if len(line) > options.max_log_line or self._log_bytes > options.max_log_bytes:
            return self._broken("log output past the run's caps")
        self.run.log(line)
        return None

    def unsent(self) -> list[tuple[int, AgentRequest]]:
        """The agent calls the child asked for that no worker took (the run ended first)."""
        calls = list(self._calls)
        self._calls.clear()
        return calls

    async def _agent_worker(self) -> None:
        """Run queued agent calls; at most ``concurrency`` workers (only that many agents
        can run at once anyway), so a fan-out of thousands is not thousands of tasks. A
        worker that finds the queue empty parks until the next call (a script calling its
        agents one at a time does not cost a new task per agent)."""
        calls, run, send, parked = self._calls, self.run, self.send, self._parked
        wake: anyio.Event | None = None
        try:
            while True:
                while calls:
                    ident, request = calls.popleft()
                    try:
                        reply = await run.agent(request)
                    except FlowError as exc:
                        send({"t": "x", "i": ident, **error_to_wire(exc)})
                    except Halt:
                        return  # the run is ending; the child is killed with it
                    else:
                        message = {"t": "r", "i": ident, "o": reply.output, "s": reply.spent,
                                   "q": reply.replay_seq}
                        if reply.worktree is not None:
                            message["w"] = reply.worktree
                        send(message)
                wake = anyio.Event()
                parked.append(wake)
                await wake.wait()
        finally:
            self._agent_workers -= 1
            if wake is not None and not wake.is_set():
                parked.remove(wake)  # cancelled while parked (the script ended)

    def _workflow(self, ident: int, name: str) -> None:
        # the script's own path, never one the child names: the child is not trusted
        try:
            compiled = self.run.load_workflow(name, self.run.compiled.path)
            wire = compiled_to_wire(compiled)
        except FlowError as exc:
            self.send({"t": "x", "i": ident, **error_to_wire(exc)})
            return
        self.scripts[compiled.path] = compiled
        self.send({"t": "c", "i": ident, "c": wire})

    # -- ends ------------------------------------------------------------------------------

    def _broken(self, what: str) -> ScriptOutcome:
        self.kill()
        return ScriptOutcome("failed", error=f"the script's process sent {what}; it was stopped")

    async def _ended(self) -> ScriptOutcome:
        with anyio.move_on_after(_DUMP_WAIT):
            await self.wait()
        self.kill()  # it closed its output but did not exit: it has nothing more to say
        returncode = await self.wait()
        with anyio.move_on_after(_DUMP_WAIT):
            await self.stderr_done.wait()
        text = self.stderr.decode("utf-8", "replace")
        return ScriptOutcome("failed", error=crash_reason(
            returncode, text, self.run.options.memory_limit, self.scripts))

    async def _stalled(self, seconds: float) -> ScriptOutcome:
        mark = len(self.stderr)
        try:
            self.process.send_signal(signal.SIGUSR1)
        except ProcessLookupError:
            return await self._ended()
        with anyio.move_on_after(_DUMP_WAIT):
            while b"File " not in self.stderr[mark:]:
                await self.stderr_grew.wait()
            await anyio.sleep(0.05)  # the rest of the dump
        self.kill()
        dump = self.stderr[mark:].decode("utf-8", "replace")
        return ScriptOutcome("failed", error=stall_reason(seconds, dump, self.scripts))

    # -- streams ---------------------------------------------------------------------------

    async def _writer(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            await anyio.lowlevel.checkpoint()  # let the rest of this turn add to the batch
            if not self._out:
                continue
            data = encode(self._out)
            self._out = []
            try:
                await _send(self._stdin, data)
            except (BrokenPipeError, ConnectionResetError):
                return  # the child is gone; the reader reports why

    async def _drain_stderr(self) -> None:
        try:
            while chunk := await _receive(self._stderr):
                self.stderr += chunk
                if len(self.stderr) > 2 * _STDERR_KEPT:
                    del self.stderr[:-_STDERR_KEPT]
                self.stderr_grew.set()
                self.stderr_grew = anyio.Event()
        finally:
            self.stderr_done.set()


def _nonblocking(stream: IO[bytes] | None) -> int:
    assert stream is not None
    fd = stream.fileno()
    os.set_blocking(fd, False)
    return fd


async def _receive(fd: int) -> bytes:
    """The next bytes from a pipe; b"" at its end."""
    while True:
        try:
            return os.read(fd, 1 << 16)
        except BlockingIOError:
            await anyio.wait_readable(fd)


async def _send(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            await anyio.wait_writable(fd)
