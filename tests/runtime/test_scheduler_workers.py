"""The scheduler's agent workers park when their queue is empty instead of ending."""

from __future__ import annotations

import anyio
import anyio.lowlevel

from flowdsl._runtime import Scheduler


def test_a_parked_worker_takes_an_agent_submitted_after_a_quiet_moment() -> None:
    async def answer(value: str) -> str:
        await anyio.lowlevel.checkpoint()
        return value

    async def main() -> tuple[list[str], int, int]:
        async with anyio.create_task_group() as tg:
            scheduler = Scheduler(tg, concurrency=4)
            first = await scheduler.submit(answer("first")).wait()
            await anyio.wait_all_tasks_blocked()  # the queue is empty: the worker parks
            tasks_while_quiet = len(anyio.get_running_tasks())
            second = await scheduler.submit(answer("second")).wait()
            await anyio.wait_all_tasks_blocked()
            tasks_after = len(anyio.get_running_tasks())
            tg.cancel_scope.cancel()
        return [first, second], tasks_while_quiet, tasks_after

    values, tasks_while_quiet, tasks_after = anyio.run(main)
    assert values == ["first", "second"]
    assert tasks_after == tasks_while_quiet  # no new task: the parked worker took it
