"""An agent's timeout on asyncio without a cancel scope: its task is cancelled in place.

A per-agent ``anyio.CancelScope`` costs a waiting agent about 8 µs of CPU in a 20 ms
fan-out (entering and leaving it walks anyio's scope tree; measured in
``benchmarks/README.md``) — a quarter of what flowdsl adds per agent to a bare worker
pool. On asyncio, the run's deadline watchdog cancels the agent's task itself instead,
by the protocol anyio follows to deliver a scope's cancellation there:

- ``Task.cancel()``, never while the task is inside a *shielded* anyio scope that the
  call entered (a backend's shielded clean-up runs to its end; the watchdog tries again
  every loop pass, as anyio does);
- never while another cancellation is on its way to the task (``_must_cancel``, or the
  future it waits for already done): two cancellations in one pass would reach it as
  one, and one of them would be lost. anyio skips such a task the same way, so a
  cancellation of anyio's and one of ours never fold together;
- delivered again while the call still runs and the task waits anew (a backend that
  swallowed the first).

:func:`~._agent_call.call_agent` catches the cancellation at the agent's boundary and
:meth:`TaskTimeout.settle` takes back every ``cancel()`` it made (``Task.uncancel``), so
the anyio scopes around the call count the task's cancellation requests as before it.

It needs two private parts of anyio's asyncio backend (``_task_states``, a scope's
``_parent_scope``) and asyncio's Task internals that anyio itself reads (``_must_cancel``,
``_fut_waiter``); where any is missing, or on trio, agents get a cancel scope each
(:func:`task_timeouts` says None).
"""

from __future__ import annotations

from typing import Any

__all__ = ["TaskTimeout", "task_timeouts"]

_REASON = "flowdsl: the agent's timeout"


class TaskTimeout:
    """The timeout of one agent's call, running in ``task``."""

    __slots__ = ("_base", "_cancelling", "_states", "cancels", "due", "task")

    def __init__(self, task: Any, states: Any) -> None:
        self.task = task
        self._states = states
        state = states.get(task)
        self._base = state.cancel_scope if state is not None else None
        """The task's innermost anyio scope when the call began: scopes inside it are the
        call's own, and only those may shield it from its timeout."""
        self._cancelling = task.cancelling()
        self.cancels = 0
        """How many times the watchdog cancelled the task for this timeout."""
        self.due = False
        """The deadline passed (the watchdog delivers it until the call ends)."""

    def deliver(self) -> None:
        """Cancel the task now unless the call is shielded or a cancellation is on its way
        (the watchdog calls this again in the next loop pass while the call runs)."""
        task = self.task
        if task.done() or task._must_cancel:
            return
        waiter = task._fut_waiter
        if waiter is not None and waiter.done():
            return  # it runs in this pass, with what it waited for (or a cancellation)
        state = self._states.get(task)
        scope = state.cancel_scope if state is not None else None
        while scope is not None and scope is not self._base:
            if scope.shield:
                return
            scope = scope._parent_scope
        self.cancels += 1
        task.cancel(_REASON)

    def caught(self) -> bool:
        """The cancellation that reached the call's boundary is this timeout's alone (not
        also a cancellation of the task by someone else, folded into it)."""
        return self.cancels > 0 and self.task.cancelling() <= self._cancelling + self.cancels

    def settle(self) -> None:
        """The call ended: take back the task's cancellation requests this timeout made."""
        task = self.task
        for _ in range(self.cancels):
            task.uncancel()


def task_timeouts() -> Any | None:
    """anyio's per-task state table when the calling task's loop lets agents time out
    without a scope (asyncio, uvloop's included, with the internals named above), else
    None (trio; another anyio)."""
    import asyncio

    try:
        task = asyncio.current_task()
        from anyio._backends._asyncio import CancelScope, _task_states
    except (RuntimeError, ImportError):  # RuntimeError: no asyncio loop runs here (trio)
        return None
    if (task is None or not all(hasattr(task, name) for name in _TASK_PARTS)
            or not hasattr(CancelScope(), "_parent_scope")):
        return None
    return _task_states


_TASK_PARTS = ("cancelling", "uncancel", "_must_cancel", "_fut_waiter")
