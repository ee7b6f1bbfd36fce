"""``parallel()``, ``pipeline()`` and ``workflow()`` calls that the script must await.

Their results are coroutines; one the script drops unawaited (``parallel([...])`` as a
statement) would silently run nothing. :func:`must_await` wraps such a DSL function so
that its call returns an :class:`AwaitOnce`, which fails the run at the call's line if
it is collected unawaited — as an ``agent()`` call does (``_dispatch.AgentCall``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._script import ScriptRunner

__all__ = ["AwaitOnce", "must_await"]


class AwaitOnce:
    """A DSL coroutine the script must await (or hand to ``parallel``) exactly once."""

    __slots__ = ("_coroutine", "_line", "_runner", "_started", "_what")

    def __init__(self, coroutine: Coroutine[Any, Any, Any], runner: ScriptRunner,
                 line: int | None, what: str) -> None:
        self._coroutine = coroutine
        self._runner = runner
        self._line = line
        self._what = what
        self._started = False

    def __await__(self) -> Generator[Any, None, Any]:
        self._started = True
        return self._coroutine.__await__()

    def close(self) -> None:
        """The runtime drops a call it never reached (the run ended): not an error."""
        self._started = True
        self._coroutine.close()

    def __del__(self) -> None:
        if not self._started:
            self._coroutine.close()
            self._runner.never_awaited(self._line, self._what)


def must_await(fn: Callable[..., Coroutine[Any, Any, Any]], runner: ScriptRunner,
               what: str) -> Callable[..., AwaitOnce]:
    """``fn`` as the script sees it: its calls must be awaited."""
    path = runner.compiled.path

    def call(*args: Any, **kwargs: Any) -> AwaitOnce:
        caller = sys._getframe(1)
        line = caller.f_lineno if caller.f_code.co_filename == path else None
        return AwaitOnce(fn(*args, **kwargs), runner, line, what)

    call.__name__ = fn.__name__
    call.__doc__ = fn.__doc__
    return call
