"""Every agent() call ends in one outcome: ok, failed, refused, cancelled or replayed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

import flowdsl
from flowdsl import AgentRequest, AgentResult, Usage
from flowdsl.errors import BackendError
from flowdsl.testing import FunctionBackend

TOKENS = Usage(input_tokens=100, output_tokens=20)


def costly(request: AgentRequest) -> AgentResult:
    return AgentResult(output="ok", usage=TOKENS)


@pytest.mark.parametrize("isolation", ["inline", "process"])
def test_budget_refusals_are_records(script: Callable[..., Path], isolation: str) -> None:
    result = flowdsl.run(script('return await parallel(agent(str(i)) for i in range(10))'),
                         backend=FunctionBackend(costly), budget=300, concurrency=1,
                         isolation=isolation)
    assert result.status == "completed"
    assert result.outcomes() == {"total": 10, "ok": 3, "failed": 0, "refused": 7,
                                 "cancelled": 0, "replayed": 0}
    refused = [a for a in result.agents if a.status == "refused"]
    assert all((a.error or "").startswith("BudgetExceeded: budget of 300 tokens")
               for a in refused)
    assert all(a.usage.total_tokens == 0 for a in refused)


def test_a_policy_refusal_the_script_catches_still_fails_the_run(
        script: Callable[..., Path]) -> None:
    def fail(request: AgentRequest) -> str:
        raise BackendError("HTTP 500")

    path = script('''
        results = []
        for i in range(6):
            try:
                results.append(await agent(str(i)))
            except Exception:
                results.append("refused")
        return results
    ''')
    result = flowdsl.run(path, backend=FunctionBackend(fail), max_failures="2",
                         isolation="inline")
    assert result.status == "failed"
    assert result.error_type == "FailurePolicyExceeded"
    assert result.outcomes()["failed"] == 3
    assert result.outcomes()["refused"] == 3


@pytest.mark.parametrize(("isolation", "refused"), [
    ("process", 3),  # the child asked for all five; three waited in the run's queue
    ("inline", 0),   # parallel() pulls items as slots free up: three were never called
])
def test_a_stop_cancels_running_agents_and_refuses_waiting_ones(
        script: Callable[..., Path], isolation: str, refused: int) -> None:
    async def slow(request: AgentRequest) -> str:
        await anyio.sleep(10)
        return "late"

    result = flowdsl.run(script('return await parallel(agent(str(i)) for i in range(5))'),
                         backend=FunctionBackend(slow), concurrency=2, run_timeout=0.5,
                         isolation=isolation)
    assert result.status == "failed"
    assert result.error_type == "RunTimeout"
    counts = result.outcomes()
    assert (counts["cancelled"], counts["refused"]) == (2, refused)


def test_a_config_error_ends_the_run_and_sends_nothing_more(
        script: Callable[..., Path]) -> None:
    from flowdsl.errors import BackendConfigError

    backend = FunctionBackend(lambda r: (_ for _ in ()).throw(BackendConfigError("bad key")))
    result = flowdsl.run(script('return await parallel(agent(str(i)) for i in range(5))'),
                         backend=backend, concurrency=1, isolation="inline")
    assert result.status == "failed"
    assert result.error_type == "BackendConfigError"
    assert result.error == "bad key"
    assert len(backend.requests) == 1
