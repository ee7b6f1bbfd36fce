"""Pause, unpause and stop, driven by a supervisor beside the script."""

from __future__ import annotations

import threading

import anyio

from flowdsl._frontends import compile_file
from flowdsl._options import RunOptions
from flowdsl._runtime import Run, execute
from flowdsl._types import RunResult
from flowdsl.testing import SleepBackend


def run_with(path, backend, supervisor) -> RunResult:
    async def main() -> RunResult:
        return await execute(compile_file(path), args=None, backend=backend,
                             options=RunOptions(concurrency=2), supervisors=[supervisor])

    return anyio.run(main)


def test_pause_dispatches_no_new_agent_until_unpaused(script):
    backend = SleepBackend(0.05)
    path = script('return len(await parallel(agent(str(i)) for i in range(6)))')
    seen: dict[str, int] = {}

    async def supervisor(run: Run) -> None:
        while backend.calls < 2:  # noqa: ASYNC110 - the backend has no event to wait on
            await anyio.sleep(0.005)
        run.control.pause()
        calls_at_pause = backend.calls
        await anyio.sleep(0.3)
        seen["during"] = backend.calls - calls_at_pause
        seen["at_pause"] = calls_at_pause
        run.control.unpause()

    result = run_with(path, backend, supervisor)
    assert result.status == "completed"
    assert result.value == 6
    assert seen["at_pause"] == 2
    assert seen["during"] == 0
    assert backend.calls == 6


def test_stop_cancels_in_flight_agents(script):
    backend = SleepBackend(30)
    path = script('return await parallel(agent(str(i)) for i in range(4))')

    async def supervisor(run: Run) -> None:
        await anyio.sleep(0.05)
        run.control.stop()

    result = run_with(path, backend, supervisor)
    assert result.status == "stopped"
    assert backend.in_flight == 0


def test_a_stop_requested_from_another_thread_ends_a_cpu_bound_script(script):
    path = script('while True:\n    pass')

    async def supervisor(run: Run) -> None:
        threading.Timer(0.1, run.control.request_stop).start()

    result = run_with(path, SleepBackend(), supervisor)
    assert result.status == "stopped"
