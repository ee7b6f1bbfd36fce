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

import functools
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel

from .._event_loop import loop_turn
from .._frontends import CompiledWorkflow, compile_file
from .._json_schema import schema_validator
from .._options import RunOptions
from .._types import (
    AgentRecord,
    AgentRequest,
    RunResult,
    request_with_budget_gate,
    request_with_call_key,
)
from ..backends import AgentBackend
from ..backends._agent_types import AgentTypes
from ..backends._grants import grant_for
from ..errors import (
    AgentLimitExceeded,
    BackendConfigError,
    FlowError,
    QuotaExhausted,
    RunError,
)
from ._agent_call import call_agent
from ._control import HaltListener, RunControl
from ._deadlines import AgentDeadlines
from ._events import (
    AgentFinished,
    AgentStarted,
    LogLine,
    Observer,
    PhaseStarted,
    RunEvent,
)
from ._halt import Halt
from ._isolation import Workspaces
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
        self.control = RunControl(self.emit, self.note)
        """Stop, pause, halt and the quota pause."""
        self.workspaces = Workspaces(options.cwd, run_id, options.worktree_base,
                                     remote=options.distributed)
        """Where agents work: the project directory, or a git worktree each."""
        self.deadlines = AgentDeadlines()
        """The agents' timeouts, enforced by one watchdog task while the run executes."""
        self._capped = options.budget is not None or options.max_cost is not None
        """A token budget or a cost cap applies (each agent gets a budget gate)."""
        self._call_keys = bool(getattr(backend, "needs_call_key", False))
        """The backend names its work by the journal's key (``request.call_key``)."""
        self._scope_later = bool(getattr(backend, "opens_no_scope_before_waiting", False))
        """The backend opens no cancel scope before it first waits (``call_agent``)."""
        self._group_commit: Callable[[str, AgentRecord], Awaitable[None]] | None = (
            getattr(journal, "commit", None))
        """The journal's group commit (:class:`~._journal.GroupCommitJournal`), if it has
        one: its wait for the loop turn is the turn an answer waits for before booking."""
        self._turn = loop_turn()
        """A checkpoint of the loop the run was made in (a run is made in the task that
        executes it)."""

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
        validator = self._admit(request)
        if request.isolation is not None:
            await self.workspaces.check(request.isolation)  # IsolationError before dispatch
        index = self.agents_started  # counted against the cap; its 0-based start order
        self.agents_started = index + 1
        if self._capped:
            request = request_with_budget_gate(request, self.ledger.gate(
                index, self.options.budget, self.options.max_cost))
        journal = self.journal
        key = ""
        if journal is not None:
            key = self.keys.key(request)
            replayed = journal.replay(key)
            if replayed is not None:
                return await self._replayed(index, key, request, *replayed)
        limiter, control = self.limiter, self.control
        acquired = sent = False
        try:
            if control.holding or not self._acquire_now(index):
                await self._acquire(index)
            acquired = True
            if control.holding:
                await control.wait_unpaused()
            refusal = self._refusal()  # the budget spent, or the policy tripped, meanwhile
            if refusal is not None:
                raise self._refuse(index, request, refusal, key)
            sent = True
            control.sent()
            if self._capped:
                # the calls the script made together with this one pass the budget gate
                # before it reports any usage (a backend reports each turn as it ends);
                # uncapped, the turn comes before its booking: the group commit's, or
                # _book's when no other agent started meanwhile
                await self._turn()
            gated = self.agents_started  # another start after this proves the loop had a turn
            if request.isolation is None:  # no coroutine of its own: a frame less per wake-up
                record, error = await self._on_backend(index, self.workspaces.shared(request),
                                                       validator, key)
                self._after_call(error)
            else:
                record = await self.workspaces.isolated(
                    index, request, functools.partial(self._answered, index, validator, key))
            if not key and self.agents_started != gated:
                output = self.record(index, key, record)  # it had its turn (see _book)
            else:
                output = await self._book(index, key, record, gated)
            reply = AgentReply(output, self.ledger.spent, None,  # no replay_seq: ran now
                               _worktree_json(record))
        except anyio.get_cancelled_exc_class():
            self._record_cut_short(index, key, request, sent=sent)
            raise
        finally:
            if acquired:
                limiter.release_on_behalf_of(index)
            if sent:
                control.returned()
        if control.quota is not None:
            await anyio.sleep_forever()  # the script sees nothing more: the run is pausing
        return reply

    def _acquire_now(self, index: int) -> bool:
        """Take a slot of the concurrency limiter for agent ``index`` if one is free (no
        trip through the loop); the agent's index is its borrower: unique, and no lookup
        of the current task."""
        try:
            self.limiter.acquire_on_behalf_of_nowait(index)
        except anyio.WouldBlock:
            return False
        return True

    async def _acquire(self, index: int) -> None:
        """Wait for the run to be unpaused, then for a slot of the limiter."""
        if self.control.holding:
            await self.control.wait_unpaused()
        await self.limiter.acquire_on_behalf_of(index)

    async def _replayed(self, index: int, key: str, request: AgentRequest,
                        done: AgentRecord, seq: int) -> AgentReply:
        """The reply of a call the journal holds finished (``done``, ``seq``-th to finish)."""
        # the calls made together with this one are replayed (or pass the gate) first
        await anyio.lowlevel.cancel_shielded_checkpoint()
        record = AgentRecord(request=request, status="replayed", output=done.output,
                             usage=done.usage, worktree=done.worktree)
        return AgentReply(self.record(index, key, record, journal=False),
                          self.spent, seq, _worktree_json(record))

    def refuse_unsent(self, request: AgentRequest) -> None:
        """Record a call the script made that was never sent because the run ended."""
        record = AgentRecord(request=request, status="refused", error=self.control.not_sent())
        try:
            self.record(self.agents_started, "", record, journal=False)
        except (Exception, Halt):
            pass  # the run is ending anyway

    def _admit(self, request: AgentRequest) -> Any:
        """Refuse a call that may not start (:meth:`_check_start`) or names an unusable
        agent type; the validator of its schema (None: no schema)."""
        self._check_start(request)
        validator = schema_validator(request.schema) if request.schema is not None else None
        if request.agent_type is not None:
            self._check_agent_type(request.agent_type)
        return validator

    def _check_start(self, request: AgentRequest) -> None:
        """Refuse a call that may not start: the run ending, the budget, the cost cap, the
        failure policy, the agent cap (recorded ``refused``, raised to the script)."""
        refusal = self._refusal()
        if refusal is None and self.agents_started >= self.options.max_agents:
            refusal = AgentLimitExceeded(self.options.max_agents)
        if refusal is not None:
            raise self._refuse(self.agents_started, request, refusal)

    def _refusal(self) -> RunError | None:
        """Why a new agent may not be sent now (the run ending, the budget, the cost cap,
        the failure policy), or None."""
        if self.control.halt is None and not self._capped and self.ledger.policy_error is None:
            return None  # the common case, asked twice per agent
        return (self.control.refusal()
                or self.ledger.refusal(self.options.budget, self.options.max_cost))

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

    def _on_backend(self, index: int, request: AgentRequest, validator: Any, key: str,
                    ) -> Coroutine[Any, Any, tuple[AgentRecord, Exception | None]]:
        """The agent's call on the backend, under its timeout (its request has its
        workspace; the backend gets the journal's ``key`` if it names its work by it)."""
        if self._call_keys and key:
            request = request_with_call_key(request, key)
        if self.observers:
            self.emit(AgentStarted(index=index, request=request))
        timeout = request.timeout if request.timeout is not None else self.options.agent_timeout
        return call_agent(
            self.backend, request, seconds=timeout, validator=validator,
            turns_usage=lambda: self.ledger.running_usage(index), deadlines=self.deadlines,
            scope_later=self._scope_later)

    def _after_call(self, error: Exception | None) -> None:
        """What an agent's error means for the run."""
        if isinstance(error, BackendConfigError):
            self.control.fail(error)  # no other agent can do better: end the run now
        elif isinstance(error, QuotaExhausted):
            self.control.pause_for_quota(error)

    async def _answered(self, index: int, validator: Any, key: str,
                        request: AgentRequest) -> AgentRecord:
        """:meth:`_on_backend`, and what its error means for the run (an isolated agent's
        call, in its worktree)."""
        record, error = await self._on_backend(index, request, validator, key)
        self._after_call(error)
        return record

    async def _book(self, index: int, key: str, record: AgentRecord, gated: int) -> Any:
        """Account an answered agent (``gated``: the agents started when it passed the
        gate); what ``agent()`` gives the script.

        The event loop has a turn before the booking: the calls the script made with it
        pass the run's gate first, and the tasks ready then run before the script sees it.
        The journal's group commit waits for that turn anyway, and an answer that waited
        for something had one (another agent started meanwhile proves it); otherwise it
        is taken here. The answer is paid for: if the run ends during the turn, it is
        booked before the cancellation goes on."""
        if key and self._group_commit is not None:
            return await self.record_batched(index, key, record)
        if not self._capped and self.agents_started == gated:
            try:
                await self._turn()
            except anyio.get_cancelled_exc_class():
                try:
                    self.record(index, key, record)
                except (Exception, Halt):
                    pass  # the run is ending anyway
                self._settled |= {index}  # finished, not cut short
                raise
        return self.record(index, key, record)

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
                                 error=self.control.not_sent())
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

    _settled: frozenset[int] = frozenset()
    """Agents accounted by :meth:`record_batched` whose wait for the commit was cancelled:
    finished, not cut short (:meth:`record` ignores a second account of them)."""

    def record(self, index: int, key: str, record: AgentRecord, *, journal: bool = True) -> Any:
        """Account one finished agent: usage, the records, the journal, the observers.

        Returns what ``agent()`` gives the script: the output, or None when it failed.
        The journal row is committed on its own before this returns (the script sees the
        result after): for the paths that cannot wait (refusals, agents cut short).
        """
        if index in self._settled:
            return None
        self._account(index, record)
        if journal and self.journal is not None:
            try:
                self.journal.record(key, record)
            except Exception as exc:
                raise self._journal_failed(exc) from exc
        return self._finished(index, record)

    async def record_batched(self, index: int, key: str, record: AgentRecord) -> Any:
        """:meth:`record` of an answered agent by the journal's group commit
        (:class:`~._journal.GroupCommitJournal`): the row shares one transaction with the
        agents finishing in the same loop turn, and this returns once that is durable.

        Uncapped, the agent is booked after the commit's loop turn: that turn is the one
        an answer waits for before its booking (:meth:`_book` takes no other). Capped,
        it is booked first, as its budget gate already saw its usage."""
        commit = self._group_commit
        assert commit is not None  # only called when the journal commits in groups
        booked = self._capped
        if booked:
            self._account(index, record)
        try:
            await commit(key, record)
        except anyio.get_cancelled_exc_class():
            self._settled |= {index}  # its row is committed: finished, not cut short
            if not booked:
                self._account(index, record)
            self._finished(index, record)
            raise
        except Exception as exc:
            if not booked:
                self._account(index, record)  # answered and paid for, whatever the journal
            raise self._journal_failed(exc) from exc  # every agent of the failed batch
        if not booked:
            self._account(index, record)
        return self._finished(index, record)

    def _account(self, index: int, record: AgentRecord) -> None:
        if self.ledger.add(index, record):
            self.note(f"failure policy: {self.ledger.policy_error}")
        if self.options.max_cost is not None and record.usage.unpriced_tokens:
            model = repr(record.request.model) if record.request.model else "the default model"
            self.control.fail(BackendConfigError(
                f"max_cost cannot be enforced: {model} has no known price (give it one in "
                "[tool.flowdsl.prices], or run without --max-cost)"))

    def _finished(self, index: int, record: AgentRecord) -> Any:
        if self.observers:
            self.emit(AgentFinished(index=index, record=record))
        return record.output if record.ok else None

    def _journal_failed(self, exc: Exception) -> Halt:
        """A journal that cannot record (a full disk) ends the run: it is no longer durable.

        Agents journaled before stay; the run fails with the journal's one-line error.
        """
        reason = exc if isinstance(exc, FlowError) else RunError(f"journal: {exc}")
        self.control.fail(reason)
        assert self.control.halt is not None
        return self.control.halt

    @property
    def spent(self) -> int:
        """Tokens of finished agents, and what running agents reported so far."""
        return self.ledger.spent

    @property
    def logs(self) -> tuple[str, ...]:
        """The narrator lines so far (what the result reports)."""
        return tuple(self._logs)

    @property
    def phases(self) -> tuple[str, ...]:
        """The phases entered so far, each once, in order."""
        return tuple(self._phases)

    def result(self, outcome: ScriptOutcome, *, duration: float = 0.0,
               error_type: str | None = None) -> RunResult:
        """The run's result for the script's ``outcome``, with what the run accounted."""
        control = self.control
        return RunResult(
            status=outcome.status, value=outcome.value, error=outcome.error,
            logs=self.logs, phases=self.phases, agents=tuple(self.ledger.records),
            usage=self.ledger.usage, duration=duration, run_id=self.run_id,
            error_type=error_type,
            resets_at=control.quota.resets_at if outcome.status == "paused" and control.quota
            else None,
        )


def _worktree_json(record: AgentRecord) -> dict[str, Any] | None:
    return record.worktree.to_json() if record.worktree is not None else None
