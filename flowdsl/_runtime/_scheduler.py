"""The run's scheduler: work started at once in the run's task group.

Two ways in, both returning a :class:`Task` whose result is awaited later:

- :meth:`Scheduler.spawn` starts a coroutine function now (a JS promise's engine:
  ``async`` functions and ``.then`` chains start eagerly, as in JavaScript);
- :meth:`Scheduler.submit` queues an ``agent()`` call for the run's agent workers: a
  fan-out of thousands of calls does not become thousands of tasks queued on the
  limiter; at most ``concurrency`` workers take calls in FIFO order (only that many
  agents can run at once anyway). A worker that finds the queue empty parks until the
  next call is submitted rather than ending, so a script that calls its agents one at a
  time (or in waves) does not pay a new task per agent; parked workers end with the
  script's task group.

The JavaScript layer receives the scheduler through the script's hooks
(:class:`flowdsl._sandbox.ScriptHooks`); it never reaches for the run itself.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

import anyio
import anyio.abc

from ._dispatch import AgentCall
from ._halt import Halt

__all__ = ["Scheduler", "Task"]

T = TypeVar("T")


class Task(Generic[T]):
    """The handle of work the scheduler started: ``done`` and ``await task.wait()``."""

    __slots__ = ("_error", "_event", "_finished", "_value")

    def __init__(self) -> None:
        self._finished = False
        self._event: anyio.Event | None = None  # made only if someone waits before the end
        self._value: Any = None
        self._error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self._finished

    def _finish(self, value: Any, error: BaseException | None) -> None:
        self._value, self._error, self._finished = value, error, True
        if self._event is not None:
            self._event.set()

    async def wait(self) -> T:
        """The task's value, or raise its exception."""
        if not self._finished:
            if self._event is None:
                self._event = anyio.Event()
            await self._event.wait()
        if self._error is not None:
            raise self._error
        result: T = self._value
        return result


async def _settle_call(task: Task[Any], fn: Callable[..., Awaitable[Any]],
                       args: tuple[Any, ...]) -> None:
    try:
        awaitable = fn(*args)
    except (Exception, Halt) as exc:
        task._finish(None, exc)
        return
    await _settle(task, awaitable)


async def _settle(task: Task[Any], awaitable: Awaitable[Any]) -> None:
    try:
        value = await awaitable
    except (Exception, Halt) as exc:
        task._finish(None, exc)
    else:
        task._finish(value, None)


class Scheduler:
    """Starts work in one task group; :meth:`close` drops calls no worker reached."""

    __slots__ = ("_concurrency", "_parked", "_queue", "_task_group", "_workers")

    def __init__(self, task_group: anyio.abc.TaskGroup, concurrency: int) -> None:
        self._task_group = task_group
        self._concurrency = concurrency
        self._queue: deque[tuple[Coroutine[Any, Any, Any] | AgentCall, Task[Any]]] = deque()
        self._workers = 0
        self._parked: deque[anyio.Event] = deque()
        """The wake-up of each worker waiting for a call, in the order they parked."""

    def spawn(self, fn: Callable[..., Awaitable[T]], *args: Any) -> Task[T]:
        """Start ``fn(*args)`` now; exceptions go to the Task."""
        task: Task[T] = Task()
        # fn is called inside the new task: a task cancelled before its first step must
        # not leave a coroutine that was never awaited.
        self._task_group.start_soon(_settle_call, task, fn, args)
        return task

    def submit(self, call: Coroutine[Any, Any, T] | AgentCall) -> Task[T]:
        """Queue an ``agent()`` coroutine for the agent workers."""
        task: Task[T] = Task()
        if isinstance(call, AgentCall):
            call.queue()
        self._queue.append((call, task))
        if self._parked:
            self._parked.popleft().set()
        elif self._workers < self._concurrency:
            self._workers += 1
            self._task_group.start_soon(self._agent_worker, name="flowdsl agent worker")
        return task

    async def _agent_worker(self) -> None:
        queue, parked = self._queue, self._parked
        wake: anyio.Event | None = None
        try:
            while True:
                while queue:
                    call, task = queue.popleft()
                    try:  # _settle inline: one frame less on every turn the call takes
                        value = await call
                    except (Exception, Halt) as exc:
                        task._finish(None, exc)
                    else:
                        task._finish(value, None)
                wake = anyio.Event()
                parked.append(wake)
                await wake.wait()
        finally:
            self._workers -= 1
            if wake is not None and not wake.is_set():
                parked.remove(wake)  # cancelled while parked (the script ended)

    def close(self) -> None:
        """Close the calls no worker reached before the run ended."""
        while self._queue:
            self._queue.popleft()[0].close()
