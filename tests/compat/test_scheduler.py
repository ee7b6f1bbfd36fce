"""The JS layer gets the run's scheduler from the script's hooks, never from a global."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import anyio
import anyio.abc

import compat
from compat._jsrt._promise import JSPromise
from flowdsl._frontends import compile_source
from flowdsl._sandbox import ScriptHooks

META = "export const meta = { name: 't', description: 'test workflow' };\n"
EAGER = META + "const a = agent('one');\nlog('started');\nreturn await a;\n"


class Handle:
    def __init__(self) -> None:
        self.event = anyio.Event()
        self.value: Any = None
        self.error: Exception | None = None

    @property
    def done(self) -> bool:
        return self.event.is_set()

    async def settle(self, awaitable: Awaitable[Any]) -> None:
        try:
            self.value = await awaitable
        except Exception as exc:
            self.error = exc
        finally:
            self.event.set()

    async def wait(self) -> Any:
        await self.event.wait()
        if self.error is not None:
            raise self.error
        return self.value


class RecordingScheduler:
    """Starts work at once in a task group, and counts what it was asked to start."""

    def __init__(self, task_group: anyio.abc.TaskGroup) -> None:
        self.task_group = task_group
        self.spawned = 0
        self.submitted = 0

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> Handle:
        self.spawned += 1
        handle = Handle()
        self.task_group.start_soon(lambda: handle.settle(fn(*args)))
        return handle

    def submit(self, call: Coroutine[Any, Any, Any]) -> Handle:
        self.submitted += 1
        handle = Handle()
        self.task_group.start_soon(handle.settle, call)
        return handle


def _dsl(events: list[str], name: str) -> dict[str, object]:
    async def agent(prompt: str, **_: Any) -> str:
        events.append(f"{name}: agent {prompt}")
        return prompt

    def log(text: str) -> None:
        events.append(f"{name}: log {text}")

    return {"agent": agent, "parallel": None, "pipeline": None, "phase": None, "log": log,
            "args": None, "budget": None, "workflow": None}


def test_agent_starts_eagerly_on_the_injected_scheduler() -> None:
    events: list[str] = []
    compiled = compile_source(EAGER, "eager.js")

    async def main() -> Any:
        async with anyio.create_task_group() as tg:
            scheduler = RecordingScheduler(tg)
            hooks = ScriptHooks(tick=lambda: None, scheduler=scheduler)
            result = await compiled.start(_dsl(events, "a"), hooks)
        return result, scheduler.submitted

    assert anyio.run(main) == ("one", 1)


def test_two_runs_in_one_process_each_use_their_own_scheduler() -> None:
    events: list[str] = []
    compiled = compile_source(EAGER, "two.js")
    results: dict[str, Any] = {}

    async def run(name: str, scheduler: RecordingScheduler) -> None:
        hooks = ScriptHooks(tick=lambda: None, scheduler=scheduler)
        results[name] = await compiled.start(_dsl(events, name), hooks)

    async def main() -> tuple[int, int]:
        async with anyio.create_task_group() as tg:
            first, second = RecordingScheduler(tg), RecordingScheduler(tg)
            tg.start_soon(run, "a", first)
            tg.start_soon(run, "b", second)
        return first.submitted, second.submitted

    assert anyio.run(main) == (1, 1)
    assert results == {"a": "one", "b": "one"}


def test_without_a_scheduler_promises_run_when_awaited() -> None:
    events: list[str] = []
    compiled = compile_source(EAGER, "lazy.js")
    hooks = ScriptHooks(tick=lambda: None)
    assert anyio.run(lambda: compiled.start(_dsl(events, "a"), hooks)) == "one"
    assert events == ["a: log started", "a: agent one"]


def test_outside_js_run_a_promise_holds_its_coroutine() -> None:
    async def value() -> int:
        return 5

    promise = JSPromise.spawn(value)
    assert promise._task is None
    assert anyio.run(promise.wait) == 5


def test_jsrt_members_are_the_modules_all_with_js_run_bound_per_run() -> None:
    members = compat.jsrt_members(ScriptHooks(tick=lambda: None))
    assert set(members) == set(compat._jsrt.__all__)
    assert members["js_run"] is not compat._jsrt.js_run
