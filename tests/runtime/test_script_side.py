"""What holds the same in both isolations: no shared data, output caps, a forgotten
``await`` is an error, and every agent that reached a backend is accounted for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import flowdsl
from flowdsl._types import AgentRequest
from flowdsl.testing import FunctionBackend

ISOLATIONS = pytest.mark.parametrize("isolation", ["process", "inline"])


def _echo(request: AgentRequest) -> Any:
    return {"ok": True} if request.schema is not None else "out"


@ISOLATIONS
def test_the_script_never_changes_the_callers_args(
    script: Callable[..., Path], isolation: str
) -> None:
    shared = {"k": [1, 2]}
    path = script('args["k"].append(3)\nreturn args["k"]')
    result = flowdsl.run(path, args=shared, backend="simulate", isolation=isolation)
    assert result.value == [1, 2, 3]
    assert shared == {"k": [1, 2]}


@ISOLATIONS
def test_args_that_are_not_json_are_refused(script: Callable[..., Path], isolation: str) -> None:
    with pytest.raises(flowdsl.UsageError, match="args must be JSON"):
        flowdsl.run(script("return 1"), args={"s": {1, 2}}, backend="simulate",
                    isolation=isolation)


@ISOLATIONS
def test_a_schema_is_frozen_when_agent_is_called(
    script: Callable[..., Path], isolation: str
) -> None:
    backend = FunctionBackend(_echo)
    path = script("""\
        s = {"type": "object"}
        call = agent("x", schema=s)
        s["type"] = "array"
        return await call
    """)
    result = flowdsl.run(path, backend=backend, isolation=isolation)
    assert result.status == "completed", result.error
    assert backend.requests[0].schema == {"type": "object"}


CAPS = [
    pytest.param('log("x" * 101)', {"max_log_line": 100},
                 "log line of 101 characters is over the limit of 100 (max_log_line)",
                 id="log line"),
    pytest.param('for i in range(20):\n    log("y" * 90)', {"max_log_bytes": 1000},
                 "the run's log is over 1000 bytes (max_log_bytes)", id="log total"),
    pytest.param('return "z" * 5000', {"max_result_bytes": 1024},
                 "over the limit of 1 KiB (max_result_bytes)", id="result"),
]


@ISOLATIONS
@pytest.mark.parametrize(("body", "caps", "reason"), CAPS)
def test_output_over_its_cap_fails_the_run(
    script: Callable[..., Path], isolation: str, body: str, caps: dict[str, int], reason: str
) -> None:
    result = flowdsl.run(script(body), backend="simulate", isolation=isolation, **caps)
    assert result.status == "failed"
    assert result.error is not None
    assert reason in result.error


@ISOLATIONS
def test_a_forgotten_await_fails_the_run_at_its_line(
    script: Callable[..., Path], isolation: str
) -> None:
    backend = FunctionBackend(_echo)
    path = script('a = await agent("one")\nagent("forgot")\nlog("after")\nreturn a')
    result = flowdsl.run(path, backend=backend, isolation=isolation)
    assert result.status == "failed"
    assert result.error == (f"{path}:3: agent() was called but its result was never awaited "
                            "(write `await agent(...)`, or pass the call to parallel())")
    assert [r.prompt for r in backend.requests] == ["one"]


@ISOLATIONS
def test_calls_never_awaited_count_against_the_agent_cap(
    script: Callable[..., Path], isolation: str
) -> None:
    path = script('calls = [agent("x") for i in range(1000000)]\nreturn len(calls)')
    result = flowdsl.run(path, backend="simulate", isolation=isolation, max_agents=50)
    assert result.status == "failed"
    assert result.error is not None
    assert "AgentLimitExceeded" in result.error


@ISOLATIONS
def test_calls_handed_to_parallel_are_not_forgotten(
    script: Callable[..., Path], isolation: str
) -> None:
    path = script('return await parallel([agent(str(i)) for i in range(5)])')
    result = flowdsl.run(path, backend="simulate", isolation=isolation)
    assert result.status == "completed", result.error
    assert len(result.value) == 5


@ISOLATIONS
def test_every_paid_call_is_accounted_even_when_its_check_blows_up(
    script: Callable[..., Path], isolation: str, tmp_path: Path
) -> None:
    """``{"$ref": "#"}`` recurses forever when an output is checked: the calls were paid
    for, so each is recorded, journaled and counted against the budget."""
    from flowdsl._types import AgentResult, Usage

    paid = AgentResult(output={"a": 1}, usage=Usage(input_tokens=5, output_tokens=5))
    backend = FunctionBackend(lambda r: paid)
    path = script("""\
        out = []
        for i in range(30):
            out.append(await agent("q" + str(i), schema={"$ref": "#"}))
        return [out, budget.remaining()]
    """)
    result = flowdsl.run(path, backend=backend, isolation=isolation, budget=10_000,
                         journal=True, store=tmp_path / "store")
    assert len(backend.requests) == 30
    assert len(result.agents) == 30
    assert result.usage.total_tokens == 300
    if result.status == "completed":
        assert result.value == [[None] * 30, 10_000 - 300]
    with flowdsl.Store.open(tmp_path / "store") as store:
        assert result.run_id is not None
        assert len(store.journal(result.run_id)) == 30


@ISOLATIONS
@pytest.mark.parametrize(("statement", "what"), [
    ('parallel([lambda: agent("x")])', "parallel()"),
    ('pipeline([1], lambda p: agent("x"))', "pipeline()"),
])
def test_a_fan_out_never_awaited_fails_the_run_at_its_line(
    script: Callable[..., Path], isolation: str, statement: str, what: str
) -> None:
    path = script(f"{statement}\nreturn 1")
    result = flowdsl.run(path, backend="simulate", isolation=isolation)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith(f"{path}:2: {what} was called but its result was never "
                                   "awaited")


@ISOLATIONS
@pytest.mark.parametrize(("call", "error"), [
    ('agent("x", label=7)', "TypeError: agent() label must be a string, not int"),
    ('agent("x", label="l" * 20)', "agent() label of 20 characters is over the limit of 10"),
    ('agent("x", timeout=-1)', "TypeError: agent() timeout must be a number of seconds > 0"),
    ('phase("p" * 20)', "phase title of 20 characters is over the limit of 10"),
])
def test_names_the_script_gives_are_checked_at_the_call(
    script: Callable[..., Path], isolation: str, call: str, error: str
) -> None:
    path = script(f"await {call}\nreturn 1" if call.startswith("agent") else f"{call}\nreturn 1")
    result = flowdsl.run(path, backend="simulate", isolation=isolation, max_log_line=10)
    assert result.status == "failed"
    assert result.error is not None
    assert error in result.error
    assert result.error.startswith(f"{path}:2:")
