"""Per-agent timeouts: one watchdog task per run instead of a timer per agent.

Each agent's deadline is filed here, and one watchdog task per run
(:meth:`AgentDeadlines.start`) sleeps until the earliest deadline filed and cancels the
agents whose deadline has passed. The agent is cancelled exactly as by a deadline scope
(its backend call ends, the call knows it timed out), at the same moment give or take one
event-loop pass, and the other agents go on. What the watchdog cancels:

- on asyncio (:attr:`AgentDeadlines.in_place`), the agent's task itself, the call awaited
  without any scope (:meth:`AgentDeadlines.watch_task`, :mod:`._task_timeout` says how
  and why);
- elsewhere (trio), a cancel scope without a deadline of its own that the call runs in
  (:meth:`AgentDeadlines.watch`; ``scope.cancelled_caught`` says it timed out).

Why not a deadline on each scope: that arms an event-loop timer per agent and cancels it
when the agent ends — the largest single cost per agent in a profile of a zero-latency
fan-out (31 %) — and every cancelled timer stays in the loop's heap until its deadline
(600 s by default) comes round, making every later timer dearer. Deadlines filed here
cost a heap push; the watchdog wakes once per deadline that passes, which is rare.

Deadlines are kept on ``time.monotonic()`` (the clock asyncio's loop runs on; trio's runs
at the same rate) and the watchdog sleeps for the time left, so filing one reads no
event-loop clock; and the watchdog makes the agents' scopes with the class the run's
event loop backs ``anyio.CancelScope`` with, found once, instead of asking anyio which
loop runs for every agent.

Finished agents are only marked (their entry keeps its place in the heap, as the loop's
cancelled timers do); when marked entries outnumber live ones the heap is rebuilt without
them, so it holds the agents in flight and at most as many finished ones.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.abc

from .._event_loop import loop_turn
from ._task_timeout import TaskTimeout, task_timeouts

__all__ = ["AgentDeadlines", "Watch"]

Watch = list[Any]
"""One filed deadline: ``[deadline, order, target]``, the target a cancel scope or a
:class:`TaskTimeout`; None once the agent finished, or once the watchdog cancelled its
scope (a list, so the heap compares deadlines in C)."""

_COMPACT_AT = 64
"""Finished entries tolerated in the heap before it may be rebuilt without them."""


class AgentDeadlines:
    """The deadlines of one run's running agents, and the watchdog that enforces them."""

    __slots__ = ("_current_task", "_due", "_finished", "_heap", "_in_place_allowed",
                 "_new_scope", "_order", "_sleeping_until", "_task_states", "_turn",
                 "_wake", "cancelled", "in_place", "watching")

    def __init__(self, *, in_place: bool = True) -> None:
        """``in_place=False``: agents get a cancel scope each on asyncio too."""
        self._heap: list[Watch] = []
        self._due: list[Watch] = []
        """Timeouts past their deadline whose call still runs (delivered every pass)."""
        self._order = itertools.count()
        self._finished = 0
        self._wake: anyio.Event | None = None  # made by the watchdog, in the event loop
        self._sleeping_until = math.inf
        self._new_scope: Callable[[], anyio.CancelScope] = anyio.CancelScope
        self._in_place_allowed = in_place
        self._task_states: Any = None
        self._current_task: Callable[[], Any] = lambda: None
        self._turn: Callable[[], Awaitable[None]] | None = None
        self.watching = False
        """True while the watchdog runs: only then may agents file their deadlines here
        (otherwise they take a deadline scope of their own)."""
        self.in_place = False
        """Agents await their call without a scope, and the watchdog cancels their task
        (:meth:`watch_task`); False: a scope each (:meth:`watch`)."""
        self.cancelled: type[BaseException] = BaseException
        """The running loop's cancellation exception (set by :meth:`start`)."""

    def start(self, task_group: anyio.abc.TaskGroup) -> None:
        """Start the watchdog in the run's task group (it ends when the group does)."""
        # anyio.CancelScope() looks up the running loop's backend on every call; the class
        # it returns is constructible as it is (it is what that lookup constructs)
        self._new_scope = type(anyio.CancelScope())
        self.cancelled = anyio.get_cancelled_exc_class()
        self._turn = loop_turn()
        self._task_states = task_timeouts() if self._in_place_allowed else None
        if self._task_states is not None:
            import asyncio

            self._current_task = asyncio.current_task
            self.in_place = True
        self.watching = True
        task_group.start_soon(self._watchdog, name="flowdsl agent deadlines")

    def watch(self, seconds: float) -> Watch:
        """A cancel scope for one agent, cancelled ``seconds`` from now: ``watch[2]``.

        Hand the watch back to :meth:`done` when the agent's call has ended."""
        return self._file(seconds, self._new_scope())

    def watch_task(self, seconds: float) -> Watch:
        """The calling task's call times out ``seconds`` from now (only while
        :attr:`in_place`): ``watch[2]`` is its :class:`TaskTimeout`, whose ``caught()``
        tells the call's own cancellation from another. Hand the watch back to
        :meth:`done` when the call has ended, as it ended (it takes back what it made)."""
        return self._file(seconds, TaskTimeout(self._current_task(), self._task_states))

    def _file(self, seconds: float, target: Any) -> Watch:
        deadline = time.monotonic() + seconds
        watch = [deadline, next(self._order), target]
        heapq.heappush(self._heap, watch)
        if deadline < self._sleeping_until and self._wake is not None:
            self._sleeping_until = -math.inf  # one wake-up is enough
            self._wake.set()
        return watch

    def done(self, watch: Watch) -> None:
        """The agent's call ended: its deadline no longer applies."""
        target = watch[2]
        if target is None:
            return  # the watchdog cancelled its scope and took it out of the heap
        watch[2] = None
        if type(target) is TaskTimeout:
            if target.cancels:
                target.settle()
            if target.due:
                return  # the watchdog took it out of the heap
        self._finished += 1
        heap = self._heap
        if self._finished > _COMPACT_AT and 2 * self._finished > len(heap):
            heap[:] = [entry for entry in heap if entry[2] is not None]
            heapq.heapify(heap)
            self._finished = 0

    async def _watchdog(self) -> None:
        heap, due, turn = self._heap, self._due, self._turn
        assert turn is not None
        try:
            while True:
                now = time.monotonic()
                while heap and heap[0][0] <= now:
                    watch = heapq.heappop(heap)
                    target = watch[2]
                    if target is None:
                        self._finished -= 1
                    elif type(target) is TaskTimeout:
                        target.due = True
                        due.append(watch)
                    else:
                        watch[2] = None
                        target.cancel()
                due[:] = [watch for watch in due if watch[2] is not None]  # calls that ended
                if due:  # delivered in every pass until the call ends (shielded meanwhile)
                    for watch in due:
                        watch[2].deliver()
                    self._sleeping_until = -math.inf  # no wake-up needed: back next pass
                    await turn()
                    continue
                self._sleeping_until = heap[0][0] if heap else math.inf
                self._wake = wake = anyio.Event()
                with anyio.move_on_after(self._sleeping_until - now):
                    await wake.wait()
        finally:
            self.watching = False
