"""Fan-out: ``parallel(tasks)`` and ``pipeline(items, *stages)``.

Both take at most ``max_items`` items (more raise :class:`ItemLimitExceeded`), keep the
input order, and turn an item that raises into None (noted in the run's log) — they
never raise for an item. A :class:`Halt` (stop, deadline) inside an item ends the run.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import anyio

from ..errors import ItemLimitExceeded, RunError
from ._dispatch import AgentCall, check_headroom
from ._halt import raise_from_group
from ._must_await import AwaitOnce

if TYPE_CHECKING:
    from ._script import ScriptRunner

__all__ = ["MAX_NESTING", "FanOut"]

MAX_NESTING = 64
"""How deep ``parallel``/``pipeline`` calls may nest inside each other's items. Each level
is a task group inside a task: without a cap, ``async def f(): await parallel([f])``
nests without end, and cancelling it recurses through every level."""

_NESTING: ContextVar[int] = ContextVar("flowdsl_fanout_nesting", default=0)
"""The fan-out depth of the running task (tasks inherit it from the item that started
them; it is per task, so concurrent items do not see each other's)."""


def _positional_arity(fn: Callable[..., Any]) -> int:
    """How many positional arguments ``fn`` takes (3 if it takes *args)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 3
    count = 0
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            return 3
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return min(count, 3)


async def _resolve(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


def _close_unstarted(items: Iterable[Any]) -> None:
    """Close coroutines and agent calls never awaited (closing a finished one is a no-op)."""
    for item in items:
        if inspect.iscoroutine(item) or isinstance(item, AgentCall | AwaitOnce):
            item.close()


class FanOut:
    """``parallel`` and ``pipeline`` bound to one run."""

    __slots__ = ("runner",)

    def __init__(self, runner: ScriptRunner) -> None:
        self.runner = runner

    def _take(self, items: Iterable[Any], what: str) -> list[Any]:
        limit = self.runner.options.max_items
        taken = list(itertools.islice(items, limit + 1))
        if len(taken) > limit:
            _close_unstarted(taken)
            actual = len(items) if isinstance(items, list) else None
            raise ItemLimitExceeded(what, limit, actual)
        return taken

    async def _each(self, count: int, work: Callable[[int], Awaitable[None]]) -> None:
        """Run ``work(0..count-1)`` on at most ``runner.width`` worker tasks.

        Only ``concurrency`` agents can run at once anyway, so a pool that size gives
        the same schedule as one task per item, without thousands of tasks queued on
        the limiter; and the budget gate is checked when an item really starts.
        """
        indices = iter(range(count))

        async def worker() -> None:
            for index in indices:  # shared: each next() hands one item to one worker
                await work(index)

        depth = _NESTING.get()
        if depth >= MAX_NESTING:
            raise RunError(f"parallel()/pipeline() nested more than {MAX_NESTING} deep")
        token = _NESTING.set(depth + 1)  # the workers started below inherit it
        try:
            async with anyio.create_task_group() as tg:
                for _ in range(min(count, self.runner.width)):
                    tg.start_soon(worker)
        except BaseExceptionGroup as group:  # a Halt (deadline, stop) from inside an item
            raise_from_group(group)
        finally:
            _NESTING.reset(token)

    async def parallel(self, tasks: Iterable[Any]) -> list[Any]:
        """Run every task at once; results in input order; a failed task gives None."""
        check_headroom("parallel()")
        items = self._take(iter(tasks) if not isinstance(tasks, list) else tasks, "parallel")
        results: list[Any] = [None] * len(items)

        async def one(i: int) -> None:
            task = items[i]
            try:
                value = task() if callable(task) else task
                results[i] = await _resolve(value)
            except MemoryError:
                raise
            except Exception as exc:
                self._note_failure("parallel", i, exc)

        try:
            await self._each(len(items), one)
        finally:
            _close_unstarted(items)  # a cancelled run leaves items no worker reached
        return results

    async def pipeline(self, items: Iterable[Any], *stages: Callable[..., Any]) -> list[Any]:
        """Pass each item through the stages independently; a raising item gives None."""
        check_headroom("pipeline()")
        values = self._take(iter(items) if not isinstance(items, list) else items, "pipeline")
        results: list[Any] = [None] * len(values)
        arities = [_positional_arity(stage) for stage in stages]

        async def one(index: int) -> None:
            item = value = values[index]
            try:
                for stage, arity in zip(stages, arities, strict=True):
                    value = await _resolve(stage(*(value, item, index)[:arity]))
                results[index] = value
            except MemoryError:
                raise
            except Exception as exc:
                self._note_failure("pipeline", index, exc)

        await self._each(len(values), one)
        return results

    def _note_failure(self, what: str, index: int, exc: Exception) -> None:
        line = f"{what} item {index} failed: {type(exc).__name__}: {exc}"
        self.runner.port.note(line)
