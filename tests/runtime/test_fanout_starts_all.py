"""parallel() and pipeline() in .flow.py start every item at once; only agents are limited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import flowdsl
from flowdsl import AgentRequest
from flowdsl.testing import FunctionBackend, SleepBackend

ISOLATIONS = pytest.mark.parametrize("isolation", ["inline", "process"])

GATE_AND_OPENER = """
state = {"open": False}


async def waiter(i):
    for _ in range(50):
        if state["open"]:
            return i
        await agent("poll " + str(i))
    return "starved"


async def opener():
    state["open"] = True
    return "opener"


out = await parallel([lambda i=i: waiter(i) for i in range(16)] + [opener])
return [len(out), out.count("starved"), out[-1]]
"""


@ISOLATIONS
@pytest.mark.parametrize("concurrency", [1, 4, 16])
def test_a_gate_opened_by_a_later_task_lets_every_task_finish(
        script: Callable[..., Path], isolation: str, concurrency: int) -> None:
    result = flowdsl.run(script(GATE_AND_OPENER), backend=FunctionBackend(lambda r: "tick"),
                         concurrency=concurrency, isolation=isolation, run_timeout=60)
    assert result.status == "completed", result.error
    assert result.value == [17, 0, "opener"]


@ISOLATIONS
def test_every_item_starts_before_any_agent_answers_at_concurrency_1(
        script: Callable[..., Path], isolation: str) -> None:
    body = """
    async def item(i):
        log("start " + str(i))
        await agent(str(i))
        log("end " + str(i))
    await parallel([lambda i=i: item(i) for i in range(4)])
    await pipeline(["a", "b"], lambda x: log("stage " + x), lambda prev, x: agent(x))
    """
    result = flowdsl.run(script(body), backend=FunctionBackend(lambda r: "x"), concurrency=1,
                         isolation=isolation)
    assert result.status == "completed", result.error
    assert list(result.logs) == [*(f"start {i}" for i in range(4)),
                                 *(f"end {i}" for i in range(4)), "stage a", "stage b"]


def test_callables_are_called_in_order_when_parallel_is_called(
        script: Callable[..., Path]) -> None:
    body = """
    seen = []
    def note(i):
        seen.append(i)
        return i
    p = parallel([lambda i=i: note(i) for i in range(3)])
    before = list(seen)
    return [before, await p]
    """
    result = flowdsl.run(script(body), backend="simulate", isolation="inline")
    assert result.value == [[0, 1, 2], [0, 1, 2]]


def test_first_stages_are_called_in_order_when_pipeline_is_called(
        script: Callable[..., Path]) -> None:
    body = """
    seen = []
    def first(x):
        seen.append(x)
        return x * 10
    def second(prev, item):
        seen.append(-item)
        return prev + item
    p = pipeline([1, 2, 3], first, second)
    before = list(seen)
    return [before, await p, seen]
    """
    result = flowdsl.run(script(body), backend="simulate", isolation="inline")
    assert result.value == [[1, 2, 3], [11, 22, 33], [1, 2, 3, -1, -2, -3]]


def test_a_callable_that_raises_at_the_start_fails_only_its_item(
        script: Callable[..., Path]) -> None:
    body = """
    def bad():
        raise ValueError("no")
    return [await parallel([bad, lambda: 2]), await pipeline([1, 2], lambda x: 1 / (x - 1))]
    """
    result = flowdsl.run(script(body), backend="simulate", isolation="inline")
    assert result.status == "completed", result.error
    assert result.value == [[None, 2], [None, 1.0]]


def test_only_agent_dispatch_is_limited(script: Callable[..., Path]) -> None:
    body = """
    started = []
    async def item(i):
        started.append(i)
        return [await agent(str(i)), len(started)]
    return await parallel([lambda i=i: item(i) for i in range(12)])
    """
    backend = SleepBackend(0.02)
    result = flowdsl.run(script(body), backend=backend, concurrency=3, isolation="inline")
    assert result.status == "completed", result.error
    assert backend.peak_in_flight == 3
    assert [seen for _, seen in result.value] == [12] * 12  # all had started by the first answer


def test_more_items_than_the_cap_call_no_callable(script: Callable[..., Path]) -> None:
    body = """
    seen = []
    try:
        await parallel([lambda: seen.append(1)] * 5)
    except Exception as exc:
        return [str(exc), len(seen)]
    """
    result = flowdsl.run(script(body), backend="simulate", isolation="inline", max_items=4)
    assert result.status == "completed", result.error
    message, called = result.value
    assert "4" in message
    assert called == 0


@ISOLATIONS
def test_a_dropped_parallel_of_started_coroutines_is_reported_as_parallel(
        script: Callable[..., Path], isolation: str) -> None:
    body = """
    async def work():
        return await agent("x")
    parallel([work, work])
    return 1
    """
    path = script(body)
    result = flowdsl.run(path, backend="simulate", isolation=isolation)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith(f"{path}:5: parallel() was called but its result was never "
                                   "awaited")


def test_a_zero_latency_answer_waits_for_tasks_already_ready(
        script: Callable[..., Path]) -> None:
    body = """
    async def asks():
        await agent("x")
        log("answer")
    async def plain():
        log("plain")
    await parallel([asks, plain])
    """

    async def instant(request: AgentRequest) -> str:
        return "now"  # never yields: the answer is ready before the next task ran

    result = flowdsl.run(script(body), backend=FunctionBackend(instant), isolation="inline")
    assert list(result.logs) == ["plain", "answer"]


def test_nested_fan_outs_still_stop_at_the_nesting_cap(script: Callable[..., Path]) -> None:
    body = """
    async def deeper():
        return await parallel([deeper])
    return await parallel([deeper])
    """
    result = flowdsl.run(script(body), backend="simulate", isolation="inline")
    assert result.status == "completed", result.error
    depth, value = 0, result.value
    while isinstance(value, list):
        depth, value = depth + 1, value[0]
    assert (depth, value) == (64, None)  # the 65th level raised: that item is None
