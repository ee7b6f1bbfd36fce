"""One run's owner: agents, limiter, caps, budget, journal, events, control, outcome.

The run owns everything that costs money or must survive a crash. The script itself
runs elsewhere — in a child process (``_process``) or beside it (``_script``) — and
reaches the run only through a :class:`~._port.RunPort`: ``agent()`` calls, log lines,
phases. Whatever the script does, every agent that reached a backend is accounted here
(usage, record, journal row) before the script sees its answer.

Everything a run starts lives in one anyio task group, so cancelling the run (stop, the
wall-clock limit, a journal that cannot write) cancels every in-flight agent.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel

from .._frontends import CompiledWorkflow, compile_file
from .._json_schema import check_output, schema_validator
from .._options import RunOptions
from .._types import (
    AgentRecord,
    AgentRequest,
    AgentStatus,
    RunResult,
    ToolCall,
    Usage,
)
from ..backends import AgentBackend
from ..backends._agent_types import AgentTypes
from ..backends._grants import grant_for
from ..errors import (
    AgentLimitExceeded,
    AgentTimeout,
    BackendConfigError,
    BackendError,
    BudgetExceeded,
    FlowError,
    RunError,
    RunTimeout,
)
from ._events import (
    AgentFinished,
    AgentStarted,
    LogLine,
    Observer,
    PhaseStarted,
    RunEvent,
    StatusChanged,
)
from ._halt import Halt
from ._journal import Journal, KeyCounter
from ._ledger import Ledger
from ._port import AgentReply
from ._script import ScriptOutcome
from ._workflow_call import WorkflowFinder, find_child_workflow

__all__ = ["HaltListener", "Run", "ScriptMain", "Supervisor", "WorkflowFinder"]

Supervisor = Callable[["Run"], Coroutine[Any, Any, None]]
"""Runs beside the script for the run's lifetime (the store's heartbeat and control)."""

ScriptMain = Callable[["Run"], Awaitable[ScriptOutcome]]
"""Runs the script against the run to its end (inline, or in a child process)."""

HaltListener = Callable[[FlowError | None], None]
"""Told when the run must end (None: stopped); called from signal handlers too."""


class Run:
    """The state of one executing workflow, on the side that owns its agents."""

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
        self.ledger = Ledger(options.max_failures)
        self._logs: list[str] = []
        self._phases: list[str] = []
        self.agent_types = (AgentTypes(Path(options.cwd), home=Path.home())
                            if options.cwd is not None else None)
        """Checks ``agent_type`` before dispatch (None: unchecked, for bare options)."""
        self._checked_types: set[str] = set()
        self.agents_started = 0
        self._halt: Halt | None = None
        self._stopped = False
        self._paused = False
        self._unpaused = anyio.Event()
        self._unpaused.set()
        self._scope: anyio.CancelScope | None = None
        self.halt_listeners: list[HaltListener] = []

    # -- what the script asks for (through its port) -----------------------------------

    @property
    def replay_count(self) -> int:
        return self.journal.size if self.journal is not None else 0

    async def agent(self, request: AgentRequest) -> AgentReply:
        """Gate, replay or run one request and account for it.

        1. the budget and the agent cap, raising to the script;
        2. the journal: a finished identical call (same content key) is replayed;
        3. the pause gate and the concurrency limiter, then the budget again (it may
           have been spent while the call queued);
        4. the backend, under the agent's timeout; a failure or an output that does not
           match the schema makes ``agent()`` return None;
        5. :meth:`record` accounts for it — whatever happened after the backend answered.
        """
        budget = self.options.budget
        refusal = self._refusal()
        if refusal is None and self.agents_started >= self.options.max_agents:
            refusal = AgentLimitExceeded(self.options.max_agents)
        if refusal is not None:
            raise self._refuse(self.agents_started, request, refusal)
        schema = request.schema
        validator = schema_validator(schema) if schema is not None else None
        if request.agent_type is not None:
            self._check_agent_type(request.agent_type)
        index = self.start_agent()
        if budget is not None:
            request = replace(request, budget_gate=self.ledger.gate(index, budget))
        journal = self.journal
        key = ""
        if journal is not None:
            key = self.keys.key(request)
            replayed = journal.replay(key)
            if replayed is not None:
                done, seq = replayed
                record = AgentRecord(request=request, status="replayed",
                                     output=done.output, usage=done.usage)
                return AgentReply(self.record(index, key, record, journal=False),
                                  self.spent, seq)
        limiter = self.limiter
        acquired = sent = False
        try:
            await self.wait_unpaused()
            try:
                limiter.acquire_nowait()  # the common case needs no extra trip through the loop
            except anyio.WouldBlock:
                await limiter.acquire()
            acquired = True
            await self.wait_unpaused()
            refusal = self._refusal()  # the budget spent, or the policy tripped, meanwhile
            if refusal is not None:
                raise self._refuse(index, request, refusal, key)
            sent = True
            record = await self._call(index, request, validator)
            return AgentReply(self.record(index, key, record), self.spent)
        except anyio.get_cancelled_exc_class():
            self._record_cut_short(index, key, request, sent=sent)
            raise
        finally:
            if acquired:
                limiter.release()

    def refuse_unsent(self, request: AgentRequest) -> None:
        """Record a call the script made that was never sent because the run ended."""
        record = AgentRecord(request=request, status="refused",
                             error="not sent: the run ended while the agent waited")
        try:
            self.record(self.agents_started, "", record, journal=False)
        except (Exception, Halt):
            pass  # the run is ending anyway

    def _refusal(self) -> RunError | None:
        """Why a new agent may not be sent now (the run ending, the budget, the failure
        policy), or None."""
        if self._halt is not None:
            return RunError("not sent: the run is ending")
        budget = self.options.budget
        if budget is not None and self.spent >= budget:
            return BudgetExceeded(budget, self.spent)
        return self.ledger.policy_error

    def _refuse(self, index: int, request: AgentRequest, error: RunError,
                key: str = "") -> RunError:
        """Record a call that is never sent (status ``refused``); the error to raise."""
        record = AgentRecord(request=request, status="refused",
                             error=f"{type(error).__name__}: {error}")
        self.record(index, key, record, journal=bool(key))
        return error

    def _check_agent_type(self, name: str) -> None:
        """An unknown or unusable agent type fails the call before it is dispatched."""
        if self.agent_types is None or name in self._checked_types:
            return
        grant_for(self.agent_types.get(name), self.options.config)  # AgentTypeError
        self._checked_types.add(name)

    async def _call(self, index: int, request: AgentRequest, validator: Any) -> AgentRecord:
        timeout = request.timeout if request.timeout is not None else self.options.agent_timeout
        if self.observers:
            self.emit(AgentStarted(index=index, request=request))
        started = time.perf_counter()

        def ended(status: AgentStatus, output: Any = None, usage: Usage | None = None,
                  error: str | None = None, tools: tuple[ToolCall, ...] = ()) -> AgentRecord:
            # an agent that reported no usage of its own costs what its turns reported
            return AgentRecord(request=request, status=status, output=output,
                               usage=usage or self.ledger.running_usage(index),
                               error=error, duration=time.perf_counter() - started,
                               tool_calls=tools)

        try:
            with anyio.CancelScope(deadline=anyio.current_time() + timeout) as scope:
                result = await self.backend.run(request)
            if scope.cancelled_caught:
                return ended("timeout", error=str(AgentTimeout(timeout, request.label)))
        except Exception as exc:
            # tokens a failed agent still cost (re-asks, turns) count against the budget
            if isinstance(exc, BackendConfigError):
                self.fail(exc)  # no other agent can do better: end the run now
            if isinstance(exc, BackendError):
                return ended("failed", usage=exc.usage, tools=exc.tool_calls,
                             error=f"{type(exc).__name__}: {exc}")
            return ended("failed", error=f"{type(exc).__name__}: {exc}")
        # From here on nothing awaits and nothing raises: the call is paid for.
        if validator is not None:
            problem = check_output(validator, result.output)
            if problem is not None:
                return ended("failed", usage=result.usage, error=problem,
                             tools=result.tool_calls)
        return ended("ok", result.output, result.usage, tools=result.tool_calls)

    def _record_cut_short(self, index: int, key: str, request: AgentRequest, *,
                          sent: bool) -> None:
        """An agent the run's end cancelled: ``cancelled`` if its backend was working (with
        what its turns reported), ``refused`` if it was still waiting to be sent."""
        if sent:
            record = AgentRecord(request=request, status="cancelled",
                                 usage=self.ledger.running_usage(index),
                                 error="cancelled: the run ended while the agent ran")
        else:
            record = AgentRecord(request=request, status="refused",
                                 error="not sent: the run ended while the agent waited")
        try:
            self.record(index, key, record)
        except (Exception, Halt):
            pass  # the run is ending anyway; the cancellation goes on

    def emit(self, event: RunEvent) -> None:
        for observer in self.observers:
            observer(event)

    def log(self, line: str) -> None:
        """A narrator line: kept in the result's logs and told to the observers."""
        self._logs.append(line)
        self.emit(LogLine(text=line))

    def note(self, line: str) -> None:
        """A line told to the observers, not kept in the result (a fan-out item failed)."""
        self.emit(LogLine(text=line))

    def enter_phase(self, title: str) -> None:
        """The script started phase ``title`` (listed once in the result's phases)."""
        if title not in self._phases:
            self._phases.append(title)
        self.emit(PhaseStarted(title=title))

    def load_workflow(self, name: str, script_path: str) -> CompiledWorkflow:
        """Find and compile the workflow ``workflow(name)`` names."""
        return compile_file(find_child_workflow(name, script_path, self.find_workflow))

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
        if self.ledger.add(index, record):
            self.note(f"failure policy: {self.ledger.policy_error}")
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
        self.fail(reason)
        assert self._halt is not None
        return self._halt

    def fail(self, reason: FlowError) -> None:
        """End the run now as failed with ``reason`` (the first reason wins)."""
        if self._halt is None:
            self._halt = Halt(reason)
            for listener in self.halt_listeners:
                listener(reason)
        if self._scope is not None:
            self._scope.cancel()

    async def wait_unpaused(self) -> None:
        if self._paused:
            await self._unpaused.wait()

    @property
    def spent(self) -> int:
        """Tokens of finished agents, and what running agents reported so far."""
        return self.ledger.spent

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

        The script's tick sees the flag at once (inline), or its process is ended
        (process isolation); awaiting code is cancelled by whoever calls :meth:`stop`
        from the loop next (the durable layer's supervisor polls for it).
        """
        self._stopped = True
        self._halt = Halt(None)
        for listener in self.halt_listeners:
            listener(None)

    # -- execution ---------------------------------------------------------------------

    async def execute(self, script: ScriptMain, supervisors: Sequence[Supervisor] = (),
                      *, grace: float = 0.0) -> RunResult:
        """Run ``script`` against this run to its end; never raises for it.

        Args:
            script: runs the script (inline or in a child) and reports its outcome.
            supervisors: run beside the script for its lifetime.
            grace: seconds past the run timeout before the run's own scope ends it (a
                child process gets that long to report its own timeout).
        """
        started = time.monotonic()
        deadline = math.inf
        if self.options.run_timeout is not None:
            deadline = anyio.current_time() + self.options.run_timeout + grace
        self.emit(StatusChanged(status="running"))
        outcome = ScriptOutcome("failed", error="run ended before the script started")
        with anyio.CancelScope(deadline=deadline) as scope:
            self._scope = scope
            async with AsyncExitStack() as stack:
                problem = await self._enter_backend(stack)
                if problem is not None:
                    outcome = ScriptOutcome("failed", error=problem)
                else:
                    async with anyio.create_task_group() as tg:
                        for supervisor in supervisors:
                            tg.start_soon(supervisor, self)
                        if supervisors:
                            await anyio.lowlevel.checkpoint()  # let supervisors start first
                        outcome = await script(self)
                        tg.cancel_scope.cancel()
        error_type: str | None = None
        if scope.cancel_called or self._halt is not None:
            outcome, error_type = self._ended_outcome(outcome, scope.cancelled_caught)
        elif self.ledger.policy_error is not None and outcome.status in ("completed", "failed"):
            # the policy ends the run failed, even when the script caught the refusals
            outcome = ScriptOutcome("failed", error=str(self.ledger.policy_error))
            error_type = type(self.ledger.policy_error).__name__
        elif (self.options.run_timeout is not None
              and outcome.error == str(RunTimeout(self.options.run_timeout))):
            error_type = RunTimeout.__name__  # the script's side saw the deadline first
        result = RunResult(
            status=outcome.status, value=outcome.value, error=outcome.error,
            logs=tuple(self._logs), phases=tuple(self._phases), agents=tuple(self.ledger.records),
            usage=self.ledger.usage, duration=time.monotonic() - started, run_id=self.run_id,
            error_type=error_type,
        )
        self.emit(StatusChanged(status=result.status))
        return result

    async def _enter_backend(self, stack: AsyncExitStack) -> str | None:
        """Enter a backend that is an async context manager for the run's lifetime (its
        MCP servers start with the run and stop after it); the error when it cannot."""
        backend: Any = self.backend
        if not hasattr(backend, "__aenter__") or not hasattr(backend, "__aexit__"):
            return None
        try:
            await stack.enter_async_context(backend)
        except Exception as exc:
            return f"the backend could not start: {type(exc).__name__}: {exc}"
        return None

    def broken(self, error: str) -> RunResult:
        """The result of a run whose runtime state broke: failed, with what it accounted."""
        return RunResult(status="failed", error=error, logs=tuple(self._logs),
                         phases=tuple(self._phases), agents=tuple(self.ledger.records),
                         usage=self.ledger.usage, run_id=self.run_id)

    def _ended_outcome(self, outcome: ScriptOutcome,
                       cut_short: bool) -> tuple[ScriptOutcome, str | None]:
        """The outcome of a run that was stopped, halted or timed out around the script,
        and the class of what ended it."""
        if self._stopped:
            return ScriptOutcome("stopped", error="run stopped"), None
        if self._halt is not None and self._halt.reason is not None:
            reason = self._halt.reason
            return ScriptOutcome("failed", error=str(reason)), type(reason).__name__
        if cut_short:
            timeout = RunTimeout(self.options.run_timeout or 0.0)
            return ScriptOutcome("failed", error=str(timeout)), type(timeout).__name__
        return outcome, None
