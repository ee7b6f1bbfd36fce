"""Resume hands replayed results out in their original completion order, with the same
hash seed: prompts built from completion order or from a set's order are identical, so
nothing finished is paid twice."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import anyio

import flowdsl
from flowdsl._types import AgentRequest
from flowdsl.testing import FunctionBackend

from .conftest import child_pids

ORDER_DEPENDENT = """\
order = []

async def one(i):
    r = await agent("item " + str(i))
    order.append(i)
    return r

await parallel([lambda i=i: one(i) for i in range(8)])
summary = await agent("summary after " + ",".join(str(i) for i in order))
names = {"name" + str(i) for i in range(40)}
listed = await agent("set order " + ",".join(names))
last = await agent("last")
return [summary, listed, last]
"""


async def _slow_in_reverse(request: AgentRequest) -> str:
    if request.prompt.startswith("item "):
        await anyio.sleep((8 - int(request.prompt[5:])) * 0.03)  # completes 7, 6, ..., 0
    return "ok " + request.prompt


def test_resume_pays_for_nothing_that_finished(script: Callable[..., Path], tmp_path: Path) -> None:
    store = tmp_path / "store"

    async def crash_on_last(request: AgentRequest) -> str:
        if request.prompt == "last":
            [pid] = child_pids()
            os.kill(pid, signal.SIGKILL)
            await anyio.sleep(60)
        return await _slow_in_reverse(request)

    first = flowdsl.run(script(ORDER_DEPENDENT), backend=FunctionBackend(crash_on_last),
                        journal=True, store=store)
    assert first.status == "failed"
    paid_first = [r.request.prompt for r in first.agents if r.status == "ok"]
    assert "summary after 7,6,5,4,3,2,1,0" in paid_first
    assert first.run_id is not None

    backend = FunctionBackend(_slow_in_reverse)
    second = flowdsl.resume(first.run_id, store=store, backend=backend)
    assert second.status == "completed", second.error
    assert [r.prompt for r in backend.requests] == ["last"]
