"""Persistence of durable runs: the SQLite run store (runs, journal, events), nothing more.

It imports nothing above it (no runtime, backends, compat, CLI or ``_durable``): the
``_durable`` layer executes stored runs and hands the store what to write.

- ``_db``: :class:`Store`, one run store directory and its methods (runs, control,
  events);
- ``_journal``: the journal table's methods, :class:`Store`'s base (rows appended in
  batches, read back for replay and listing);
- ``_rows``: the row codec (:class:`RunInfo`, :class:`JournalEntry`, :class:`EventRow`,
  the journal's INSERT and its parameters);
- ``_sqlite``: the SQLite file (schema, migrations, read-only opening, checkpoints)
  and the one translation of sqlite3 errors into ``StoreError``;
- ``_liveness``: whether a run's worker process is still alive.

Approaches considered and rejected:

- one JSON state file rewritten after every agent (the seed): O(N²) bytes written;
- an append-only JSONL journal: O(1) appends, but no concurrent readers/writers with
  status, control and listing across processes, and no cheap queries;
- keys by start index (the seed) or replaying a prefix in start order (Claude Code):
  any fan-out reorders starts, so resume re-runs finished agents.

Chosen: stdlib ``sqlite3`` in WAL mode, one row per finished agent committed before
the script sees the result — the rows of the agents that finish in the same event-loop
turn in one transaction (group commit: one ``executemany``, one commit per batch) —,
content-addressed keys computed by the runtime (``sha256(request) : occurrence``), and
the whole journal of a run loaded into a dict when it (re)starts, so replay is a dict
lookup.
"""

from ._db import DB_NAME as DB_NAME
from ._db import ENV_STORE as ENV_STORE
from ._db import ControlAction as ControlAction
from ._db import Store as Store
from ._db import resolve_store_dir as resolve_store_dir
from ._liveness import HEARTBEAT_EVERY as HEARTBEAT_EVERY
from ._rows import EventRow as EventRow
from ._rows import JournalEntry as JournalEntry
from ._rows import JournalTotals as JournalTotals
from ._rows import RunInfo as RunInfo
from ._sqlite import checkpoint as checkpoint

__all__ = (
    "DB_NAME",
    "ENV_STORE",
    "HEARTBEAT_EVERY",
    "ControlAction",
    "EventRow",
    "JournalEntry",
    "JournalTotals",
    "RunInfo",
    "Store",
    "checkpoint",
    "resolve_store_dir",
)
