"""Promises on the run's task group: eager like JS, awaitable from Python.

A :class:`JSPromise` wraps a task started at once by the run's scheduler (so ``agent()``
starts when it is called, as in JS), an already settled value, or a deferred settled by
``resolve``/``reject`` callbacks (``new Promise(executor)``). Outside a run (unit tests
of helpers) a promise holds its coroutine and runs it when first awaited.

The scheduler is injected: the run hands it to the ``jsrt`` module factory in the
script's :class:`~flowdsl._sandbox.ScriptHooks`, and ``js_run`` makes it current for the
script body with :func:`scheduling`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, ClassVar

import anyio

from flowdsl._event_loop import is_awaitable, loop_turn
from flowdsl._sandbox import Scheduler

from ._values import JSObjectBase, JSTypeError, is_callable, js_caught, js_throw, undefined

__all__ = ["JSPromise", "adopt", "js_async", "js_await", "scheduling"]

class _Loop:
    """One run's promise machinery: its scheduler, and a count of promise activity."""

    __slots__ = ("activity", "scheduler", "turn")

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.turn = loop_turn()
        """A checkpoint of the loop running the script (made in its task)."""
        self.activity = 0
        """Bumped whenever promise work runs (a task starts or ends, a promise settles, an
        await resumes): an agent's answer waits for a loop pass in which it did not move."""


_SCHEDULER: ContextVar[_Loop | None] = ContextVar("compat_scheduler", default=None)
"""The promise machinery of the run whose script is executing, private to this module.

Why a ContextVar and not an argument: a promise is created deep inside JS semantics
(``async`` function calls, ``.then`` chains, ``agent()``), from code paths that carry no
run; threading a scheduler through every helper and every transpiled call would put it
in the script's reach. The var is set only by :func:`scheduling` (``js_run``, with the
scheduler the run injected through the hooks) and is inherited by the tasks that
scheduler starts, so two runs in one process never see each other's."""


@asynccontextmanager
async def scheduling(scheduler: Scheduler | None) -> AsyncIterator[None]:
    """Make ``scheduler`` start this task's promises (None: run them when awaited)."""
    token = _SCHEDULER.set(_Loop(scheduler) if scheduler is not None else None)
    try:
        yield
    finally:
        _SCHEDULER.reset(token)

_PENDING, _FULFILLED, _REJECTED = 0, 1, 2


class JSPromise(JSObjectBase):
    __slots__ = ("_coro", "_event", "_state", "_task", "_value")
    js_class = "Promise"
    JS_METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self) -> None:
        self._state = _PENDING
        self._value: Any = None
        self._task: Any = None
        self._event: anyio.Event | None = None
        self._coro: Coroutine[Any, Any, Any] | None = None

    # -- construction ------------------------------------------------------------------

    @classmethod
    def spawn(cls, fn: Callable[..., Awaitable[Any]], *args: Any) -> JSPromise:
        """Start ``fn(*args)`` now in the run's task group."""
        promise = cls()
        loop = _SCHEDULER.get()
        if loop is None:
            promise._coro = _call(fn, *args)
        else:
            promise._task = loop.scheduler.spawn(_call_in, loop, fn, args)
        return promise

    @classmethod
    def agent_call(cls, call: Coroutine[Any, Any, Any]) -> JSPromise:
        """An ``agent()`` call, queued at once for the run's agent workers (its value is
        plain JSON, never a thenable, so nothing is adopted).

        Its answer settles the promise only once the script's pending promise work has
        run (:func:`_answer`), as an agent's answer arrives in JS: after the synchronous
        code that called it and every microtask it left, whatever the backend's latency.
        """
        promise = cls()
        loop = _SCHEDULER.get()
        if loop is None:
            promise._coro = call
        else:
            queue = getattr(call, "queue", None)
            if queue is not None:
                queue()  # handed to the runtime: not a call dropped unawaited
            promise._task = loop.scheduler.submit(_answer(loop, call))
        return promise

    @classmethod
    def resolved(cls, value: Any) -> JSPromise:
        if isinstance(value, JSPromise):
            return value
        promise = cls()
        promise._state, promise._value = _FULFILLED, value
        return promise

    @classmethod
    def rejected(cls, reason: Any) -> JSPromise:
        promise = cls()
        promise._state, promise._value = _REJECTED, js_throw(reason)
        return promise

    @classmethod
    def deferred(cls) -> JSPromise:
        promise = cls()
        promise._event = anyio.Event()
        return promise

    def settle(self, ok: bool, value: Any) -> None:
        if self._state != _PENDING or self._event is None:
            return
        if ok and is_thenable(value):
            self._state = -1  # locked in: adopting another promise
            target = value

            async def follow() -> None:
                try:
                    result = await adopt(target)
                except Exception as exc:
                    self._state = _PENDING
                    self.settle(False, js_caught(exc))
                else:
                    self._state = _PENDING
                    self.settle(True, result)

            JSPromise.spawn(follow)
            return
        self._state = _FULFILLED if ok else _REJECTED
        self._value = value if ok else js_throw(value)
        self._event.set()
        _moved()

    # -- awaiting ------------------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, Any]:
        return self.wait().__await__()

    async def wait(self) -> Any:
        if self._state == _PENDING or self._state == -1:
            if self._task is not None:
                try:
                    value = await self._task.wait()
                except Exception as exc:
                    self._state, self._value = _REJECTED, exc
                else:
                    self._state, self._value = _FULFILLED, value
                _moved()
            elif self._coro is not None:
                coro, self._coro = self._coro, None
                try:
                    value = await coro
                except Exception as exc:
                    self._state, self._value = _REJECTED, exc
                else:
                    self._state, self._value = _FULFILLED, value
            elif self._event is not None:
                await self._event.wait()
                _moved()
        if self._state == _REJECTED:
            raise self._value
        return self._value

    # -- then / catch / finally ---------------------------------------------------------

    def then(self, on_ok: Any = undefined, on_error: Any = undefined, *_: Any) -> JSPromise:
        async def step() -> Any:
            try:
                value = await self
            except Exception as exc:
                if is_callable(on_error):
                    return await adopt(on_error(js_caught(exc)))
                raise
            if is_callable(on_ok):
                return await adopt(on_ok(value))
            return value

        return JSPromise.spawn(step)

    def catch(self, on_error: Any = undefined, *_: Any) -> JSPromise:
        return self.then(undefined, on_error)

    def finally_(self, on_finally: Any = undefined, *_: Any) -> JSPromise:
        async def step() -> Any:
            try:
                value = await self
            except Exception:
                if is_callable(on_finally):
                    await adopt(on_finally())
                raise
            if is_callable(on_finally):
                await adopt(on_finally())
            return value

        return JSPromise.spawn(step)

    def js_to_string(self) -> str:
        return "[object Promise]"


JSPromise.JS_METHODS = {
    "then": JSPromise.then,
    "catch": JSPromise.catch,
    "finally": JSPromise.finally_,
}


async def _call(fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    return await adopt(await fn(*args))


async def _call_in(loop: _Loop, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> Any:
    loop.activity += 1
    try:
        return await adopt(await fn(*args))
    finally:
        loop.activity += 1


def _moved() -> None:
    loop = _SCHEDULER.get()
    if loop is not None:
        loop.activity += 1


async def _answer(loop: _Loop, call: Awaitable[Any]) -> Any:
    """An agent's answer, once the promise work pending when it came has run: the loop
    passes until one in which no promise work moved (a zero-latency backend, a replayed
    result, must not beat ``Promise.resolve()`` in a race)."""
    value = await call
    while True:
        seen = loop.activity
        await loop.turn()
        if loop.activity == seen:
            return value


def is_thenable(value: Any) -> bool:
    return isinstance(value, JSPromise) or is_awaitable(value) or (
        isinstance(value, dict) and is_callable(value.get("then")))


async def adopt(value: Any) -> Any:
    """Await ``value`` while it is a promise (JS resolution adopts thenables)."""
    while True:
        if isinstance(value, JSPromise) or is_awaitable(value):
            value = await value
        elif isinstance(value, dict) and is_callable(value.get("then")):
            value = await _thenable(value)
        else:
            return value


def _thenable(value: dict[str, Any]) -> JSPromise:
    deferred = JSPromise.deferred()
    value["then"](lambda v=undefined, *_: deferred.settle(True, v),
                  lambda e=undefined, *_: deferred.settle(False, e))
    return deferred


def js_await(value: Any) -> Any:
    """The awaitable behind JS ``await value`` (non-promises are already settled)."""
    if isinstance(value, JSPromise):
        return value
    if is_awaitable(value):
        return JSPromise.spawn(lambda: value)
    return _settled(value)


async def _settled(value: Any) -> Any:
    return await adopt(value)


def js_async(fn: Callable[..., Awaitable[Any]]) -> Callable[..., JSPromise]:
    """Decorator for transpiled ``async function``s: calling one starts it and returns a
    promise, as in JS (a Python coroutine would only start when awaited)."""

    def start(*args: Any) -> JSPromise:
        return JSPromise.spawn(fn, *args)

    start.__name__ = getattr(fn, "__name__", "async")
    return start


def new_promise(executor: Any = undefined, *_: Any) -> JSPromise:
    if not is_callable(executor):
        raise JSTypeError("Promise resolver is not a function")
    promise = JSPromise.deferred()

    def resolve(value: Any = undefined, *_: Any) -> Any:
        promise.settle(True, value)
        return undefined

    def reject(reason: Any = undefined, *_: Any) -> Any:
        promise.settle(False, reason)
        return undefined

    try:
        executor(resolve, reject)
    except Exception as exc:
        reject(js_caught(exc))
    return promise
