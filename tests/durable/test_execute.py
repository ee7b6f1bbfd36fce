"""Executing stored runs in-process: foreground journaling, pause, stop, resume."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from flowstore_helpers import FANOUT

from flowdsl import RunResult
from flowdsl._durable import execute_stored, resume_async, run_journaled
from flowdsl._frontends import compile_source
from flowdsl._options import RunOptions
from flowdsl._store import Store
from flowdsl.errors import ScriptError
from flowdsl.testing import SleepBackend

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def new_run(store: Store, n: int, concurrency: int = 2, text: str = FANOUT) -> str:
    return store.create_run(name="fanout", script_path="fanout.flow.py", script_text=text,
                            args={"n": n}, options={"concurrency": concurrency},
                            background=False)


async def wait_until(predicate: Callable[[], bool]) -> None:
    """Poll ``predicate`` (state in another process or connection: no event to wait on)."""
    with anyio.fail_after(10):
        while not predicate():  # noqa: ASYNC110
            await anyio.sleep(0.01)


async def test_foreground_run_is_journaled_and_resumable_by_id(store_dir: Path) -> None:
    compiled = compile_source(FANOUT, "fanout.flow.py")
    result = await run_journaled(compiled, args={"n": 5}, backend=SleepBackend(),
                                 options=RunOptions.resolve(concurrency=4, store=store_dir))
    assert result.status == "completed"
    assert result.run_id
    with Store.open(store_dir) as store:
        info = store.get_run(result.run_id)
        assert (info.status, info.agents_done, info.background) == ("completed", 6, False)
        assert info.options["concurrency"] == 4
        assert len(store.journal(info.id)) == 6


async def test_pause_dispatches_no_new_agent_until_unpaused(store_dir: Path) -> None:
    backend = SleepBackend(0.05)
    control = Store.open(store_dir)
    with Store.open(store_dir) as store:
        run_id = new_run(store, 20, concurrency=2)
        results: list[RunResult] = []

        async def go() -> None:
            results.append(await execute_stored(store, run_id, backend=backend))

        async with anyio.create_task_group() as tg:
            tg.start_soon(go)
            await wait_until(lambda: backend.calls >= 4)
            control.request_control(run_id, "pause")
            await wait_until(lambda: control.get_run(run_id).status == "paused")
            started = backend.calls
            await anyio.sleep(0.4)
            assert backend.calls == started  # nothing new started while paused
            assert backend.in_flight == 0  # in-flight ones finished
            control.request_control(run_id, "unpause")
    control.close()
    assert results[0].status == "completed"
    assert backend.calls == 21


async def test_stop_cancels_in_flight_agents_and_resume_finishes(store_dir: Path) -> None:
    slow = SleepBackend(0.2)
    with Store.open(store_dir) as store:
        run_id = new_run(store, 12, concurrency=3)
        results: list[RunResult] = []

        async def go() -> None:
            results.append(await execute_stored(store, run_id, backend=slow))

        async with anyio.create_task_group() as tg:
            tg.start_soon(go)
            await wait_until(lambda: len(store.journal(run_id)) >= 3)
            store.request_control(run_id, "stop")
        assert results[0].status == "stopped"
        info = store.get_run(run_id)
        done = info.agents_done
        assert info.status == "stopped"
        assert 3 <= done < 13
        fast = SleepBackend()
        result = await resume_async(run_id, store=store, backend=fast)
        assert result.status == "completed"
        assert fast.calls == 13 - done  # finished agents were replayed, not re-run
        assert sum(a.status == "replayed" for a in result.agents) == done


async def test_invalid_stored_script_marks_the_run_failed(store_dir: Path) -> None:
    with Store.open(store_dir) as store:
        run_id = new_run(store, 1, text="meta = {\nbroken")
        with pytest.raises(ScriptError):
            await execute_stored(store, run_id, backend=SleepBackend())
        info = store.get_run(run_id)
        assert info.status == "failed"
        assert info.error


async def test_cancelled_run_is_marked_interrupted(store_dir: Path) -> None:
    with Store.open(store_dir) as store:
        run_id = new_run(store, 10, concurrency=1)
        with anyio.move_on_after(0.3):
            await execute_stored(store, run_id, backend=SleepBackend(0.1))
        assert store.get_run(run_id).status == "interrupted"
