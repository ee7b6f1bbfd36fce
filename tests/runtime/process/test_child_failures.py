"""A script process that dies, runs out of memory or stalls fails its run with one line,
keeps everything journaled, and ``resume`` finishes the run without re-running anything."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

import flowdsl
from flowdsl._types import AgentRequest
from flowdsl.testing import FunctionBackend

from .conftest import child_pids

THREE_AGENTS = """\
a = await agent("one")
b = await agent("two")
c = await agent("three")
return [a, b, c]
"""


def _answer(request: AgentRequest) -> str:
    return request.prompt.upper()


def _resume_and_check(run_id: str, store: Path, script: Path | None = None) -> None:
    """Resume (with a fixed script, if given): only "three" is paid for."""
    backend = FunctionBackend(_answer)
    result = flowdsl.resume(run_id, store=store, backend=backend, script=script)
    assert result.status == "completed", result.error
    assert result.value == ["ONE", "TWO", "THREE"]
    assert [r.prompt for r in backend.requests] == ["three"]  # one and two were replayed


def test_a_worker_killed_by_sigkill_fails_the_run_and_resume_finishes_it(
    script: Callable[..., Path], tmp_path: Path
) -> None:
    async def kill_on_three(request: AgentRequest) -> str:
        if request.prompt == "three":  # dies while "three" runs: it is never answered
            [pid] = child_pids()
            os.kill(pid, signal.SIGKILL)
            await anyio.sleep(60)
        return _answer(request)

    result = flowdsl.run(script(THREE_AGENTS), backend=FunctionBackend(kill_on_three),
                         journal=True, store=tmp_path / "store")
    assert result.status == "failed"
    assert result.error == "worker crashed (SIGKILL)"
    assert result.run_id is not None
    _resume_and_check(result.run_id, tmp_path / "store")


def test_a_segfault_names_the_signal_and_the_line(
    script: Callable[..., Path], tmp_path: Path
) -> None:
    path = script("""\
        a = await agent("one")
        b = await agent("two")
        if args["crash"]:
            t = ()
            for i in range(1000000):
                t = (t,)
            s = {t: 1}
        c = await agent("three")
        return [a, b, c]
    """)
    store = tmp_path / "store"
    result = flowdsl.run(path, args={"crash": True}, backend=FunctionBackend(_answer),
                         journal=True, store=store)
    assert result.status == "failed"
    assert result.error == f"worker crashed (SIGSEGV) at {path}:8"
    assert [r.output for r in result.agents] == ["ONE", "TWO"]
    assert result.run_id is not None
    _resume_and_check(result.run_id, store, script(THREE_AGENTS, name="fixed.flow.py"))


def test_the_memory_cap_fails_the_run_and_the_parent_stays_small(
    script: Callable[..., Path], tmp_path: Path
) -> None:
    path = script("""\
        a = await agent("one")
        b = await agent("two")
        if args["big"]:
            x = "x".center(3 * 1024 * 1024 * 1024)
        c = await agent("three")
        return [a, b, c]
    """)
    store = tmp_path / "store"
    result = flowdsl.run(path, args={"big": True}, backend=FunctionBackend(_answer),
                         journal=True, store=store, memory_limit=512 * 1024**2)
    assert result.status == "failed"
    assert result.error == f"{path}:5: memory limit of 512 MiB exceeded"
    assert [r.output for r in result.agents] == ["ONE", "TWO"]
    assert result.run_id is not None
    _resume_and_check(result.run_id, store, script(THREE_AGENTS, name="fixed.flow.py"))


def test_a_runaway_c_call_is_killed_by_the_stall_watchdog(
    script: Callable[..., Path], tmp_path: Path
) -> None:
    path = script(THREE_AGENTS.replace('c = await', 'n = round(7, -(10**8))\nc = await'))
    store = tmp_path / "store"
    result = flowdsl.run(path, backend=FunctionBackend(_answer), journal=True,
                         store=store, stall_timeout=1.0)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith(f"script stalled for 1 s at {path}:4")
    assert [r.output for r in result.agents] == ["ONE", "TWO"]
    assert result.run_id is not None
    _resume_and_check(result.run_id, store, script(THREE_AGENTS, name="fixed.flow.py"))


@pytest.mark.parametrize("stall", [0.5, 1.0])
def test_a_long_python_loop_that_ticks_is_not_a_stall(
    script: Callable[..., Path], stall: float
) -> None:
    path = script("""\
        n = 0
        for i in range(3000000):
            n += i
        return n
    """)
    result = flowdsl.run(path, backend="simulate", stall_timeout=stall)
    assert result.status == "completed", result.error
