"""The event loop every flowdsl entry point runs on.

asyncio through anyio, on uvloop when it is installed (``pip install 'flowdsl[fast]'``):
its loop schedules tasks and timers in C, which shortens the per-agent path of a large
fan-out (``benchmarks/README.md`` measures both ways). ``FLOWDSL_UVLOOP=0`` keeps the
standard loop with uvloop installed.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar, TypeVarTuple, Unpack

__all__ = ["UVLOOP_ENV", "run_loop", "uses_uvloop"]

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
