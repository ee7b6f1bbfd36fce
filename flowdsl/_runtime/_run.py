"""One run: its task group, limiter, counters, control (pause/stop) and outcome.

Everything a run starts lives in one anyio task group, so cancelling the run (stop, the
wall-clock limit) cancels every in-flight agent. Script code that never awaits cannot be
cancelled by anyio; the sandbox inserts a tick into every loop, and the tick raises
:class:`Halt` once the run is stopped or past its deadline.

The primitives the script calls live beside it: agent dispatch (``_dispatch``), fan-out
(``_fanout``) and the script's globals with ``workflow()`` (``_context``). They change
the run's state through the few methods below (:meth:`Run.record` above all), never by
writing its fields.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel

from .._frontends import CompiledWorkflow
from .._options import RunOptions
from .._sandbox import ScriptHooks
from .._types import AgentRecord, BudgetGate, RunResult, RunStatus, Usage
from ..backends import AgentBackend
from ..errors import FlowError, RunError, RunTimeout
from ._events import AgentFinished, LogLine, Observer, PhaseStarted, RunEvent, StatusChanged
from ._halt import Halt
from ._journal import Journal, KeyCounter
from ._outcome import describe_error, to_json
from ._scheduler import Scheduler

__all__ = ["Run", "Supervisor", "WorkflowFinder"]

Supervisor = Callable[["Run"], Coroutine[Any, Any, None]]
"""Runs beside the script for the run's lifetime (the store's heartbeat and control)."""

WorkflowFinder = Callable[[str, Path], Path | None]
"""``(name, script_dir) -> path`` of a saved workflow, for ``workflow(name)``."""


class Run:
    """The state of one executing workflow."""

    def __init__(
        self,
        compiled: CompiledWorkflow,
        *,
        backend: AgentBackend,
        options: RunOptions,
        journal: Journal | None = None,
        observers: Sequence[Observer] = (),
        run_id: str | None = None,
        find_workflow: WorkflowFinder | None = None,
    ) -> None:
        self.compiled = compiled
        self.backend = backend
        self.options = options
        self.journal = journal
        self.observers = tuple(observers)
        self.run_id = run_id
        self.find_workflow = find_workflow
        self.limiter = anyio.CapacityLimiter(options.concurrency)
        self.keys = KeyCounter()
        # What the result reports; changed only through record(), log(), enter_phase().
        self._records: list[AgentRecord] = []
        self._logs: list[str] = []
        self._phases: list[str] = []
        self._usage = Usage()
        self.budget_gate: BudgetGate | None = None
        if options.budget is not None:
            total = options.budget
            self.budget_gate = lambda used: self._usage.total_tokens + used.total_tokens < total
        self.agents_started = 0
        self._deadline = math.inf
        self._halt: Halt | None = None
        self._stopped = False
        self._paused = False
        self._unpaused = anyio.Event()
        self._unpaused.set()
        self._scope: anyio.CancelScope | None = None
        self._scheduler: Scheduler | None = None

    # -- what the sandbox and the primitives call -------------------------------------

    def tick(self) -> None:
        """Called in every script loop iteration: end CPU-bound code on stop or deadline."""
        if self._halt is not None:
            raise self._halt
        if time.monotonic() > self._deadline:
            self._halt = Halt(RunTimeout(self.options.run_timeout or 0.0))
            raise self._halt

    @property
    def hooks(self) -> ScriptHooks:
        """What a script of this run is started with (its tick and the scheduler)."""
        if self._scheduler is None:
            raise RuntimeError("the run is not executing")
        return ScriptHooks(tick=self.tick, scheduler=self._scheduler)

    def emit(self, event: RunEvent) -> None:
        for observer in self.observers:
            observer(event)

    def log(self, line: str) -> None:
        """A narrator line: kept in the result's logs and told to the observers."""
        self._logs.append(line)
        self.emit(LogLine(text=line))

    def enter_phase(self, title: str) -> None:
        """The script started phase ``title`` (listed once in the result's phases)."""
        if title not in self._phases:
            self._phases.append(title)
        self.emit(PhaseStarted(title=title))

    def start_agent(self) -> int:
        """Count one more agent against the cap; its 0-based index in start order."""
        index = self.agents_started
        self.agents_started += 1
        return index

    def record(self, index: int, key: str, record: AgentRecord, *, journal: bool = True) -> Any:
        """Account one finished agent: usage, the records, the journal, the observers.

        Returns what ``agent()`` gives the script: the output, or None when it failed.
        The journal row is durable before this returns (the script sees the result after).
        """
        self._usage = self._usage + record.usage
        self._records.append(record)
        if journal and self.journal is not None:
            try:
                self.journal.record(key, record)
            except Exception as exc:
                raise self._journal_failed(exc) from exc
        if self.observers:
            self.emit(AgentFinished(index=index, record=record))
        return record.output if record.ok else None

    def _journal_failed(self, exc: Exception) -> Halt:
        """A journal that cannot record (a full disk) ends the run: it is no longer durable.

        Agents journaled before stay; the run fails with the journal's one-line error.
        """
        reason = exc if isinstance(exc, FlowError) else RunError(f"journal: {exc}")
        self._halt = Halt(reason)
        if self._scope is not None:
            self._scope.cancel()
        return self._halt

    async def wait_unpaused(self) -> None:
        if self._paused:
            await self._unpaused.wait()

    @property
    def spent(self) -> int:
        return self._usage.total_tokens

    # -- control (call from inside the run's event loop) -------------------------------

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Dispatch no new agent until :meth:`unpause`; in-flight agents finish."""
        if not self._paused:
            self._paused = True
            self._unpaused = anyio.Event()
            self.emit(StatusChanged(status="paused"))

    def unpause(self) -> None:
        if self._paused:
            self._paused = False
            self._unpaused.set()
            self.emit(StatusChanged(status="running"))

    def stop(self) -> None:
        """Cancel everything in flight; the run ends with status "stopped"."""
        self.request_stop()
        self._unpaused.set()
        if self._scope is not None:
            self._scope.cancel()

    @property
    def stop_requested(self) -> bool:
        return self._stopped

    def request_stop(self) -> None:
        """Ask the run to stop; safe anywhere, a signal handler included (flags only).

        Script code that never awaits keeps the event loop busy, so only the loop tick can
        end it: the tick sees the flag at once. Awaiting code is cancelled by whoever
        calls :meth:`stop` from the loop next (the durable layer's supervisor polls for it).
        """
        self._stopped = True
        self._halt = Halt(None)

    # -- execution ---------------------------------------------------------------------

    async def execute(
        self, dsl: dict[str, object], supervisors: Sequence[Supervisor] = ()
    ) -> RunResult:
        """Run the script with the globals ``dsl`` to its end; never raises for it."""
        started = time.monotonic()
        if self.options.run_timeout is not None:
            self._deadline = started + self.options.run_timeout
        self.emit(StatusChanged(status="running"))
        try:
            with anyio.CancelScope(deadline=anyio.current_time() + self._remaining()) as scope:
                self._scope = scope
                async with anyio.create_task_group() as tg:
                    self._scheduler = Scheduler(tg, self.options.concurrency)
                    for supervisor in supervisors:
                        tg.start_soon(supervisor, self)
                    if supervisors:
                        await anyio.lowlevel.checkpoint()  # let supervisors start first
                    status, value, error = await self._run_script(dsl)
                    tg.cancel_scope.cancel()
            if scope.cancelled_caught:
                status, value, error = self._cancelled_outcome()
        finally:
            if self._scheduler is not None:
                self._scheduler.close()
            self._scheduler = None
            # Script code must not outlive its run (a suspended generator's ``finally``
            # runs when it is collected): every later tick ends it at once.
            self._halt = Halt(None)
        result = RunResult(
            status=status, value=value, error=error, logs=tuple(self._logs),
            phases=tuple(self._phases), agents=tuple(self._records), usage=self._usage,
            duration=time.monotonic() - started, run_id=self.run_id,
        )
        self.emit(StatusChanged(status=status))
        return result

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    def _cancelled_outcome(self) -> tuple[RunStatus, Any, str]:
        if self._stopped:
            return "stopped", None, "run stopped"
        if self._halt is not None and self._halt.reason is not None:
            return "failed", None, str(self._halt.reason)
        return "failed", None, str(RunTimeout(self.options.run_timeout or 0.0))

    async def _run_script(self, dsl: dict[str, object]) -> tuple[RunStatus, Any, str | None]:
        path = self.compiled.path
        try:
            raw = await self.compiled.start(dsl, self.hooks)
        except Halt as halt:
            if halt.reason is None:
                return "stopped", None, "run stopped"
            return "failed", None, str(halt.reason)
        except Exception as exc:
            return "failed", None, describe_error(self.compiled, exc)
        try:
            return "completed", to_json(raw), None
        except TypeError as exc:
            return "failed", None, f"{path}: the result is not JSON-compatible: {exc}"
        except RecursionError:
            return "failed", None, (f"{path}: the result is not JSON-compatible: "
                                    "it is circular or nested too deeply")
