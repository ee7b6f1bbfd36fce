"""Persistence of durable runs: the run store (runs, journal, events), nothing more.

It imports nothing above it (no runtime, backends, compat, CLI or ``_durable``): the
``_durable`` layer executes stored runs and hands the store what to write.

- ``_db``: :class:`Store`, one run store and its methods (runs, control), written once
  for both databases; :class:`SqliteStore`;
- ``_database``: the seam between those methods and a database (what SQL differs);
- ``_events``: the events table's methods (phases, logs, status changes), a base of
  :class:`Store` too;
- ``_journal``: the journal table's methods, :class:`Store`'s base (rows appended in
  batches, read back for replay and listing);
- ``_rows``: the row codec (:class:`RunInfo`, :class:`JournalEntry`, :class:`EventRow`,
  the journal's INSERT and its parameters);
- ``_sqlite``: the SQLite file (schema, migrations, read-only opening, checkpoints)
  and the one translation of sqlite3 errors into ``StoreError``;
- ``_postgres``: the same store in PostgreSQL (``--store postgresql://...``), loaded
  only for such a store (the one module importing ``psycopg``);
- ``_location``: where a store is (:func:`resolve_store_location`), a store URL's local
  folder (worker logs, saved workflows), and its password kept out of messages;
- ``_liveness``: whether a run's worker process is still alive;
- ``_usage_query``: tokens and cost of journaled agents summed by run, phase and model;
- ``_failure_query``: a run's not-ok agents counted by status and error.

Approaches considered and rejected:

- one JSON state file rewritten after every agent (the seed): O(N²) bytes written;
- an append-only JSONL journal: O(1) appends, but no concurrent readers/writers with
  status, control and listing across processes, and no cheap queries;
- keys by start index (the seed) or replaying a prefix in start order (Claude Code):
  any fan-out reorders starts, so resume re-runs finished agents.

Chosen (the default, embedded store): stdlib ``sqlite3`` in WAL mode, one row per
finished agent committed before the script sees the result — the rows of the agents that
finish in the same event-loop turn in one transaction (group commit: one
``executemany``, one commit per batch) —, content-addressed keys computed by the runtime
(``sha256(request) : occurrence``), and the whole journal of a run loaded into a dict
when it (re)starts, so replay is a dict lookup. A store shared by several machines is
PostgreSQL (``_postgres``): the same methods and SQL over a seam of a few dialect hooks
(``_database``), not a second store.
"""

import typing as _typing

from .._lazy import lazy_exports as _lazy_exports
from ._db import DB_NAME as DB_NAME
from ._db import ControlAction as ControlAction
from ._db import Store as Store
from ._db import store_exists as store_exists
from ._liveness import HEARTBEAT_EVERY as HEARTBEAT_EVERY
from ._location import ENV_STORE as ENV_STORE
from ._location import StoreMissing as StoreMissing
from ._location import is_url as is_url
from ._location import mask_url as mask_url
from ._location import resolve_store_dir as resolve_store_dir
from ._location import resolve_store_location as resolve_store_location
from ._rows import RUNNING_SHOWN as RUNNING_SHOWN
from ._rows import EventRow as EventRow
from ._rows import JournalEntry as JournalEntry
from ._rows import JournalTotals as JournalTotals
from ._rows import RunInfo as RunInfo
from ._sqlite import checkpoint as checkpoint

if _typing.TYPE_CHECKING:
    from ._failure_query import FailureCount as FailureCount
    from ._failure_query import failure_counts as failure_counts
    from ._usage_query import UsageGroup as UsageGroup
    from ._usage_query import usage_groups as usage_groups

# the report queries load with the commands that use them (``runs list`` starts without)
__getattr__ = _lazy_exports(__name__, {
    "FailureCount": ("._failure_query", "FailureCount"),
    "failure_counts": ("._failure_query", "failure_counts"),
    "UsageGroup": ("._usage_query", "UsageGroup"),
    "usage_groups": ("._usage_query", "usage_groups"),
})

__all__ = (
    "DB_NAME",
    "ENV_STORE",
    "HEARTBEAT_EVERY",
    "RUNNING_SHOWN",
    "ControlAction",
    "EventRow",
    "FailureCount",
    "JournalEntry",
    "JournalTotals",
    "RunInfo",
    "Store",
    "StoreMissing",
    "UsageGroup",
    "checkpoint",
    "failure_counts",
    "is_url",
    "mask_url",
    "resolve_store_dir",
    "resolve_store_location",
    "store_exists",
    "usage_groups",
)
