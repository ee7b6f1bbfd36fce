"""Per-agent timeouts enforced by the run's one deadline watchdog (``_runtime._deadlines``)."""

from __future__ import annotations

import time

import anyio
import anyio.lowlevel
import pytest

import flowdsl
from flowdsl import AgentRequest
from flowdsl._runtime._deadlines import AgentDeadlines
from flowdsl.testing import FunctionBackend


async def _hang_or_answer(request: AgentRequest) -> str:
    await anyio.sleep({"hung": 30, "warm-up": 0.3}.get(request.prompt, 1.0))
    return request.prompt


def test_an_agent_past_its_timeout_is_cancelled_while_the_others_go_on(script):
    body = '''
    return await parallel([agent("slow", timeout=5), agent("hung", timeout=0.2),
                           agent("also slow", timeout=5)])
    '''
    result = flowdsl.run(script(body), backend=FunctionBackend(_hang_or_answer),
                         isolation="inline")
    assert result.value == ["slow", None, "also slow"]
    hung = next(a for a in result.agents if a.request.prompt == "hung")
    assert hung.status == "timeout"
    assert 0.15 < hung.duration < 0.55  # at its own deadline, not when the others end


def test_a_deadline_earlier_than_those_filed_wakes_the_watchdog(script):
    body = '''
    async def later():
        await agent("warm-up")  # meanwhile the watchdog sleeps until the 30-second deadline
        return await agent("hung", timeout=0.2)

    return await parallel([agent("slow", timeout=30), later()])
    '''
    started = time.monotonic()
    result = flowdsl.run(script(body), backend=FunctionBackend(_hang_or_answer),
                         isolation="inline")
    hung = next(a for a in result.agents if a.request.prompt == "hung")
    assert (hung.status, result.value) == ("timeout", ["slow", None])
    assert hung.duration < 0.55
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("file", ["watch", "watch_task"], ids=["scope", "in-place"])
def test_finished_agents_do_not_pile_up_in_the_deadline_heap(file: str) -> None:
    async def main() -> int:
        deadlines = AgentDeadlines()
        async with anyio.create_task_group() as tg:
            deadlines.start(tg)
            watch = getattr(deadlines, file)
            for _ in range(10_000):
                deadlines.done(watch(600.0))
            await anyio.lowlevel.checkpoint()
            tg.cancel_scope.cancel()
        return len(deadlines._heap)

    assert anyio.run(main) <= 2 * 64 + 1
