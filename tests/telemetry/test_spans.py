"""The span tree of a run (``flowdsl._telemetry._spans``), collected in memory: phases,
a fan-out, a failed agent, an agent refused by the budget, a tool-using agent, replays."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import anyio
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

import flowdsl
from flowdsl._types import AgentRequest, AgentResult, ToolCall, Usage
from flowdsl.errors import BackendError
from flowdsl.testing import FunctionBackend

SCRIPT = '''\
meta = {"name": "traced", "description": "a run to trace"}
phase("Plan")
await agent("plan the work", label="planner", model="m-plan")
phase("Work")
await parallel(agent(f"do part {i}", label=f"worker {i}") for i in range(3))
await agent("this one breaks", label="breaker")
phase("Tools")
await agent("use the tools", label="tooler", schema={"type": "object"})
phase("Spend")
try:
    await agent("one too many", label="late")
except BudgetExceeded:
    log("refused")
return "done"
'''

TOOLS = (ToolCall(name="read", arguments={"path": "a"}, result_chars=10, started=0.01,
                  duration=0.02),
         ToolCall(name="bash", arguments={"command": "rm -rf ."}, error="command refused",
                  started=0.04, duration=0.001),
         ToolCall(name="grep", arguments={"pattern": "x"}, result_chars=3))
"""Two timed calls (the API backends) and one the backend did not time (the CLI ones)."""


async def answer(request: AgentRequest) -> Any:
    if request.label == "breaker":
        raise BackendError("the model said no", usage=Usage(input_tokens=5))
    if request.label == "tooler":
        await anyio.sleep(0.2)  # longer than its tools: their places are as measured
        return AgentResult(output={}, tool_calls=TOOLS,
                           usage=Usage(input_tokens=1500, output_tokens=600, cost_usd=0.25))
    return AgentResult(output="ok", usage=Usage(input_tokens=10, output_tokens=10,
                                                cost_usd=0.001))


def by_name(spans: list[ReadableSpan]) -> dict[str, ReadableSpan]:
    named = {s.name: s for s in spans}
    assert len(named) == len(spans), [s.name for s in spans]
    return named


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.span_id


@pytest.fixture
def traced(tmp_path: Path, memory: Any) -> tuple[flowdsl.RunResult, dict[str, ReadableSpan]]:
    path = tmp_path / "traced.flow.py"
    path.write_text(SCRIPT, encoding="utf-8")
    result = flowdsl.run(path, backend=FunctionBackend(answer), budget=2000,
                         isolation="inline", tracer_provider=memory.provider)
    return result, by_name(memory.spans())


def test_the_run_is_one_trace_under_its_invoke_workflow_span(traced: Any) -> None:
    result, spans = traced
    assert result.status == "completed"
    root = spans["invoke_workflow traced"]
    assert root.parent is None
    assert root.kind is SpanKind.INTERNAL
    assert {s.context.trace_id for s in spans.values()} == {root.context.trace_id}
    assert dict(root.attributes or {}) == {
        "gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "traced",
        "flowdsl.workflow.name": "traced", "flowdsl.run.status": "completed",
        "flowdsl.run.input_tokens": result.usage.input_tokens,
        "flowdsl.run.output_tokens": result.usage.output_tokens,
        "flowdsl.cost_usd": pytest.approx(result.usage.cost_usd),
        **{f"flowdsl.agents.{k}": n for k, n in result.outcomes().items() if n and k != "total"}}
    assert result.outcomes()["refused"] == result.outcomes()["failed"] == 1


def test_each_phase_is_a_span_under_the_run_in_order(traced: Any) -> None:
    _, spans = traced
    phases = [spans[f"phase {t}"] for t in ("Plan", "Work", "Tools", "Spend")]
    root = span_id(spans["invoke_workflow traced"])
    assert [parent_of(p) for p in phases] == [root] * 4
    assert all(a.end_time <= b.start_time for a, b in itertools.pairwise(phases))
    assert phases[1].attributes == {"flowdsl.phase": "Work"}


def test_agents_are_invoke_agent_spans_under_their_phase(traced: Any) -> None:
    _, spans = traced
    work = span_id(spans["phase Work"])
    fanned = [spans[f"invoke_agent worker {i}"] for i in range(3)]
    assert [parent_of(s) for s in fanned] == [work] * 3
    assert parent_of(spans["invoke_agent planner"]) == span_id(spans["phase Plan"])
    planner = spans["invoke_agent planner"]
    assert planner.kind is SpanKind.INTERNAL
    assert {k: v for k, v in (planner.attributes or {}).items() if k != "flowdsl.agent.index"} == {
        "gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "_OTHER",
        "gen_ai.agent.name": "planner", "gen_ai.request.model": "m-plan",
        "gen_ai.output.type": "text", "flowdsl.phase": "Plan",
        "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 10,
        "flowdsl.cost_usd": 0.001, "flowdsl.agent.outcome": "ok",
        "flowdsl.agent.status": "ok"}
    assert planner.status.status_code is StatusCode.UNSET


def test_a_failed_agent_carries_its_error_type_and_what_it_spent(traced: Any) -> None:
    _, spans = traced
    breaker = spans["invoke_agent breaker"]
    assert parent_of(breaker) == span_id(spans["phase Work"])
    attributes = breaker.attributes or {}
    assert (attributes["error.type"], attributes["flowdsl.agent.outcome"],
            attributes["gen_ai.usage.input_tokens"]) == ("BackendError", "failed", 5)
    assert breaker.status.status_code is StatusCode.ERROR
    assert "the model said no" in (breaker.status.description or "")


def test_an_agent_the_budget_refused_is_a_zero_length_span_in_its_phase(traced: Any) -> None:
    _, spans = traced
    late = spans["invoke_agent late"]
    attributes = late.attributes or {}
    assert parent_of(late) == span_id(spans["phase Spend"])
    assert late.start_time == late.end_time
    assert (attributes["flowdsl.agent.outcome"], attributes["error.type"],
            attributes["gen_ai.usage.input_tokens"]) == ("refused", "BudgetExceeded", 0)
    assert late.status.status_code is StatusCode.ERROR


def test_tool_calls_are_execute_tool_spans_placed_as_measured(traced: Any) -> None:
    _, spans = traced
    tooler = spans["invoke_agent tooler"]
    assert (tooler.attributes or {})["gen_ai.output.type"] == "json"
    read, bash, grep = (spans[f"execute_tool {n}"] for n in ("read", "bash", "grep"))
    assert {parent_of(s) for s in (read, bash, grep)} == {span_id(tooler)}
    assert (read.start_time - tooler.start_time, read.end_time - read.start_time) == (
        10_000_000, 20_000_000)
    assert bash.start_time - tooler.start_time == 40_000_000
    assert dict(read.attributes or {}) == {"gen_ai.operation.name": "execute_tool",
                                           "gen_ai.tool.name": "read",
                                           "flowdsl.tool.result_chars": 10}
    assert bash.status.status_code is StatusCode.ERROR
    assert (bash.attributes or {})["error.type"] == "_OTHER"


def test_a_tool_call_without_timing_sits_at_its_agents_end_marked_unknown(
        traced: Any) -> None:
    _, spans = traced
    grep, tooler = spans["execute_tool grep"], spans["invoke_agent tooler"]
    assert grep.start_time == grep.end_time == tooler.end_time
    assert (grep.attributes or {})["flowdsl.tool.timing"] == "unknown"


def test_a_resumed_run_marks_replayed_agents_and_counts_no_usage(
        tmp_path: Path, memory: Any) -> None:
    path = tmp_path / "replay.flow.py"
    path.write_text('meta = {"name": "replay", "description": "d"}\n'
                    'phase("Ask")\n'
                    'await agent("first", label="first")\n'
                    'if not args:\n'
                    '    raise ValueError("stop here")\n', encoding="utf-8")
    backend = FunctionBackend(answer)
    first = flowdsl.run(path, backend=backend, journal=True, isolation="inline",
                        store=str(tmp_path / "store"))
    assert first.status == "failed"
    assert first.run_id is not None
    memory.exporter.clear()
    flowdsl.resume(first.run_id, store=str(tmp_path / "store"), backend=backend,
                   tracer_provider=memory.provider)
    spans = by_name(memory.spans())
    replayed = spans["invoke_agent first"]
    attributes = replayed.attributes or {}
    assert attributes["flowdsl.agent.outcome"] == "replayed"
    assert "gen_ai.usage.input_tokens" not in attributes
    assert replayed.start_time == replayed.end_time
    assert parent_of(replayed) == span_id(spans["phase Ask"])
    root = spans["invoke_workflow replay"]
    assert (root.attributes or {})["flowdsl.run.id"] == first.run_id
    assert root.status.status_code is StatusCode.ERROR
    assert (root.attributes or {})["flowdsl.run.input_tokens"] == 0


def test_a_phase_left_while_its_agents_run_ends_when_the_last_of_them_does(
        memory: Any) -> None:
    from flowdsl._runtime import AgentFinished, AgentStarted, PhaseStarted, StatusChanged
    from flowdsl._telemetry._spans import RunTracer
    from flowdsl._types import AgentRecord

    ticks = iter(range(1_000, 100_000, 1_000))
    tracer = RunTracer(memory.provider.get_tracer("t"), workflow="w", run_id="r1",
                       backend="claude", clock=lambda: next(ticks))
    slow = AgentRequest(prompt="p", label="slow", phase="A")
    for event in (PhaseStarted(title="A"), AgentStarted(index=0, request=slow),
                  PhaseStarted(title="B"),
                  AgentFinished(index=0, record=AgentRecord(request=slow, status="ok")),
                  StatusChanged(status="completed")):
        tracer(event)
    tracer.close()
    spans = by_name(memory.spans())
    a, b, agent = spans["phase A"], spans["phase B"], spans["invoke_agent slow"]
    assert b.start_time < agent.end_time == a.end_time
    assert parent_of(agent) == span_id(a)
    assert (agent.attributes or {})["gen_ai.provider.name"] == "anthropic"
    assert tracer.problem is None
