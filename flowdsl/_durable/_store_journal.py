"""The runtime's journal and observer, backed by the store.

The journal is loaded once when a run (re)starts — one query, then every ``replay`` is a
dict lookup. Rows are written by group commit (``commit``): the first agent to finish
in an event-loop turn opens a batch and yields once, the others that finish in that
turn add their rows and wait; then the batch is committed in one transaction
(``Store.append_journal_batch``, one ``executemany``, rows in completion order) and
every agent of it is released — the runtime hands a result to the script only then. A
failed commit raises in every agent of that batch, and the run ends. ``record`` commits
at once (with the open batch's rows first), for the runtime's paths that cannot wait.

Rejected: holding a batch open for several turns (every agent in flight is already
waiting on it, so nothing more finishes meanwhile: only latency is added) and committing
from a worker thread (the same CPU plus a hand-off per batch, and the loop turn is what
forms the batch anyway).

Events (phases, logs, failed agents, pauses) are buffered in memory and written in the
same transaction as the next batch, or by the supervisor's periodic flush: they cost
almost nothing per agent, and a crash can lose at most the last fraction of a second of
*events*, never a journal row the script has seen.
"""

from __future__ import annotations

import time

import anyio

from .._event_loop import loop_turn
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
from ..errors import StoreError

__all__ = ["StoreJournal", "StoreObserver"]

_TERMINAL = ("completed", "failed", "stopped")


class _Batch:
    """The rows of one loop turn, waiting for their commit."""

    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.error: BaseException | None = None


class StoreJournal:
    """The :class:`~flowdsl._runtime.GroupCommitJournal` of one run, backed by the store."""

    __slots__ = ("_batch", "_earlier", "_pending", "_replay", "_rows", "_store", "_turn",
                 "batches", "recorded", "replayed", "run_id")

    def __init__(self, store: Store, run_id: str, *, preload: bool = True) -> None:
        self._store = store
        self.run_id = run_id
        # in completion order: a record's position is its place in that order
        self._replay: dict[str, tuple[AgentRecord, int]] = (
            {key: (record, seq) for seq, (key, record)
             in enumerate(store.load_replay(run_id).items())} if preload else {})
        # the rows of earlier attempts, by key: a row recorded again replaces its own
        self._earlier: dict[str, int] = store.journal_seqs(run_id) if preload else {}
        self._pending: list[tuple[str, float, str, str]] = []
        self._rows: list[tuple[str, AgentRecord]] = []  # not committed yet, in completion order
        self._batch: _Batch | None = None  # the waiters of those rows
        self._turn = loop_turn()  # made in the task that executes the run, as the Run is
        self.replayed = 0
        self.recorded = 0
        self.batches = 0
        """Journal transactions committed (``recorded / batches``: the mean batch)."""

    @property
    def size(self) -> int:
        """How many finished agents this run can replay."""
        return len(self._replay)

    def failed_before(self, key: str) -> bool:
        """Whether an earlier attempt of call ``key`` is in the journal (a call that is not
        replayed, and was journaled, failed)."""
        return key in self._earlier

    def replay(self, key: str) -> tuple[AgentRecord, int] | None:
        """The journaled result of a finished, successful call and its completion place."""
        found = self._replay.get(key)
        if found is not None:
            self.replayed += 1
        return found

    def record(self, key: str, record: AgentRecord) -> None:
        """Commit one finished agent (ok or failed), after the open batch's rows and with
        the buffered events, before returning."""
        self._rows.append((key, record))
        self._write()

    async def commit(self, key: str, record: AgentRecord) -> None:
        """Commit one finished agent with the others that finish in this loop turn.

        Returns once the row is durable. A caller cancelled meanwhile still waits for the
        commit (at most a loop turn) before the cancellation goes on: the row is committed
        either way, and the runtime counts the agent as finished.

        Raises:
            StoreError: the batch's commit failed (raised in each agent of the batch).
        """
        self._rows.append((key, record))
        batch = self._batch
        if batch is None:  # the first of this turn: let the others add their rows, commit
            batch = self._batch = _Batch()
            try:
                await self._turn()
            finally:
                if self._batch is batch:  # not written meanwhile by ``record``
                    self._write()
        else:
            try:
                # the batch's opener yielded first, so it resumes first in the next turn
                # and commits: most waiters find the batch done after one turn (cheaper
                # than an event's wake-up); a loop that orders wake-ups otherwise waits
                await self._turn()
                if not batch.done.is_set():
                    await batch.done.wait()
            except anyio.get_cancelled_exc_class():
                with anyio.CancelScope(shield=True):  # rare: the run is ending
                    await batch.done.wait()
                if batch.error is None:
                    raise
        if batch.error is not None:
            raise batch.error

    def _write(self) -> None:
        """Commit every buffered row and event in one transaction; release the batch."""
        rows, self._rows = self._rows, []
        events, self._pending = self._pending, []
        batch, self._batch = self._batch, None
        earlier = self._earlier
        replaced = [earlier[key] for key, _ in rows if key in earlier] if earlier else []
        try:
            self._store.append_journal_batch(self.run_id, rows, events, replaced)
        except BaseException as exc:
            self._pending[:0] = events  # not written: keep them for the next write
            if batch is not None:
                batch.error = exc if isinstance(exc, Exception) else StoreError(
                    f"{self._store.where}: the journal's commit was interrupted")
                batch.done.set()
            raise
        if replaced:
            for key, _ in rows:
                earlier.pop(key, None)
        self.recorded += len(rows)
        self.batches += 1
        if batch is not None:
            batch.done.set()

    def note(self, kind: str, text: str) -> None:
        """Buffer one event; it is written with the next journal batch or :meth:`flush`."""
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
        self._running: dict[int, tuple[str | None, float]] = {}  # (label, start) by index
        self.running_changed = False

    @property
    def running(self) -> list[tuple[str, float]]:
        """The agents running now, ``(label, started at)`` in start order."""
        return [(label or f"agent #{index + 1}", since)
                for index, (label, since) in self._running.items()]

    def __call__(self, event: RunEvent) -> None:
        if isinstance(event, AgentStarted):
            # the label's default is made when read
            self._running[event.index] = (event.request.label, time.time())
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
