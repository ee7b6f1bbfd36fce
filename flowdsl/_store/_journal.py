"""The journal table: one row per finished agent, appended in completion order.

The hot path of a durable run. :meth:`JournalTable.append_journal_batch` commits the
rows of several agents (the runtime's group commit: those that finished in the same
event-loop turn) and any buffered events in one transaction — one ``executemany`` — so
the commit, the store's main cost per agent, is paid once per batch. Rows get their
``seq`` in the order given, which is the order the agents completed: resume replays in
that order (``load_replay``). Rows only append (no index on the key: it would take every
row to a random page); a row that replaces an earlier one of its key (a failed agent run
again on resume) names that row's ``seq`` (:meth:`JournalTable.journal_seqs`), deleted
in the same transaction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._database import Database
from ._rows import (
    INSERT_EVENT,
    INSERT_JOURNAL,
    RECORD_COLUMNS,
    SELECT_TOTALS,
    JournalEntry,
    JournalTotals,
    decode_record,
    decode_totals,
    encode_json,
    journal_params,
)

if TYPE_CHECKING:
    from .._types import AgentRecord

__all__ = ["Event", "JournalTable"]

Event = tuple[str, float, str, str]
"""A buffered event to append: ``(run_id, at, kind, text)``."""


class JournalTable(Database):
    """The journal's reads and writes (a base of :class:`~flowdsl._store.Store`)."""

    def append_journal(self, run_id: str, key: str, record: AgentRecord,
                       events: Sequence[Event] = ()) -> None:
        """Commit one finished agent, and any buffered events, before returning; a row of
        the run with the same key is replaced (found by a scan of the run's rows: the
        runtime's path, :meth:`append_journal_batch`, names the rows it replaces).

        Raises:
            StoreError: nothing was written (e.g. "database or disk is full").
        """
        replaced = [seq for (seq,) in self._query(
            "SELECT seq FROM journal WHERE run_id = ? AND key = ?", (run_id, key))]
        self.append_journal_batch(run_id, ((key, record),), events, replaced)

    def append_journal_batch(self, run_id: str, entries: Sequence[tuple[str, AgentRecord]],
                             events: Sequence[Event] = (), replaced: Sequence[int] = (),
                             ) -> None:
        """Commit finished agents, in completion order, and buffered events, together.

        One row and nothing else is a single autocommit INSERT; anything more is one
        transaction (all written, or none).

        Args:
            run_id: the run.
            entries: ``(key, record)`` of each agent, in the order they completed.
            events: ``(run_id, at, kind, text)`` events to commit with them (first).
            replaced: the ``seq`` of earlier rows these entries replace (the same keys,
                from :meth:`journal_seqs`): deleted in the same transaction.

        Raises:
            StoreError: nothing was written (e.g. "database or disk is full").
        """
        now = time.time()  # one commit: its rows share their ``recorded_at``
        rows = [journal_params(run_id, key, record, now) for key, record in entries]
        if not events and not replaced and len(rows) <= 1:
            if rows:
                self._exec(INSERT_JOURNAL, rows[0])
            return
        with self._write() as conn:
            if replaced:
                conn.executemany("DELETE FROM journal WHERE seq = ?", [(s,) for s in replaced])
            if events:
                conn.executemany(INSERT_EVENT, events)
            if rows:
                conn.executemany(INSERT_JOURNAL, rows)

    def journal_seqs(self, run_id: str) -> dict[str, int]:
        """The ``seq`` of each journal row of a run, by key (what a new row replaces)."""
        return dict(self._query("SELECT key, seq FROM journal WHERE run_id = ?", (run_id,)))

    def load_replay(self, run_id: str) -> dict[str, AgentRecord]:
        """The journal's successful agents of a run by key, in the order they completed."""
        rows = self._query(f"SELECT key, {RECORD_COLUMNS} FROM journal "
                           "WHERE run_id = ? AND status = 'ok' ORDER BY seq", (run_id,))
        return {row[0]: decode_record(row[1:]) for row in rows}

    def kept_branches(self, run_id: str) -> dict[str, str]:
        """The branches isolated agents of a run kept their changes on, by journal key."""
        rows = self._query(f"SELECT key, {self.json_text('worktree', 'branch')} FROM journal "
                           "WHERE run_id = ? AND worktree IS NOT NULL", (run_id,))
        return {key: branch for key, branch in rows}

    def forget_agents(self, run_id: str, keys: Sequence[str]) -> None:
        """Drop journal rows so a resume runs those agents again (``--rerun-missing``)."""
        with self._write() as conn:  # one pass over the run's rows
            conn.execute(f"DELETE FROM journal WHERE run_id = ? AND {self.in_json_list('key')}",
                         (run_id, encode_json(list(keys))))

    def journal(self, run_id: str) -> list[JournalEntry]:
        """Every journal row of a run, in the order they were recorded."""
        rows = self._query(f"SELECT key, recorded_at, {RECORD_COLUMNS} FROM journal "
                           "WHERE run_id = ? ORDER BY seq", (run_id,))
        return [JournalEntry(key=r[0], recorded_at=r[1], record=decode_record(r[2:]))
                for r in rows]

    def outcomes(self, run_id: str) -> dict[str, int]:
        """How the journaled agents of a run ended: ``{ok, failed, refused, cancelled}``
        (a ``timeout`` counts as failed; replays are not journal rows)."""
        from .._types import outcome_of  # here: `runs list` loads no value types

        counts = {"ok": 0, "failed": 0, "refused": 0, "cancelled": 0}
        for status, n in self._query("SELECT status, count(*) FROM journal WHERE run_id = ? "
                                     "GROUP BY status", (run_id,)):
            outcome = outcome_of(status)
            counts[outcome] = counts.get(outcome, 0) + n
        return counts

    def _journal_totals(self, run_id: str) -> JournalTotals:
        """What the journal of ``run_id`` adds up to (the one totals query)."""
        (row,) = self._query(SELECT_TOTALS, (run_id,))
        return decode_totals(row)
