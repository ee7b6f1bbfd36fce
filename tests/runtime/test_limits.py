"""Agent cap, budget gate, per-agent timeout and the run's wall-clock limit."""

from __future__ import annotations

import time

import anyio
import pytest

import flowdsl
from flowdsl import AgentRequest, AgentResult, Usage
from flowdsl.testing import FunctionBackend, SleepBackend


def test_call_past_the_agent_cap_raises(script):
    body = '''
    n = 0
    try:
        for i in range(5):
            await agent(str(i))
            n += 1
    except AgentLimitExceeded as exc:
        return [n, str(exc)]
    '''
    result = flowdsl.run(script(body), backend=FunctionBackend(lambda r: "x"), max_agents=3)
    assert result.value == [3, "agent limit of 3 reached: the run may start at most 3"]


def test_default_agent_cap_is_1000(script):
    body = 'await parallel(agent(str(i)) for i in range(1000))\nawait agent("one more")'
    result = flowdsl.run(script(body), backend=FunctionBackend(lambda r: "x"))
    assert result.status == "failed"
    assert "agent limit of 1,000 reached" in (result.error or "")
    assert result.outcomes() == {"total": 1001, "ok": 1000, "failed": 0, "refused": 1,
                                 "cancelled": 0, "replayed": 0}


def test_budget_gate_raises_once_spent_reaches_total(script):
    backend = FunctionBackend(
        lambda r: AgentResult(output="x", usage=Usage(input_tokens=30, output_tokens=20))
    )
    body = '''
    done = 0
    try:
        while True:
            await agent("q")
            done += 1
    except BudgetExceeded as exc:
        return [done, budget.spent(), budget.remaining(), str(exc)]
    '''
    result = flowdsl.run(script(body), backend=backend, budget=120)
    assert result.value == [3, 150, 0, "budget of 120 tokens exhausted (spent 150)"]


def test_budget_without_total_is_unlimited(script):
    result = flowdsl.run(script('return [budget.total, budget.remaining() > 10**12]'),
                         backend=FunctionBackend(lambda r: "x"))
    assert result.value == [None, True]


def test_agent_timeout_returns_none_and_cancels_the_call(script):
    cancelled = []

    async def hang(request: AgentRequest) -> str:
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            cancelled.append(request.prompt)
            raise
        return "never"

    start = time.monotonic()
    result = flowdsl.run(script('return await agent("slow", timeout=0.2)'),
                         backend=FunctionBackend(hang))
    elapsed = time.monotonic() - start
    assert result.value is None
    assert result.agents[0].status == "timeout"
    assert cancelled == ["slow"]
    assert 0.15 < elapsed < 2.0


def test_run_level_agent_timeout_applies_to_every_call(script):
    start = time.monotonic()
    result = flowdsl.run(script('return await parallel(agent(str(i)) for i in range(20))'),
                         backend=SleepBackend(30), agent_timeout=0.3)
    assert result.value == [None] * 20
    assert time.monotonic() - start < 3.0


def test_cpu_bound_loop_stops_at_the_run_timeout(script):
    start = time.monotonic()
    result = flowdsl.run(script('while True:\n    pass'), backend=SleepBackend(), run_timeout=0.3)
    elapsed = time.monotonic() - start
    assert result.status == "failed"
    assert "wall-clock limit of 0.3 s" in (result.error or "")
    assert elapsed < 3.0


def test_huge_comprehension_stops_at_the_run_timeout(script):
    result = flowdsl.run(script('return len([i for i in range(10**9)])'), backend=SleepBackend(),
                         run_timeout=0.3)
    assert result.status == "failed"
    assert "RunTimeout" in (result.error or "") or "wall-clock" in (result.error or "")


def test_waiting_on_agents_stops_at_the_run_timeout(script):
    start = time.monotonic()
    result = flowdsl.run(script('await agent("x")'), backend=SleepBackend(30), run_timeout=0.3)
    assert result.status == "failed"
    assert "wall-clock limit" in (result.error or "")
    assert time.monotonic() - start < 3.0


def test_script_cannot_swallow_the_run_timeout(script):
    body = '''
    while True:
        try:
            while True:
                pass
        except Exception:
            pass
    '''
    result = flowdsl.run(script(body), backend=SleepBackend(), run_timeout=0.3)
    assert result.status == "failed"


def test_budget_gate_stops_a_fan_out_before_dispatch(script):
    backend = SleepBackend(0.01, usage=Usage(input_tokens=5, output_tokens=5))
    body = 'return len([r for r in await parallel(agent(str(i)) for i in range(100)) if r])'
    result = flowdsl.run(script(body), backend=backend, budget=50, concurrency=2)
    # Five agents reach the budget; at most the other in-flight slot's agent overshoots.
    assert 5 <= backend.calls <= 6
    assert result.value == backend.calls


CATCHABLE = ["FlowError", "BudgetExceeded", "CostLimitExceeded", "AgentLimitExceeded",
             "ItemLimitExceeded", "FailurePolicyExceeded", "SchemaError", "AgentTypeError",
             "IsolationError", "WorkflowNestingError"]


@pytest.mark.parametrize("name", CATCHABLE)
def test_every_error_agent_calls_raise_can_be_named_in_an_except(script, name):
    body = f'''
    try:
        await agent("q")
    except {name}:
        return "caught"
    known = {name}
    return "named"
    '''
    result = flowdsl.run(script(body), backend=FunctionBackend(lambda r: "x"))
    assert result.value == "named", result.error
