"""The events table: a run's phases, log lines, failed agents and status changes.

Appended in id order and read after a cursor (``runs logs --follow``); a base of
:class:`~flowdsl._store.Store`, like the journal's :class:`~flowdsl._store._journal.JournalTable`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from ._database import Database
from ._rows import INSERT_EVENT, EventRow, StoredEventKind

__all__ = ["EventTable"]


class EventTable(Database):
    """The events' reads and writes (a base of :class:`~flowdsl._store.Store`)."""

    def _event(self, run_id: str, kind: StoredEventKind, text: str) -> None:
        self._exec(INSERT_EVENT, (run_id, time.time(), kind, text))

    def append_events(self, events: Sequence[tuple[str, float, str, str]]) -> None:
        """Append buffered ``(run_id, at, kind, text)`` events in one transaction."""
        if events:
            with self._write() as conn:
                conn.executemany(INSERT_EVENT, events)

    def last_event(self, run_id: str, kind: StoredEventKind) -> EventRow | None:
        """The run's newest event of ``kind`` (its current phase, say)."""
        rows = self._query("SELECT id, at, kind, text FROM events WHERE run_id = ? AND kind = ? "
                           "ORDER BY id DESC LIMIT 1", (run_id, kind))
        return EventRow(id=rows[0][0], at=rows[0][1], kind=rows[0][2], text=rows[0][3]) \
            if rows else None

    def events(self, run_id: str, *, after: int = 0, limit: int | None = None,
               ) -> list[EventRow]:
        """The run's events after the event id ``after``, oldest first (at most ``limit``)."""
        sql = "SELECT id, at, kind, text FROM events WHERE run_id = ? AND id > ? ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._query(sql, (run_id, after))
        return [EventRow(id=r[0], at=r[1], kind=r[2], text=r[3]) for r in rows]
