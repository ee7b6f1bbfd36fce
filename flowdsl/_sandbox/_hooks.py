"""What a running script needs from the run, handed in when the script starts.

The sandbox sits below the runtime: it knows no ``Run``. The runtime passes a
:class:`ScriptHooks` value to ``CompiledWorkflow.start``; the sandbox gives ``tick`` to
the script's loops and hands the hooks to per-run module factories (the JavaScript
layer's ``jsrt`` needs the ``scheduler`` to start promises eagerly, as JS does).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

__all__ = ["Scheduler", "ScriptHooks", "TaskHandle", "Tick"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

Tick = Callable[[], None]
"""Called on every loop iteration, comprehension item and function entry of a script;
it raises a ``BaseException`` to end the script (stop, deadline)."""


class TaskHandle(Protocol[T_co]):
    """A unit of work started at once; its result is awaited later."""

    @property
    def done(self) -> bool: ...

    async def wait(self) -> T_co: ...


class Scheduler(Protocol):
    """Starts work in the run's task group (the engine behind JS promises)."""

    def spawn(self, fn: Callable[..., Awaitable[T]], *args: Any) -> TaskHandle[T]:
        """Start ``fn(*args)`` now; its exception goes to the handle."""
        ...

    def submit(self, call: Coroutine[Any, Any, T]) -> TaskHandle[T]:
        """Queue an ``agent()`` call for the run's agent workers."""
        ...


@dataclass(frozen=True, slots=True)
class ScriptHooks:
    """The run's hooks for one executing script."""

    tick: Tick
    scheduler: Scheduler | None = None
    """None outside a run (unit tests of helpers): JS promises then run when awaited."""
