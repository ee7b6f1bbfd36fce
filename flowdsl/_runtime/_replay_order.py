"""Resume that is deterministic: replayed results resolve in their original completion order.

A journaled result is ready at once, but handing results to the script in *start* order
would change what a script builds from completion order (``order.append(...)`` after each
agent, then a prompt from ``order``) — and a changed prompt is a new, paid call. Each
journaled result carries its place in the order the first run completed them; a replayed
result whose predecessors have not been handed out yet waits for them.

A script that no longer asks for an earlier result (it changed, or it depended on an
agent that failed) must not wait forever: when every task of the script is blocked and no
agent call is in flight, the results that never came are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio

__all__ = ["ReplayOrder"]


class ReplayOrder:
    """Hands out replayed results in completion order."""

    __slots__ = ("_change", "_count", "_handed", "_in_flight", "_next", "_start_soon",
                 "_waiting", "_watching")

    def __init__(self, count: int, in_flight: Callable[[], int],
                 start_soon: Callable[..., Any]) -> None:
        """
        Args:
            count: the journal's replayable results (completion places 0..count-1).
            in_flight: how many agent calls await an answer now.
            start_soon: starts the watcher task in the script's task group.
        """
        self._count = count
        self._in_flight = in_flight
        self._start_soon = start_soon
        self._next = 0
        self._handed: set[int] = set()
        self._waiting: dict[int, anyio.Event] = {}
        self._watching = False
        self._change = anyio.Event()

    async def turn(self, seq: int) -> None:
        """Wait until the replayed result ``seq`` may be handed to the script."""
        if seq > self._next and seq < self._count:
            event = self._waiting[seq] = anyio.Event()
            if self._watching:
                self.changed()  # the watcher may be waiting for this very call's answer
            else:
                self._watching = True
                self._start_soon(self._watch)
            await event.wait()
        self._hand(seq)

    def changed(self) -> None:
        """A live call was answered: the script may ask for what it did not before."""
        if self._watching:
            self._change.set()
            self._change = anyio.Event()

    def _hand(self, seq: int) -> None:
        if seq < self._next:
            return  # skipped while the script did not ask for it
        self._handed.add(seq)
        while self._next in self._handed:
            self._handed.discard(self._next)
            self._next += 1
        self._wake()
        self.changed()

    def _wake(self) -> None:
        event = self._waiting.pop(self._next, None)
        if event is not None:
            event.set()

    async def _watch(self) -> None:
        """Skip results the script stopped asking for, once it can ask for nothing else."""
        try:
            while self._waiting:
                change = self._change
                await anyio.wait_all_tasks_blocked()
                if not self._waiting or self._next in self._waiting:
                    continue
                if self._in_flight():
                    await change.wait()
                    continue
                self._next = min(self._waiting)  # the ones before it never came
                self._handed = {s for s in self._handed if s > self._next}
                self._wake()
        finally:
            self._watching = False
