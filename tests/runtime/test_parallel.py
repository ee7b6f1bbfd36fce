"""parallel() and pipeline(): order, failures, callables, caps and concurrency."""

from __future__ import annotations

import anyio

import flowdsl
from flowdsl import AgentRequest
from flowdsl.testing import FunctionBackend, SleepBackend


def echo() -> FunctionBackend:
    return FunctionBackend(lambda r: r.prompt)


def test_parallel_keeps_input_order(script):
    async def slow_first(request: AgentRequest) -> str:
        await anyio.sleep(0.05 if request.prompt == "0" else 0)
        return request.prompt

    path = script('return await parallel(agent(str(i)) for i in range(5))')
    assert flowdsl.run(path, backend=FunctionBackend(slow_first)).value == ["0", "1", "2", "3", "4"]


def test_parallel_turns_a_raising_task_into_none(script):
    body = '''
    async def bad():
        raise ValueError("no")
    return await parallel([agent("a"), bad, lambda: 3, bad()])
    '''
    result = flowdsl.run(script(body), backend=echo())
    assert result.status == "completed"
    assert result.value == ["a", None, 3, None]


def test_parallel_accepts_zero_argument_callables(script):
    body = 'return await parallel([lambda: agent("x"), lambda: "plain"])'
    assert flowdsl.run(script(body), backend=echo()).value == ["x", "plain"]


def test_parallel_refuses_more_than_4096_items(script):
    result = flowdsl.run(script('return await parallel(agent(str(i)) for i in range(4097))'),
                         backend=echo(), max_agents=10000)
    assert result.status == "failed"
    assert "at most 4,096 items" in (result.error or "")
    assert result.agents == ()


def test_parallel_accepts_exactly_4096_items(script):
    result = flowdsl.run(script('return len(await parallel(lambda: i for i in range(4096)))'),
                         backend=echo())
    assert result.value == 4096


def test_concurrency_limit_bounds_in_flight_agents(script):
    backend = SleepBackend(0.01)
    result = flowdsl.run(script('await parallel(agent(str(i)) for i in range(40))'),
                         backend=backend, concurrency=4)
    assert result.status == "completed"
    assert backend.peak_in_flight == 4


def test_pipeline_passes_prev_item_and_index(script):
    body = '''
    def first(prev, item, index):
        return f"{prev}-{item}-{index}"
    async def second(prev, item, index):
        return await agent(prev + "|" + str(index))
    return await pipeline(["a", "b"], first, second)
    '''
    assert flowdsl.run(script(body), backend=echo()).value == ["a-a-0|0", "b-b-1|1"]


def test_pipeline_stage_may_take_fewer_arguments(script):
    body = 'return await pipeline([1, 2], lambda prev: prev * 10, lambda prev, item: prev + item)'
    assert flowdsl.run(script(body), backend=echo()).value == [11, 22]


def test_pipeline_raising_stage_nulls_item_and_skips_later_stages(script):
    body = '''
    seen = []
    def explode(prev, item, index):
        if item == 2:
            raise ValueError("bad item")
        return prev
    def record(prev, item, index):
        seen.append(item)
        return prev
    out = await pipeline([1, 2, 3], explode, record)
    return [out, sorted(seen)]
    '''
    assert flowdsl.run(script(body), backend=echo()).value == [[1, None, 3], [1, 3]]


def test_pipeline_has_no_barrier_between_stages(script):
    async def fn(request: AgentRequest) -> str:
        await anyio.sleep(0.2 if request.prompt == "s1:slow" else 0)
        return request.prompt

    body = '''
    order = []
    async def s1(prev, item, index):
        return await agent("s1:" + item)
    async def s2(prev, item, index):
        order.append(item)
        return prev
    await pipeline(["slow", "fast"], s1, s2)
    return order
    '''
    assert flowdsl.run(script(body), backend=FunctionBackend(fn)).value == ["fast", "slow"]


def test_pipeline_refuses_more_than_4096_items(script):
    result = flowdsl.run(script('return await pipeline(list(range(5000)), lambda p: p)'),
                         backend=echo())
    assert result.status == "failed"
    assert "pipeline() takes at most 4,096 items (got 5,000)" in (result.error or "")
