"""The script's process: ``python -m flowdsl._runtime._process._child``.

It holds no backend, no credentials (its environment is emptied) and no network client.
It reads one ``init`` message from stdin (the compiled script, args, options), gives up
what :func:`confine` takes, then runs the script with a :class:`ScriptRunner` whose port
sends every ``agent()`` call, log line and phase to the parent over stdout, batched:
everything the script produced in one event-loop turn goes out in one write. stderr
carries only diagnostics for the parent (``faulthandler`` tracebacks on a crash, or on
SIGUSR1 when the parent finds the loop stalled).
"""

from __future__ import annotations

import codecs
import faulthandler
import importlib
import json
import os
import signal
import sys
from typing import Any

import anyio
import anyio.abc

from ..._event_loop import run_loop, uses_uvloop
from ..._frontends import CompiledWorkflow, preload_runtime, workflow_policy
from ..._options import RunOptions
from ..._types import AgentRequest
from .._port import AgentReply
from .._script import ScriptOutcome, ScriptRunner
from ._confine import confine
from ._protocol import (
    compiled_from_wire,
    encode,
    error_from_wire,
    request_to_wire,
)

__all__ = ["main"]

_STDIN, _STDOUT = 0, 1
_IN_FLIGHT = 512
"""Agent calls kept in flight to the parent (its limiter still runs ``concurrency``)."""
_CODECS = ("utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be",
           "latin-1", "ascii")
"""Codecs scripts reach through string methods (Python's codec registry imports lazily)."""


class ChildPort:
    """The :class:`RunPort` of a script in the child: every call is a message."""

    shares_outputs = False  # answers arrive as JSON: already the script's own

    def __init__(self, replay_count: int, spent: int) -> None:
        self._replay_count = replay_count
        self._spent = spent
        self._out: list[dict[str, Any]] = []
        self._pending_bytes = b""
        self._done = False
        self._wake = anyio.Event()
        self._next_id = 0
        self._waiting: dict[int, tuple[anyio.Event, list[Any]]] = {}

    # -- the port ----------------------------------------------------------------------

    @property
    def spent(self) -> int:
        return self._spent

    @property
    def replay_count(self) -> int:
        return self._replay_count

    async def agent(self, request: AgentRequest) -> AgentReply:
        answer = await self._call({"t": "a", "r": request_to_wire(request)})
        self._spent = answer["s"]
        return AgentReply(answer["o"], answer["s"], answer.get("q"), answer.get("w"))

    def log(self, line: str) -> None:
        self.send({"t": "l", "s": line})

    def note(self, line: str) -> None:
        self.send({"t": "n", "s": line})

    def enter_phase(self, title: str) -> None:
        self.send({"t": "p", "s": title})

    async def load_workflow(self, name: str, script_path: str) -> CompiledWorkflow:
        answer = await self._call({"t": "w", "name": name})
        return compiled_from_wire(answer["c"])

    # -- messages ----------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        self._out.append(message)
        self._wake.set()

    async def _call(self, message: dict[str, Any]) -> dict[str, Any]:
        ident = self._next_id
        self._next_id += 1
        event, slot = anyio.Event(), list[dict[str, Any]]()
        self._waiting[ident] = (event, slot)
        message["i"] = ident
        self.send(message)
        try:
            await event.wait()
        finally:
            self._waiting.pop(ident, None)
        answer: dict[str, Any] = slot[0]
        if answer["t"] == "x":
            raise error_from_wire(answer)
        return answer

    def answered(self, answer: dict[str, Any]) -> None:
        waiting = self._waiting.get(answer["i"])
        if waiting is not None:
            waiting[1].append(answer)
            waiting[0].set()

    async def writer(self) -> None:
        """Send what the script produced, one write per event-loop turn."""
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            await anyio.lowlevel.checkpoint()  # let the rest of this turn add to the batch
            if self._out:
                self._pending_bytes += encode(self._out)
                self._out = []
            await self._drain()

    async def _drain(self) -> None:
        while self._pending_bytes:
            try:
                written = os.write(_STDOUT, self._pending_bytes)
            except BlockingIOError:
                await anyio.wait_writable(_STDOUT)
                continue
            self._pending_bytes = self._pending_bytes[written:]

    def beat(self) -> None:
        """A heartbeat written at once (from the tick: the loop is busy in script code)."""
        if self._pending_bytes:
            return  # a write is half done; the parent is reading, the loop will finish it
        try:
            os.write(_STDOUT, encode([{"t": "b"}]))
        except BlockingIOError:
            pass

    def report(self, outcome: ScriptOutcome) -> None:
        """Send the outcome now, with everything before it (blocking: it is the last word;
        the parent stops this process once it has it)."""
        if self._done:
            return
        self._done = True
        self._out.append({"t": "d", "status": outcome.status, "value": outcome.value,
                          "error": outcome.error})
        data = self._pending_bytes + encode(self._out)
        self._out, self._pending_bytes = [], b""
        os.set_blocking(_STDOUT, True)
        try:
            while data:
                data = data[os.write(_STDOUT, data):]
        finally:
            os.set_blocking(_STDOUT, False)


async def _read_answers(port: ChildPort) -> None:
    """Hand the parent's answers to the calls waiting for them."""
    buffer = b""
    while True:
        await anyio.wait_readable(_STDIN)
        chunk = os.read(_STDIN, 1 << 16)
        if not chunk:
            os._exit(3)  # the parent is gone: nobody is left to report to
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            for answer in json.loads(line):
                port.answered(answer)


async def _heartbeat(port: ChildPort, interval: float) -> None:
    while True:
        await anyio.sleep(interval)
        port.send({"t": "b"})


async def _serve(runner: ScriptRunner, port: ChildPort, args: Any) -> None:
    outcome: ScriptOutcome
    port.beat()  # started: the parent's stall clock runs from here (written at once: the
    # script may block the loop before the writer ever runs)
    async with anyio.create_task_group() as tg:
        tg.start_soon(port.writer)
        tg.start_soon(_read_answers, port)
        tg.start_soon(_heartbeat, port, runner.beat_interval)
        try:
            outcome = await runner.run(args)
        except Exception as exc:  # the runtime itself failed: say so in one line
            outcome = ScriptOutcome("failed", error=f"{runner.compiled.path}: internal error "
                                    f"of the script's process: {type(exc).__name__}: {exc}")
        tg.cancel_scope.cancel()
    port.report(outcome)


def _read_init() -> dict[str, Any]:
    buffer = b""
    while not buffer.endswith(b"\n"):
        chunk = os.read(_STDIN, 1 << 20)
        if not chunk:
            os._exit(3)
        buffer += chunk
    init: dict[str, Any] = json.loads(buffer)[0]
    return init


def main() -> None:
    faulthandler.enable(file=sys.stderr)
    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it kills us
    init = _read_init()
    options = RunOptions(**init["options"])
    compiled = compiled_from_wire(init["script"])
    # everything the script may import is loaded before confine(): no file opens after
    workflow_policy()
    for language in init["preload"]:
        preload_runtime(language)
    for codec in _CODECS:
        codecs.lookup(codec)
    importlib.import_module("_strptime")  # date parsing imports it lazily
    importlib.import_module("anyio._backends._asyncio")  # anyio.run imports it lazily
    if uses_uvloop():
        importlib.import_module("uvloop")  # the loop's own module, also imported lazily
    port = ChildPort(init["replays"], init["spent"])
    runner = ScriptRunner(compiled, port, options, memory_capped=True, beat=port.beat,
                          width=max(options.concurrency, _IN_FLIGHT), report=port.report)
    os.set_blocking(_STDIN, False)
    os.set_blocking(_STDOUT, False)
    missing = confine(options.memory_limit)
    if missing:
        sys.stderr.write(f"flowdsl: not applied: {', '.join(missing)}\n")
    run_loop(_serve, runner, port, init["args"])


if __name__ == "__main__":
    main()
