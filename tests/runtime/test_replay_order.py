"""ReplayOrder: replayed results are handed out in completion order; ones never asked for
are skipped once the script can ask for nothing else."""

from __future__ import annotations

import anyio
import pytest

from flowdsl._runtime._replay_order import ReplayOrder

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _hand_out(count: int, asked: list[int], in_flight: int = 0) -> list[int]:
    handed: list[int] = []
    async with anyio.create_task_group() as tg:
        order = ReplayOrder(count, lambda: in_flight, tg.start_soon)

        async def one(seq: int) -> None:
            await order.turn(seq)
            handed.append(seq)

        for seq in asked:
            tg.start_soon(one, seq)
    return handed


async def test_results_asked_for_in_start_order_come_back_in_completion_order() -> None:
    assert await _hand_out(5, [4, 2, 0, 3, 1]) == [0, 1, 2, 3, 4]


async def test_a_result_never_asked_for_is_skipped() -> None:
    with anyio.fail_after(5):
        assert await _hand_out(4, [3, 1, 2]) == [1, 2, 3]


async def test_a_later_request_waits_for_a_live_call_before_skipping() -> None:
    in_flight = 1
    handed: list[int] = []
    async with anyio.create_task_group() as tg:
        order = ReplayOrder(3, lambda: in_flight, tg.start_soon)

        async def one(seq: int) -> None:
            await order.turn(seq)
            handed.append(seq)

        tg.start_soon(one, 1)
        await anyio.sleep(0.3)
        assert handed == []  # 0 may still come: a live call is in flight
        tg.start_soon(one, 0)
    assert handed == [0, 1]


async def test_a_call_in_flight_that_comes_back_replayed_wakes_the_watcher() -> None:
    in_flight = 1  # a call on its way to the journal while the watcher looks
    handed: list[int] = []

    def flying() -> int:
        return in_flight

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            order = ReplayOrder(4, flying, tg.start_soon)

            async def one(seq: int) -> None:
                await order.turn(seq)
                handed.append(seq)

            tg.start_soon(one, 2)
            await anyio.wait_all_tasks_blocked()  # the watcher now waits for that call
            in_flight = 0
            tg.start_soon(one, 3)  # it came back replayed: 0 and 1 will never be asked for
    assert handed == [2, 3]
