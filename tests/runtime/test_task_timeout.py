"""An agent's timeout delivered to its task in place, without a cancel scope, on asyncio
(``_runtime._task_timeout``, issue 16).

Every behaviour is checked both ways — in place, and with the scope per agent that trio
gets (``AgentDeadlines(in_place=False)``) — so the two cannot drift apart.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from anyio._backends import _asyncio as anyio_asyncio

import flowdsl
from flowdsl import AgentRequest, AgentResult, Usage
from flowdsl._runtime._agent_call import call_agent
from flowdsl._runtime._deadlines import AgentDeadlines
from flowdsl._runtime._task_timeout import TaskTimeout, task_timeouts
from flowdsl.testing import FunctionBackend

BOTH_WAYS = pytest.mark.parametrize("in_place", [True, False], ids=["in-place", "scope"])


@pytest.fixture(params=[
    pytest.param(("asyncio", {}), id="asyncio"),
    pytest.param(("asyncio", {"use_uvloop": True}), id="uvloop", marks=pytest.mark.skipif(
        importlib.util.find_spec("uvloop") is None, reason="uvloop is not installed")),
])
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    backend: tuple[str, dict[str, Any]] = request.param
    return backend


class Body:
    """A backend that runs ``body``."""

    def __init__(self, body: Callable[[], Awaitable[str]]) -> None:
        self.body = body

    async def run(self, request: AgentRequest) -> AgentResult:
        return AgentResult(output=await self.body(), usage=Usage(input_tokens=1))


async def _call(body: Callable[[], Awaitable[str]], seconds: float, *,
                in_place: bool) -> tuple[Any, Exception | None]:
    """``body`` as one agent with a ``seconds`` timeout, under a running watchdog; the
    task's count of cancellation requests must be what it was before."""
    deadlines = AgentDeadlines(in_place=in_place)
    task = asyncio.current_task()
    assert task is not None
    before = task.cancelling()
    async with anyio.create_task_group() as tg:
        deadlines.start(tg)
        assert deadlines.in_place is in_place
        record, error = await call_agent(Body(body), AgentRequest(prompt="p"), seconds=seconds,
                                         validator=None, turns_usage=Usage, deadlines=deadlines)
        assert task.cancelling() == before
        tg.cancel_scope.cancel()
    return record, error


@pytest.mark.anyio
async def test_on_asyncio_the_call_runs_in_no_scope_of_the_timeout() -> None:
    outer: list[Any] = []
    inner: list[Any] = []

    def innermost_scope() -> Any:
        task = asyncio.current_task()
        assert task is not None
        return anyio_asyncio._task_states[task].cancel_scope

    async def note_scope() -> str:
        inner.append(innermost_scope())
        return "ok"

    deadlines = AgentDeadlines()
    async with anyio.create_task_group() as tg:
        deadlines.start(tg)
        outer.append(innermost_scope())
        await call_agent(Body(note_scope), AgentRequest(prompt="p"), seconds=30,
                         validator=None, turns_usage=Usage, deadlines=deadlines)
        tg.cancel_scope.cancel()
    assert deadlines.in_place
    assert inner == outer  # the backend runs directly in the caller's scope


@pytest.mark.anyio
@BOTH_WAYS
async def test_a_call_past_its_timeout_is_cut_short(in_place: bool) -> None:
    seen: list[str] = []

    async def hangs() -> str:
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            seen.append("cancelled")  # the backend's own code sees the cancellation
            raise
        return "never"

    record, error = await _call(hangs, 0.1, in_place=in_place)
    assert (record.status, error, seen) == ("timeout", None, ["cancelled"])
    assert record.duration < 5


@pytest.mark.anyio
@BOTH_WAYS
async def test_a_shielded_part_the_call_entered_runs_to_its_end_first(in_place: bool) -> None:
    seen: list[str] = []

    async def cleans_up_shielded() -> str:
        with anyio.CancelScope(shield=True):
            await anyio.sleep(0.4)  # past the deadline: not interrupted
            seen.append("shielded part done")
        await anyio.sleep(30)
        return "never"

    record, _ = await _call(cleans_up_shielded, 0.1, in_place=in_place)
    assert (record.status, seen) == ("timeout", ["shielded part done"])
    assert 0.35 < record.duration < 5


@pytest.mark.anyio
@BOTH_WAYS
async def test_a_shield_around_the_whole_call_does_not_stop_its_own_timeout(
        in_place: bool) -> None:
    async def hangs() -> str:
        await anyio.sleep(30)
        return "never"

    with anyio.CancelScope(shield=True):  # entered before the call: not the call's own
        record, _ = await _call(hangs, 0.1, in_place=in_place)
    assert record.status == "timeout"


@pytest.mark.anyio
@BOTH_WAYS
async def test_a_backend_that_swallows_the_cancellation_is_cancelled_again(
        in_place: bool) -> None:
    swallowed: list[bool] = []

    async def swallows_once() -> str:
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            swallowed.append(True)  # a misbehaving backend: it goes on waiting
        await anyio.sleep(30)
        return "never"

    record, _ = await _call(swallows_once, 0.1, in_place=in_place)
    assert (record.status, swallowed) == ("timeout", [True])
    assert record.duration < 5


@pytest.mark.anyio
@BOTH_WAYS
async def test_a_cancellation_turned_into_an_error_fails_the_call(in_place: bool) -> None:
    async def converts() -> str:
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            raise RuntimeError("interrupted") from None
        return "never"

    record, error = await _call(converts, 0.1, in_place=in_place)
    assert (record.status, record.error) == ("failed", "RuntimeError: interrupted")
    assert isinstance(error, RuntimeError)


@pytest.mark.anyio
@BOTH_WAYS
async def test_a_task_group_inside_the_backend_is_cancelled_with_it(in_place: bool) -> None:
    children: list[str] = []

    async def child() -> None:
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            children.append("cancelled")
            raise

    async def fans_out() -> str:
        async with anyio.create_task_group() as tg:
            tg.start_soon(child)
            tg.start_soon(child)
        return "never"

    record, _ = await _call(fans_out, 0.1, in_place=in_place)
    assert (record.status, children) == ("timeout", ["cancelled", "cancelled"])


@pytest.mark.anyio
@BOTH_WAYS
async def test_the_end_of_the_run_is_not_taken_for_the_timeout(in_place: bool) -> None:
    ended: list[str] = []

    async def hangs() -> str:
        await anyio.sleep(30)
        return "never"

    async def agent_in_a_run() -> None:
        try:
            await _call(hangs, 0.2, in_place=in_place)
        except anyio.get_cancelled_exc_class():
            ended.append("cancelled")
            raise

    with anyio.move_on_after(0.2):  # the run ends when the agent's timeout comes due
        await agent_in_a_run()
    assert ended == ["cancelled"]  # cut short, no timeout record: the cancellation goes on


async def _with_waiting_task(check: Callable[[asyncio.Task[Any]], None]) -> None:
    """Run ``check`` on a task that waits (and takes whatever cancellation reaches it)."""
    tasks: list[asyncio.Task[Any]] = []
    started = anyio.Event()

    async def waiter() -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.append(task)
        started.set()
        try:
            await anyio.sleep(30)
        except asyncio.CancelledError:
            return

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter)
        await started.wait()
        check(tasks[0])


@pytest.mark.anyio
async def test_a_timeout_is_not_delivered_over_another_cancellation_on_its_way() -> None:
    def check(task: asyncio.Task[Any]) -> None:
        timeout = TaskTimeout(task, task_timeouts())
        task.cancel()  # someone else's, not delivered yet
        timeout.deliver()
        assert timeout.cancels == 0  # one cancellation would hide the other

    await _with_waiting_task(check)


@pytest.mark.anyio
async def test_a_timeout_folded_with_another_cancellation_is_not_caught_as_its_own() -> None:
    def check(task: asyncio.Task[Any]) -> None:
        timeout = TaskTimeout(task, task_timeouts())
        assert timeout.caught() is False  # not delivered: not the timeout
        timeout.deliver()
        assert (timeout.cancels, timeout.caught()) == (1, True)
        task.cancel()  # someone else cancels the task in the same pass
        assert timeout.caught() is False

    await _with_waiting_task(check)


def test_an_agent_timing_out_in_the_script_itself_leaves_the_run_deadline_working(
        script) -> None:
    async def answer(request: AgentRequest) -> str:
        await anyio.sleep(30 if request.prompt == "hung" else 0)
        return request.prompt

    body = '''
    first = await agent("hung", timeout=0.1)
    second = await agent("quick")
    await agent("hung", timeout=60)
    '''
    started = time.monotonic()
    result = flowdsl.run(script(body), backend=FunctionBackend(answer), isolation="inline",
                         run_timeout=1.0)
    assert result.status == "failed"
    assert result.error_type == "RunTimeout"
    assert [a.status for a in result.agents] == ["timeout", "ok", "cancelled"]
    assert time.monotonic() - started < 10


def test_without_asyncio_task_internals_agents_get_a_scope_each(monkeypatch) -> None:
    from flowdsl._runtime import _task_timeout

    monkeypatch.setattr(_task_timeout, "_TASK_PARTS", ("_a_part_asyncio_dropped",))

    async def main() -> bool:
        assert task_timeouts() is None
        deadlines = AgentDeadlines()
        async with anyio.create_task_group() as tg:
            deadlines.start(tg)
            tg.cancel_scope.cancel()
        return deadlines.in_place

    assert anyio.run(main) is False


def test_outside_an_asyncio_loop_there_is_no_task_to_cancel() -> None:
    assert task_timeouts() is None

