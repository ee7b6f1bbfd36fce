"""The signal that ends a script: raised by the loop tick, never catchable by scripts."""

from __future__ import annotations

from ..errors import FlowError

__all__ = ["Halt", "raise_from_group", "unwrap", "unwrap_first"]


class Halt(BaseException):
    """Raised by the loop tick when the run must end; scripts cannot catch it.

    ``reason`` is None for a stop, else the error that ends the run (``RunTimeout``).
    """

    def __init__(self, reason: FlowError | None) -> None:
        self.reason = reason
        super().__init__(str(reason) if reason else "run stopped")


def raise_from_group(group: BaseExceptionGroup[BaseException]) -> None:
    """Re-raise what a task group collected: a :class:`Halt` first, else the lone error."""
    halts = group.subgroup(lambda exc: isinstance(exc, Halt))
    if halts is not None:
        raise unwrap_first(halts) from None
    raise unwrap(group)


def unwrap_first(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


def unwrap(exc: BaseException) -> BaseException:
    """Single-exception groups are unwrapped before scripts or callers see them."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc
