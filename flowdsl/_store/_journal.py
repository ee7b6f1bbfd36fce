"""The runtime's hooks into the store: the :class:`StoreJournal` and its observer.

The journal is loaded once when a run (re)starts — one query, then every ``replay`` is a
dict lookup — and each ``record`` is a single INSERT committed before it returns (the
runtime hands the result to the script only afterwards). Events (phases, logs, failed
agents, pauses) are buffered in memory and written in the same transaction as the next
journal row, or by the supervisor's periodic flush: they cost almost nothing per agent,
and a crash can lose at most the last fraction of a second of *events*, never a
journal row.
"""

from __future__ import annotations

import sqlite3
import time

from .._runtime import RunEvent
from .._types import AgentRecord
from ._db import INSERT_EVENT, INSERT_JOURNAL, Store, journal_params
from ._schema import translate

__all__ = ["StoreJournal", "StoreObserver"]

_TERMINAL = ("completed", "failed", "stopped")


class StoreJournal:
    """The :class:`~flowdsl._runtime.Journal` of one run, backed by the store."""

    __slots__ = ("_conn", "_pending", "_replay", "_store", "recorded", "replayed", "run_id")

    def __init__(self, store: Store, run_id: str, *, preload: bool = True) -> None:
        self._store = store
        self._conn = store.conn
        self.run_id = run_id
        self._replay: dict[str, AgentRecord] = store.load_replay(run_id) if preload else {}
        self._pending: list[tuple[str, float, str, str]] = []
        self.replayed = 0
        self.recorded = 0

    @property
    def size(self) -> int:
        """How many finished agents this run can replay."""
        return len(self._replay)

    def replay(self, key: str) -> AgentRecord | None:
        """The journaled result of a finished, successful call, or None."""
        record = self._replay.get(key)
        if record is not None:
            self.replayed += 1
        return record

    def record(self, key: str, record: AgentRecord) -> None:
        """Commit one finished agent (ok or failed) before returning."""
        params = journal_params(self.run_id, key, record)
        conn = self._conn
        try:
            if not self._pending:
                conn.execute(INSERT_JOURNAL, params)
            else:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(INSERT_EVENT, self._pending)
                    conn.execute(INSERT_JOURNAL, params)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                self._pending.clear()
        except sqlite3.Error as exc:
            raise translate(exc, self._store.db_path) from exc
        self.recorded += 1

    def note(self, kind: str, text: str) -> None:
        """Buffer one event; it is written with the next journal row or :meth:`flush`."""
        self._pending.append((self.run_id, time.time(), kind, text))

    def flush(self) -> None:
        """Write the buffered events now."""
        if self._pending:
            events, self._pending = self._pending, []
            self._store.append_events(events)


class StoreObserver:
    """Turns run events into stored events: phases, logs, failed agents, pause/unpause."""

    __slots__ = ("_journal",)

    def __init__(self, journal: StoreJournal) -> None:
        self._journal = journal

    def __call__(self, event: RunEvent) -> None:
        kind = event.kind
        if kind == "agent_finished":
            record = event.record
            if record is not None and not record.ok:
                who = record.request.label or f"agent #{(event.index or 0) + 1}"
                self._journal.note("agent", f"{who} {record.status}: {record.error}")
        elif kind in ("phase", "log"):
            self._journal.note(kind, event.text or "")
        elif kind == "status" and event.text not in _TERMINAL:
            self._journal.note("status", event.text or "")
