"""Per-agent timeouts: one watchdog task per run instead of a timer per agent.

An agent runs in a cancel scope without a deadline of its own; :meth:`AgentDeadlines.watch`
files the scope under the agent's deadline, and one watchdog task per run
(:meth:`AgentDeadlines.start`) sleeps until the earliest deadline filed and cancels the
scopes whose deadline has passed. The agent is cancelled exactly as by a deadline scope
(its backend call ends, ``scope.cancelled_caught`` says it timed out), at the same moment
give or take one event-loop pass, and the other agents go on.

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
from collections.abc import Callable
from typing import Any

import anyio
import anyio.abc

__all__ = ["AgentDeadlines", "Watch"]

Watch = list[Any]
"""One filed deadline: ``[deadline, order, scope]``; the scope is None once the agent
finished or the watchdog cancelled it (a list, so the heap compares deadlines in C)."""

_COMPACT_AT = 64
"""Finished entries tolerated in the heap before it may be rebuilt without them."""


class AgentDeadlines:
    """The deadlines of one run's running agents, and the watchdog that enforces them."""

    __slots__ = ("_finished", "_heap", "_new_scope", "_order", "_sleeping_until", "_wake",
                 "watching")

    def __init__(self) -> None:
        self._heap: list[Watch] = []
        self._order = itertools.count()
        self._finished = 0
        self._wake: anyio.Event | None = None  # made by the watchdog, in the event loop
        self._sleeping_until = math.inf
        self._new_scope: Callable[[], anyio.CancelScope] = anyio.CancelScope
        self.watching = False
        """True while the watchdog runs: only then may agents file their deadlines here
        (otherwise they take a deadline scope of their own)."""

    def start(self, task_group: anyio.abc.TaskGroup) -> None:
        """Start the watchdog in the run's task group (it ends when the group does)."""
        # anyio.CancelScope() looks up the running loop's backend on every call; the class
        # it returns is constructible as it is (it is what that lookup constructs)
        self._new_scope = type(anyio.CancelScope())
        self.watching = True
        task_group.start_soon(self._watchdog, name="flowdsl agent deadlines")

    def watch(self, seconds: float) -> Watch:
        """A cancel scope for one agent, cancelled ``seconds`` from now: ``watch[2]``.

        Hand the watch back to :meth:`done` when the agent's call has ended."""
        deadline = time.monotonic() + seconds
        watch = [deadline, next(self._order), self._new_scope()]
        heapq.heappush(self._heap, watch)
        if deadline < self._sleeping_until and self._wake is not None:
            self._sleeping_until = -math.inf  # one wake-up is enough
            self._wake.set()
        return watch

    def done(self, watch: Watch) -> None:
        """The agent's call ended: its deadline no longer applies."""
        if watch[2] is None:
            return  # the watchdog took it out of the heap
        watch[2] = None
        self._finished += 1
        heap = self._heap
        if self._finished > _COMPACT_AT and 2 * self._finished > len(heap):
            heap[:] = [entry for entry in heap if entry[2] is not None]
            heapq.heapify(heap)
            self._finished = 0

    async def _watchdog(self) -> None:
        heap = self._heap
        try:
            while True:
                now = time.monotonic()
                while heap and heap[0][0] <= now:
                    watch = heapq.heappop(heap)
                    scope = watch[2]
                    if scope is None:
                        self._finished -= 1
                    else:
                        watch[2] = None
                        scope.cancel()
                self._sleeping_until = heap[0][0] if heap else math.inf
                self._wake = wake = anyio.Event()
                with anyio.move_on_after(self._sleeping_until - now):
                    await wake.wait()
        finally:
            self.watching = False
