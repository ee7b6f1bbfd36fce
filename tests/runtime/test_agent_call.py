"""One agent's call under its timeout (``_runtime._agent_call``): when the timeout's cancel
scope is entered, and what a call started outside it still gets (issue 16)."""

from __future__ import annotations

import math
import time
from typing import Any

import anyio
import anyio.lowlevel
import pytest

import flowdsl
from flowdsl import AgentRequest, AgentResult, Usage
from flowdsl._runtime._agent_call import call_agent
from flowdsl.backends._simulate import SimulateBackend
from flowdsl.errors import BackendConfigError
from flowdsl.testing import FunctionBackend, OracleBackend


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Probe:
    """A backend that runs ``body`` and notes the effective deadline it started under."""

    def __init__(self, body: Any, *, scope_later: bool) -> None:
        self.body = body
        self.opens_no_scope_before_waiting = scope_later
        self.deadline_at_start: float | None = None

    async def run(self, request: AgentRequest) -> AgentResult:
        self.deadline_at_start = anyio.current_effective_deadline()
        return AgentResult(output=await self.body(), usage=Usage(input_tokens=1))


async def _call(backend: Probe, seconds: float = 30.0) -> tuple[Any, Exception | None]:
    record, error = await call_agent(
        backend, AgentRequest(prompt="p"), seconds=seconds, validator=None,
        turns_usage=Usage, scope_later=backend.opens_no_scope_before_waiting)
    return record, error


async def _at_once() -> str:
    return "answer"


@pytest.mark.anyio
@pytest.mark.parametrize(("scope_later", "scoped"), [(True, False), (False, True)])
async def test_an_answer_without_waiting_needs_no_scope_only_when_promised(
        scope_later: bool, scoped: bool) -> None:
    backend = Probe(_at_once, scope_later=scope_later)
    record, error = await _call(backend)
    assert (record.status, record.output, error) == ("ok", "answer", None)
    assert backend.deadline_at_start is not None
    assert math.isfinite(backend.deadline_at_start) is scoped


@pytest.mark.parametrize("backend", [SimulateBackend(), OracleBackend()],
                         ids=["simulate", "oracle"])
def test_the_backends_that_promise_it_answer_without_waiting(backend: Any) -> None:
    assert backend.opens_no_scope_before_waiting is True
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    for request in (AgentRequest(prompt="p"), AgentRequest(prompt="p", schema=schema)):
        call = backend.run(request)
        with pytest.raises(StopIteration):  # answered at the first step: nothing awaited
            call.send(None)


@pytest.mark.anyio
async def test_a_call_that_waits_is_cut_short_counting_from_its_start() -> None:
    async def busy_then_hang() -> str:
        time.sleep(0.5)  # noqa: ASYNC251 - the part before the first wait, outside the scope
        await anyio.sleep(30)
        return "never"

    record, error = await _call(Probe(busy_then_hang, scope_later=True), seconds=0.6)
    assert (record.status, error) == ("timeout", None)
    assert 0.55 < record.duration < 1.05  # 0.6 s from the start, not from the first wait


@pytest.mark.anyio
@pytest.mark.parametrize("scope_later", [True, False])
async def test_the_waiting_call_gets_values_and_its_cancellation(scope_later: bool) -> None:
    seen: list[str] = []
    send, receive = anyio.create_memory_object_stream[str](1)

    async def converse() -> str:
        got = await receive.receive()  # a value handed back through the wait
        seen.append(got)
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            seen.append("cancelled")  # the timeout reaches the backend's own code
            raise
        return "never"

    async with send, receive, anyio.create_task_group() as tg:
        tg.start_soon(send.send, "hello")
        record, _ = await _call(Probe(converse, scope_later=scope_later), seconds=0.3)
    assert record.status == "timeout"
    assert seen == ["hello", "cancelled"]


@pytest.mark.anyio
@pytest.mark.parametrize("scope_later", [True, False])
async def test_an_error_before_or_after_the_first_wait_fails_the_call(scope_later: bool) -> None:
    async def fails_at_once() -> str:
        raise ValueError("at once")

    async def fails_later() -> str:
        await anyio.lowlevel.checkpoint()
        raise ValueError("later")

    for body, text in ((fails_at_once, "at once"), (fails_later, "later")):
        record, error = await _call(Probe(body, scope_later=scope_later))
        assert record.status == "failed"
        assert record.error == f"ValueError: {text}"
        assert isinstance(error, ValueError)


@pytest.mark.anyio
async def test_a_backend_with_its_own_scopes_runs_under_the_timeout_from_the_start() -> None:
    async def in_a_task_group() -> str:
        async with anyio.create_task_group():
            with anyio.move_on_after(30):
                await anyio.sleep(30)
        return "never"

    record, _ = await _call(Probe(in_a_task_group, scope_later=False), seconds=0.2)
    assert record.status == "timeout"


def test_an_answer_is_booked_when_the_run_ends_during_its_turn(script) -> None:
    # "a" answers at once and waits one loop turn before its booking; in that turn "b"
    # fails with a configuration error, which ends the run: "a" is paid for and kept
    def answer(request: AgentRequest) -> str:
        if request.prompt == "b":
            raise BackendConfigError("no key")
        return request.prompt

    result = flowdsl.run(script('return await parallel([agent("a"), agent("b")])'),
                         backend=FunctionBackend(answer), isolation="inline")
    assert result.status == "failed"
    statuses = {a.request.prompt: a.status for a in result.agents}
    assert statuses == {"a": "ok", "b": "failed"}


def test_a_waiting_call_started_outside_its_scope_is_cut_short_by_the_run_end(script) -> None:
    class Hangs:
        opens_no_scope_before_waiting = True

        async def run(self, request: AgentRequest) -> AgentResult:
            await anyio.sleep(30)
            return AgentResult(output="never")

    result = flowdsl.run(script('return await agent("hang")'), backend=Hangs(),
                         isolation="inline", run_timeout=0.3, agent_timeout=60)
    assert result.status == "failed"
    [hung] = result.agents
    assert hung.status == "cancelled"  # the run's end, not the agent's timeout
