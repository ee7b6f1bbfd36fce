"""The span tree of one run, built from its events (:mod:`flowdsl._runtime._events`).

::

    invoke_workflow {name}              the run (INTERNAL)
    ├── phase {title}                   from phase() until the next phase and its agents end
    │   └── invoke_agent {label}        one agent() call (INTERNAL: the loop runs here)
    │       └── execute_tool {tool}     one tool call of the agent
    └── invoke_agent {label}            an agent outside any open phase

Names and attributes follow the OpenTelemetry GenAI semantic conventions
(``gen_ai.operation.name``, ``gen_ai.workflow.name``, ``gen_ai.agent.name``,
``gen_ai.provider.name``, ``gen_ai.request.model``, ``gen_ai.output.type``,
``gen_ai.usage.input_tokens`` / ``output_tokens``, ``gen_ai.tool.name``, ``error.type``);
what they have no name for is under ``flowdsl.`` (run id, outcome, cost, tool timing).

Spans get the times the events happened (the agent's start and end; a tool's start and
duration relative to its agent, where the backend measured them). Agents that never
started - refused by the budget, the cap or the failure policy, or replayed from the
journal - are zero-length spans at the moment they were accounted, with their outcome;
replayed agents carry no usage (they cost nothing this time). Tool calls the backend did
not time (the claude and codex CLIs) are zero-length spans at the agent's end marked
``flowdsl.tool.timing = "unknown"``. Prompts, outputs and tool arguments are never
recorded: the conventions make content opt-in.

The tracer never raises into the run: a failure inside it stops the tracing and is kept
in :attr:`RunTracer.problem` for one warning line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, set_span_in_context

from .._runtime import AgentFinished, AgentStarted, PhaseStarted, RunEvent, StatusChanged
from .._types import AgentRecord, AgentRequest, RunResult, ToolCall, outcome_of

__all__ = ["PROVIDERS", "RunTracer"]

PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "claude": "anthropic",
             "codex": "openai"}
"""``gen_ai.provider.name`` of the shipped backends; any other backend is named as given."""

_FINAL = frozenset({"completed", "failed", "stopped", "interrupted"})
_ERROR_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*):")
_MAX_DESCRIPTION = 500


@dataclass(slots=True)
class _Phase:
    span: Span
    context: Context
    running: int = 0
    ending: bool = False
    """The next phase started: end when the agents still running in this one are done."""


@dataclass(slots=True)
class _Agent:
    span: Span
    start: int
    phase: _Phase | None


@dataclass(slots=True)
class _Totals:
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_tokens: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class RunTracer:
    """An observer that turns one run's events into spans; :meth:`close` ends them.

    Args:
        tracer: the tracer of the provider the spans go to.
        workflow: the workflow's name.
        run_id: the stored run's id (None: an unstored run).
        backend: the run's backend name (``gen_ai.provider.name``).
        clock: nanoseconds since the epoch (tests pass a fake one).
    """

    def __init__(self, tracer: Tracer, *, workflow: str, run_id: str | None,
                 backend: str | None, clock: Callable[[], int] = time.time_ns) -> None:
        self.tracer = tracer
        self.clock = clock
        self.provider = PROVIDERS.get(backend or "", backend or "_OTHER")
        self.problem: str | None = None
        attributes: dict[str, str] = {"gen_ai.operation.name": "invoke_workflow",
                                      "gen_ai.workflow.name": workflow,
                                      "flowdsl.workflow.name": workflow}
        if run_id is not None:
            attributes["flowdsl.run.id"] = run_id
        self.run = tracer.start_span(f"invoke_workflow {workflow}", kind=SpanKind.INTERNAL,
                                     attributes=attributes, start_time=clock())
        self.context = set_span_in_context(self.run)
        self.phases: dict[str, _Phase] = {}
        self.current: str | None = None
        self.agents: dict[int, _Agent] = {}
        self.totals = _Totals()
        self.status: str | None = None
        self.closed = False

    # -- events ---------------------------------------------------------------------------

    def __call__(self, event: RunEvent) -> None:
        if self.closed or self.problem is not None:
            return
        try:
            self._on(event)
        except Exception as exc:  # tracing must never break the run it watches
            self.problem = f"{type(exc).__name__}: {exc}"

    def _on(self, event: RunEvent) -> None:
        if isinstance(event, AgentStarted):
            self._started(event.index, event.request)
        elif isinstance(event, AgentFinished):
            self._finished(event.index, event.record)
        elif isinstance(event, PhaseStarted):
            self._phase(event.title)
        elif isinstance(event, StatusChanged):
            self.status = event.status
            if event.status == "paused":
                self.run.add_event("paused", timestamp=self.clock())
            elif event.status in _FINAL:
                self._end_children()

    def _phase(self, title: str) -> None:
        if title == self.current:
            return
        now = self.clock()
        if self.current is not None:
            self._leave(self.phases[self.current], now)
        self.current = title
        phase = self.phases.get(title)
        if phase is not None:  # entered again while its agents still ran: it goes on
            phase.ending = False
            return
        span = self.tracer.start_span(f"phase {title}", context=self.context,
                                      kind=SpanKind.INTERNAL, start_time=now,
                                      attributes={"flowdsl.phase": title})
        self.phases[title] = _Phase(span, set_span_in_context(span))

    def _leave(self, phase: _Phase, now: int) -> None:
        phase.ending = True
        if phase.running == 0:
            self._end_phase(phase, now)

    def _end_phase(self, phase: _Phase, now: int) -> None:
        phase.span.end(end_time=now)
        title = next(t for t, p in self.phases.items() if p is phase)
        del self.phases[title]

    def _started(self, index: int, request: AgentRequest) -> None:
        phase = self.phases.get(request.phase) if request.phase is not None else None
        now = self.clock()
        span = self._agent_span(request, phase, now)
        span.set_attribute("flowdsl.agent.index", index)
        if phase is not None:
            phase.running += 1
        self.agents[index] = _Agent(span, now, phase)

    def _agent_span(self, request: AgentRequest, phase: _Phase | None, now: int) -> Span:
        name = request.label or request.agent_type
        attributes: dict[str, str] = {"gen_ai.operation.name": "invoke_agent",
                                      "gen_ai.provider.name": self.provider,
                                      "gen_ai.output.type": "json" if request.schema else "text"}
        if name:
            attributes["gen_ai.agent.name"] = name
        if request.model:
            attributes["gen_ai.request.model"] = request.model
        if request.phase:
            attributes["flowdsl.phase"] = request.phase
        if request.agent_type:
            attributes["flowdsl.agent.type"] = request.agent_type
        if request.isolation:
            attributes["flowdsl.agent.isolation"] = request.isolation
        return self.tracer.start_span(
            f"invoke_agent {name}" if name else "invoke_agent", kind=SpanKind.INTERNAL,
            context=phase.context if phase is not None else self.context,
            attributes=attributes, start_time=now)

    def _finished(self, index: int, record: AgentRecord) -> None:
        now = self.clock()
        agent = self.agents.pop(index, None)
        if agent is None:  # refused or replayed: it never started, a moment of the run
            phase = self.phases.get(record.request.phase) if record.request.phase else None
            agent = _Agent(self._agent_span(record.request, phase, now), now, None)
            agent.span.set_attribute("flowdsl.agent.index", index)
        self._outcome(agent.span, record)
        if record.status != "replayed":
            for call in record.tool_calls:
                self._tool(agent, call, now)
        agent.span.end(end_time=now)
        phase = agent.phase
        if phase is not None:
            phase.running -= 1
            if phase.ending and phase.running == 0:
                self._end_phase(phase, now)

    def _outcome(self, span: Span, record: AgentRecord) -> None:
        outcome = outcome_of(record.status)
        totals = self.totals
        totals.outcomes[outcome] = totals.outcomes.get(outcome, 0) + 1
        span.set_attribute("flowdsl.agent.outcome", outcome)
        span.set_attribute("flowdsl.agent.status", record.status)
        if record.status != "replayed":  # paid for in the run that journaled it
            usage = record.usage
            span.set_attribute("gen_ai.usage.input_tokens", usage.input_tokens)
            span.set_attribute("gen_ai.usage.output_tokens", usage.output_tokens)
            cost = usage.known_cost()
            if cost is not None:
                span.set_attribute("flowdsl.cost_usd", cost)
            if usage.unpriced_tokens:
                span.set_attribute("flowdsl.usage.unpriced_tokens", usage.unpriced_tokens)
            if usage.estimated:
                span.set_attribute("flowdsl.usage.estimated", True)
            totals.input_tokens += usage.input_tokens
            totals.output_tokens += usage.output_tokens
            totals.cost_usd += usage.cost_usd
            totals.unpriced_tokens += usage.unpriced_tokens
        if record.worktree is not None:
            span.set_attribute("flowdsl.agent.branch", record.worktree.branch)
        if not record.ok:
            span.set_attribute("error.type", _error_type(record))
            span.set_status(Status(StatusCode.ERROR, _short(record.error or record.status)))

    def _tool(self, agent: _Agent, call: ToolCall, end: int) -> None:
        attributes: dict[str, str | int] = {"gen_ai.operation.name": "execute_tool",
                                            "gen_ai.tool.name": call.name,
                                            "flowdsl.tool.result_chars": call.result_chars}
        if call.started is not None and call.duration is not None:
            start = min(agent.start + int(call.started * 1e9), end)
            stop = min(start + int(call.duration * 1e9), end)
        else:
            start = stop = end
            attributes["flowdsl.tool.timing"] = "unknown"
        span = self.tracer.start_span(f"execute_tool {call.name}", kind=SpanKind.INTERNAL,
                                      context=set_span_in_context(agent.span),
                                      attributes=attributes, start_time=start)
        if call.error is not None:
            span.set_attribute("error.type", "_OTHER")
            span.set_status(Status(StatusCode.ERROR, _short(call.error)))
        span.end(end_time=stop)

    # -- the end --------------------------------------------------------------------------

    def _end_children(self) -> None:
        """End what is still open below the run (agents the run's end left unaccounted)."""
        now = self.clock()
        for agent in self.agents.values():
            agent.span.set_attribute("flowdsl.agent.outcome", "unfinished")
            agent.span.end(end_time=now)
        self.agents.clear()
        for phase in list(self.phases.values()):
            self._end_phase(phase, now)
        self.current = None

    def close(self, result: RunResult | None = None) -> None:
        """End every open span, the run's last, with the run's outcome (``result``: its
        status and error; without it, the last status the events told)."""
        if self.closed:
            return
        self.closed = True
        try:
            self._end_children()
            self._close_run(result)
        except Exception as exc:
            self.problem = self.problem or f"{type(exc).__name__}: {exc}"

    def _close_run(self, result: RunResult | None) -> None:
        run, totals = self.run, self.totals
        status = result.status if result is not None else (self.status or "interrupted")
        run.set_attribute("flowdsl.run.status", status)
        run.set_attribute("flowdsl.run.input_tokens", totals.input_tokens)
        run.set_attribute("flowdsl.run.output_tokens", totals.output_tokens)
        if totals.unpriced_tokens == 0 or totals.cost_usd:
            run.set_attribute("flowdsl.cost_usd", totals.cost_usd)
        for outcome, count in sorted(totals.outcomes.items()):
            run.set_attribute(f"flowdsl.agents.{outcome}", count)
        if status not in ("completed", "paused"):
            error_type = (result.error_type if result is not None else None) or status
            run.set_attribute("error.type", error_type)
            error = result.error if result is not None else None
            run.set_status(Status(StatusCode.ERROR, _short(error or status)))
        run.end(end_time=self.clock())


def _error_type(record: AgentRecord) -> str:
    """A low-cardinality class of how the agent failed: the error's class name when the
    message starts with one (``BackendError: ...``), else its status, else ``_OTHER``."""
    if record.status == "timeout":
        return "AgentTimeout"
    match = _ERROR_NAME.match(record.error or "")
    if match is not None:
        return match.group(1)
    return record.status if record.status in ("refused", "cancelled") else "_OTHER"


def _short(text: str) -> str:
    return text if len(text) <= _MAX_DESCRIPTION else text[:_MAX_DESCRIPTION] + " [...]"
