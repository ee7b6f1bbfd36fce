"""The event loop every flowdsl entry point runs on, and two helpers for the agent path.

asyncio through anyio, on uvloop when it is installed (``pip install 'flowdsl[fast]'``):
its loop schedules tasks and timers in C, which shortens the per-agent path of a large
fan-out (``benchmarks/README.md`` measures both ways). ``FLOWDSL_UVLOOP=0`` keeps the
standard loop with uvloop installed.
"""

from __future__ import annotations

import importlib.util
import os
import types
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeGuard, TypeVar, TypeVarTuple, Unpack

__all__ = ["UVLOOP_ENV", "is_awaitable", "loop_turn", "run_loop", "uses_uvloop"]

UVLOOP_ENV = "FLOWDSL_UVLOOP"

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")


def uses_uvloop() -> bool:
    """Whether :func:`run_loop` runs on uvloop: installed, and not turned off."""
    if os.environ.get(UVLOOP_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return False
    return importlib.util.find_spec("uvloop") is not None


def run_loop(func: Callable[[Unpack[_Ts]], Awaitable[_T]], *args: *_Ts) -> _T:
    """``anyio.run(func, *args)`` on the loop :func:`uses_uvloop` chooses."""
    import anyio  # here: a command that runs no loop (``flowdsl --version``) never loads it

    return anyio.run(func, *args, backend_options={"use_uvloop": uses_uvloop()})


def loop_turn() -> Callable[[], Awaitable[None]]:
    """``anyio.lowlevel.checkpoint`` for the loop running the calling task, chosen once.

    Inside an asyncio task (uvloop's included) it is the bare yield that anyio's asyncio
    checkpoint ends in, ``asyncio.sleep(0)``: the task steps again in the loop's next
    pass, and a cancellation is thrown in at the yield, as there. It costs one frame
    where anyio's costs seven (finding the backend through sniffio on every call) —
    about a tenth of a zero-latency agent, which takes one or two turns. Anywhere else
    (trio), anyio's own checkpoint.
    """
    import asyncio

    try:
        if asyncio.current_task() is not None:
            return _asyncio_turn
    except RuntimeError:  # no asyncio loop runs in this thread
        pass
    import anyio.lowlevel

    return anyio.lowlevel.checkpoint


@types.coroutine
def _asyncio_turn() -> Generator[None, None, None]:
    yield  # asyncio's Task steps a coroutine that yields None again in the next pass


ITERABLE_COROUTINE = 0x100
"""``inspect.CO_ITERABLE_COROUTINE``, the flag ``types.coroutine`` sets (``inspect`` costs
``flowdsl --version`` 8 ms to import)."""


def is_awaitable(value: object) -> TypeGuard[Awaitable[Any]]:
    """Whether ``await value`` works: ``inspect.isawaitable`` without its
    ``collections.abc.Awaitable`` check, the costliest step of a JS agent's path (a tenth
    of it). ``await`` itself looks only at ``__await__`` and generator-based coroutines."""
    return hasattr(type(value), "__await__") or (
        isinstance(value, types.GeneratorType)
        and bool(value.gi_code.co_flags & ITERABLE_COROUTINE))
