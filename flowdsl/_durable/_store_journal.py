"""The runtime's journal and observer, backed by the store.

The journal is loaded once when a run (re)starts — one query, then every ``replay`` is a
dict lookup — and each ``record`` is one committed write (``Store.append_journal``)
before it returns: the runtime hands the result to the script only afterwards. Events
(phases, logs, failed agents, pauses) are buffered in memory and written in the same
transaction as the next journal row, or by the supervisor's periodic flush: they cost
almost nothing per agent, and a crash can lose at most the last fraction of a second of
*events*, never a journal row.
"""

from __future__ import annotations

import time

from .._runtime import (
    AgentFinished,
    AgentStarted,
    LogLine,
    PhaseStarted,
    RunEvent,
    StatusChanged,
)
from .._store import Store
from .._types import AgentRecord

__all__ = ["StoreJournal", "StoreObserver"]

_TERMINAL = ("completed", "failed", "stopped")


class StoreJournal:
    """The :class:`~flowdsl._runtime.Journal` of one run, backed by the store."""

    __slots__ = ("_pending", "_replay", "_store", "recorded", "replayed", "run_id")

    def __init__(self, store: Store, run_id: str, *, preload: bool = True) -> None:
        self._store = store
        self.run_id = run_id
        # in completion order: a record's position is its place in that order
        self._replay: dict[str, tuple[AgentRecord, int]] = (
            {key: (record, seq) for seq, (key, record)
             in enumerate(store.load_replay(run_id).items())} if preload else {})
        self._pending: list[tuple[str, float, str, str]] = []
        self.replayed = 0
        self.recorded = 0

    @property
    def size(self) -> int:
        """How many finished agents this run can replay."""
        return len(self._replay)

    def replay(self, key: str) -> tuple[AgentRecord, int] | None:
        """The journaled result of a finished, successful call and its completion place."""
        found = self._replay.get(key)
        if found is not None:
            self.replayed += 1
        return found

    def record(self, key: str, record: AgentRecord) -> None:
        """Commit one finished agent (ok or failed), with the buffered events, before returning."""
        events, self._pending = self._pending, []
        try:
            self._store.append_journal(self.run_id, key, record, events)
        except BaseException:
            self._pending[:0] = events  # not written: keep them for the next write
            raise
        self.recorded += 1

    def note(self, kind: str, text: str) -> None:
        """Buffer one event; it is written with the next journal row or :meth:`flush`."""
        self._pending.append((self.run_id, time.time(), kind, text))

    def flush(self) -> None:
        """Write the buffered events now."""
        if self._pending:
            events, self._pending = self._pending, []
            try:
                self._store.append_events(events)
            except BaseException:
                self._pending[:0] = events
                raise


class StoreObserver:
    """Turns run events into stored events: phases, logs, failed agents, pause/unpause;
    and keeps the labels of the agents running now (the supervisor stores them)."""

    __slots__ = ("_journal", "_running", "running_changed")

    def __init__(self, journal: StoreJournal) -> None:
        self._journal = journal
        self._running: dict[int, str] = {}
        self.running_changed = False

    @property
    def running(self) -> list[str]:
        """The labels of the agents running now, in start order."""
        return list(self._running.values())

    def __call__(self, event: RunEvent) -> None:
        if isinstance(event, AgentStarted):
            self._running[event.index] = event.request.label or f"agent #{event.index + 1}"
            self.running_changed = True
        elif isinstance(event, AgentFinished):
            self._running.pop(event.index, None)
            self.running_changed = True
            record = event.record
            if not record.ok:
                who = record.request.label or f"agent #{event.index + 1}"
                self._journal.note("agent", f"{who} {record.status}: {record.error}")
        elif isinstance(event, PhaseStarted):
            self._journal.note("phase", event.title)
        elif isinstance(event, LogLine):
            self._journal.note("log", event.text)
        elif isinstance(event, StatusChanged) and event.status not in _TERMINAL:
            self._journal.note("status", event.status)
