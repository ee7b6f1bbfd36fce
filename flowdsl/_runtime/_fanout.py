"""Fan-out: ``parallel(tasks)`` and ``pipeline(items, *stages)``.

Both take at most ``max_items`` items (more raise :class:`ItemLimitExceeded`), keep the
input order, and turn an item that raises into None (noted in the run's log) — they
never raise for an item. A :class:`Halt` (stop, deadline) inside an item ends the run.

Every item starts when ``parallel()``/``pipeline()`` is called: callables (JS thunks)
and first stages are called then, synchronously and in input order, as JavaScript does.
Only agent dispatch is limited (by the run's limiter): an item that runs script code
gets a task of its own, because a pool of ``concurrency`` workers would deadlock a
fan-out whose early items wait for something a later item produces (16 items awaiting a
gate that the 17th opens). Bare ``agent()`` calls wait for nothing the script does, so
they share ``width`` workers (a task costs tens of microseconds on a loaded machine);
JS promises are already running and are just awaited. The item cap bounds the tasks.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Iterator
from contextvars import ContextVar
from types import CoroutineType
from typing import TYPE_CHECKING, Any

import anyio

from .._event_loop import is_awaitable
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
    if is_awaitable(value):
        return await value
    return value


def _close_unstarted(items: Iterable[Any]) -> None:
    """Close coroutines and agent calls never awaited (closing a finished one is a no-op)."""
    for item in items:
        if isinstance(item, _CLOSABLE):
            item.close()


_CLOSABLE = (CoroutineType, AgentCall, AwaitOnce)
_OWN_TASK = (CoroutineType, AwaitOnce)
"""Items that run script code when awaited: each gets a task of its own."""


class _Raised:
    """An item whose start raised (a callable, a first stage): the item fails with it."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def _start(fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn`` now (the item's start); an exception it raises fails only the item."""
    try:
        return fn(*args)
    except MemoryError:
        raise
    except Exception as exc:
        return _Raised(exc)


def _outcome(value: Any) -> Awaitable[Any]:
    """What an item's value awaits to: an awaitable is awaited as it is (an ``agent()``
    call taken by the runtime: only a fan-out task awaits it here, on a shallow stack)."""
    if isinstance(value, AgentCall):
        value.queue()
        return value
    if isinstance(value, _Raised):
        return _raise(value.error)
    if is_awaitable(value):
        return value
    return _plain(value)


async def _raise(error: Exception) -> Any:
    raise error


async def _plain(value: Any) -> Any:
    return value


class _Started(Coroutine[Any, Any, list[Any]]):
    """A fan-out whose items were started: closing it unawaited closes them too (no
    ``agent()`` or coroutine of it is then reported, or warned about, as never awaited)."""

    __slots__ = ("_coro", "_items")

    def __init__(self, coro: Coroutine[Any, Any, list[Any]], items: list[Any]) -> None:
        self._coro = coro
        self._items = items

    def __await__(self) -> Generator[Any, None, list[Any]]:
        return self._coro.__await__()

    def send(self, value: Any) -> Any:
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        return self._coro.throw(typ, val, tb)

    def close(self) -> None:
        try:
            self._coro.close()
        finally:
            _close_unstarted(self._items)


class FanOut:
    """``parallel`` and ``pipeline`` bound to one run.

    Both start their items when they are called, before the caller awaits them (JS
    thunks and first stages are called then, synchronously and in input order, as JS
    does); awaiting the returned coroutine runs every item to its end.
    """

    __slots__ = ("runner",)

    def __init__(self, runner: ScriptRunner) -> None:
        self.runner = runner

    def _take(self, items: Iterable[Any], what: str) -> list[Any]:
        limit = self.runner.options.max_items
        if isinstance(items, list) and len(items) > limit:  # nothing of it is started
            _close_unstarted(items)
            raise ItemLimitExceeded(what, limit, len(items))
        taken = list(itertools.islice(items, limit + 1))
        if len(taken) > limit:
            _close_unstarted(taken)
            raise ItemLimitExceeded(what, limit, None)
        return taken

    async def _each(self, items: list[Any], work: Callable[[int], Coroutine[Any, Any, None]],
                    agents: Callable[[Iterator[int]], Coroutine[Any, Any, None]] | None = None,
                    ) -> None:
        """Run ``work(i)`` for every item, all at once; ``agents``: a worker that awaits
        the ``agent()`` calls of the indices it draws (None: ``work`` runs script code for
        every item, so every item gets a task).

        An item that runs script code (a coroutine, a nested fan-out) gets a task of its
        own, started now in input order: it may wait for what a later item produces. An
        ``agent()`` call waits for nothing the script does, so the calls share
        ``runner.width`` ``agents`` workers in input order (only that many are dispatched
        at once anyway, and a task costs tens of microseconds). Anything else is already
        running (a JS promise) or a value: the fan-out itself awaits it.
        """
        depth = _NESTING.get()
        if depth >= MAX_NESTING:
            raise RunError(f"parallel()/pipeline() nested more than {MAX_NESTING} deep")
        own = [True] * len(items) if agents is None else [isinstance(item, _OWN_TASK)
                                                          for item in items]
        calls = [i for i, item in enumerate(items) if not own[i] and isinstance(item, AgentCall)]
        pending = iter(calls)  # shared: each next() hands one call to one worker

        token = _NESTING.set(depth + 1)  # the tasks started below inherit it
        try:
            async with anyio.create_task_group() as tg:
                start = tg.start_soon
                for index in range(len(items)):
                    if own[index]:
                        start(work, index, name="flowdsl fan-out item")
                if agents is not None:
                    for _ in range(min(len(calls), self.runner.width)):
                        start(agents, pending, name="flowdsl fan-out agents")
                for index, item in enumerate(items):
                    if not own[index] and not isinstance(item, AgentCall):
                        await work(index)
        except BaseExceptionGroup as group:  # a Halt (deadline, stop) from inside an item
            raise_from_group(group)
        finally:
            _NESTING.reset(token)

    def parallel(self, tasks: Iterable[Any]) -> Coroutine[Any, Any, list[Any]]:
        """Start every task now (calling the callables, in order); await the result: the
        results in input order, None for a task that failed."""
        check_headroom("parallel()")
        items = self._take(tasks if isinstance(tasks, list) else iter(tasks), "parallel")
        started: list[Any] = []
        try:
            for task in items:
                started.append(_start(task) if callable(task) else task)
        except BaseException:  # a Halt or MemoryError: nothing started is left unawaited
            _close_unstarted(started)
            _close_unstarted(items[len(started):])
            raise
        return _Started(self._gather("parallel", started), started)

    async def _gather(self, what: str, started: list[Any]) -> list[Any]:
        results: list[Any] = [None] * len(started)

        async def one(i: int) -> None:
            try:
                results[i] = await _outcome(started[i])
            except MemoryError:
                raise
            except Exception as exc:
                self._note_failure(what, i, exc)

        async def agents(pending: Iterator[int]) -> None:
            for i in pending:  # the calls, one after another (one() a frame less each)
                call = started[i]
                call.queue()
                try:
                    results[i] = await call
                except MemoryError:
                    raise
                except Exception as exc:
                    self._note_failure(what, i, exc)

        try:
            await self._each(started, one, agents)
        except BaseException:
            _close_unstarted(started)  # a cancelled run leaves items no task reached
            raise
        return results

    def pipeline(self, items: Iterable[Any], *stages: Callable[..., Any],
                 ) -> Coroutine[Any, Any, list[Any]]:
        """Start every item now (its first stage is called, in input order); await the
        result: each item passed through the stages independently, None for one that
        raised, in input order."""
        check_headroom("pipeline()")
        values = self._take(items if isinstance(items, list) else iter(items), "pipeline")
        arities = [_positional_arity(stage) for stage in stages]
        if not stages:
            return _Started(self._gather("pipeline", values), values)
        first, arity = stages[0], arities[0]
        started: list[Any] = []
        try:
            for index, item in enumerate(values):
                started.append(_start(first, *(item, item, index)[:arity]))
        except BaseException:
            _close_unstarted(started)
            raise
        if len(stages) == 1:  # what the first stage started is the result
            return _Started(self._gather("pipeline", started), started)
        return _Started(self._flow(values, started, stages[1:], arities[1:]), started)

    async def _flow(self, values: list[Any], started: list[Any],
                    stages: tuple[Callable[..., Any], ...], arities: list[int]) -> list[Any]:
        """The items through the later ``stages`` (at least one), a task each."""
        results: list[Any] = [None] * len(values)

        async def one(index: int) -> None:
            item = values[index]
            try:
                value = await _outcome(started[index])
                for stage, arity in zip(stages, arities, strict=True):
                    value = await _resolve(stage(*(value, item, index)[:arity]))
                results[index] = value
            except MemoryError:
                raise
            except Exception as exc:
                self._note_failure("pipeline", index, exc)

        try:
            await self._each(started, one)  # every item runs its stages: a task each
        except BaseException:
            _close_unstarted(started)
            raise
        return results

    def _note_failure(self, what: str, index: int, exc: Exception) -> None:
        line = f"{what} item {index} failed: {type(exc).__name__}: {exc}"
        self.runner.port.note(line)
