"""Every agent() call ends in one outcome: ok, failed, refused, cancelled or replayed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

import flowdsl
from flowdsl import AgentRequest, AgentResult, Usage
from flowdsl.errors import BackendError, QuotaExhausted
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
    ("inline", 0),   # agent() items share the fan-out's workers: three were never sent
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


def quota_after(n: int) -> Callable[[AgentRequest], AgentResult]:
    calls = iter(range(10**6))

    def answer(request: AgentRequest) -> AgentResult:
        if next(calls) >= n:
            raise QuotaExhausted("quota exhausted (insufficient_quota)", resets_at=2e9)
        return AgentResult(output="ok", usage=TOKENS)

    return answer


@pytest.mark.parametrize("isolation", ["inline", "process"])
def test_quota_ends_the_run_paused_and_sends_nothing_after(script: Callable[..., Path],
                                                           isolation: str) -> None:
    result = flowdsl.run(script('''
        done = []
        for i in range(10):
            try:
                done.append(await agent(str(i)))
            except Exception:
                done.append(None)
        return done
    '''), backend=FunctionBackend(quota_after(4)), isolation=isolation)
    assert result.status == "paused"
    assert result.error_type == "QuotaExhausted"
    assert result.resets_at == 2e9
    assert result.outcomes()["ok"] == 4
    assert result.outcomes()["failed"] == 1  # the refused call; the script never saw it
    assert result.to_json()["paused"] == {"reason": "quota",
                                          "resets_at": "2033-05-18T03:33:20+00:00"}


def priced(cost: float, unpriced: int = 0) -> Callable[[AgentRequest], AgentResult]:
    def answer(request: AgentRequest) -> AgentResult:
        return AgentResult(output="ok", usage=Usage(input_tokens=100, output_tokens=20,
                                                    cost_usd=cost, unpriced_tokens=unpriced))
    return answer


def test_max_cost_refuses_agents_past_the_cap(script: Callable[..., Path]) -> None:
    result = flowdsl.run(script('return await parallel(agent(str(i)) for i in range(20))'),
                         backend=FunctionBackend(priced(0.01)), max_cost=0.05, concurrency=1,
                         isolation="inline")
    assert result.status == "completed"
    assert result.outcomes()["ok"] == 5
    assert result.outcomes()["refused"] == 15
    refused = [a for a in result.agents if a.status == "refused"]
    assert all((a.error or "").startswith("CostLimitExceeded: cost cap of $0.0500")
               for a in refused)


def test_max_cost_with_an_unpriced_model_is_a_configuration_error(
        script: Callable[..., Path]) -> None:
    result = flowdsl.run(script('return await agent("x", model="mystery-1")'),
                         backend=FunctionBackend(priced(0.0, unpriced=120)), max_cost=1.0,
                         isolation="inline")
    assert result.status == "failed"
    assert result.error_type == "BackendConfigError"
    assert "'mystery-1' has no known price" in (result.error or "")


class NamedModels(FunctionBackend):
    """A backend that, like the shipped ones, judges model names before the run."""

    def check_models(self, names: list[tuple[str, str]]) -> None:
        from flowdsl._config import Config
        from flowdsl.backends._model_names import ModelNames

        ModelNames("openai").check(names, Config())


def test_an_undefined_alias_in_a_phase_fails_before_any_agent(
        script: Callable[..., Path]) -> None:
    calls: list[AgentRequest] = []
    meta = ('meta = {"name": "t", "description": "d", '
            '"phases": [{"title": "Sum", "model": "smart"}]}\n')
    result = flowdsl.run(script('return await agent("x")', meta=meta),
                         backend=NamedModels(lambda r: calls.append(r) or "ok"),
                         isolation="inline")
    assert result.status == "failed"
    assert result.error_type == "BackendConfigError"
    assert result.error is not None
    assert result.error.startswith("phase 'Sum': model 'smart' is an alias nobody defined")
    assert calls == []
