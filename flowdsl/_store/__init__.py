"""Durable runs: the SQLite run store, its journal, background workers and resume.

Approaches considered and rejected:

- one JSON state file rewritten after every agent (the seed): O(N²) bytes written;
- an append-only JSONL journal: O(1) appends, but no concurrent readers/writers with
  status, control and listing across processes, and no cheap queries;
- keys by start index (the seed) or replaying a prefix in start order (Claude Code):
  any fan-out reorders starts, so resume re-runs finished agents.

Chosen: stdlib ``sqlite3`` in WAL mode, one INSERT per finished agent committed before
the script sees the result, content-addressed keys computed by the runtime
(``sha256(request) : occurrence``), and the whole journal of a run loaded into a dict
when it (re)starts, so replay is a dict lookup.
"""

from ._db import EventRow as EventRow
from ._db import JournalEntry as JournalEntry
from ._db import RunInfo as RunInfo
from ._db import Store as Store
from ._db import resolve_store_dir as resolve_store_dir
from ._exec import Supervisor as Supervisor
from ._exec import execute_stored as execute_stored
from ._exec import resume as resume
from ._exec import resume_async as resume_async
from ._exec import resume_background as resume_background
from ._exec import run_journaled as run_journaled
from ._exec import start_background as start_background
from ._journal import StoreJournal as StoreJournal
from ._journal import StoreObserver as StoreObserver
from ._workflows import find_workflow as find_workflow
from ._workflows import list_workflows as list_workflows
from ._workflows import save_workflow as save_workflow

__all__ = (
    "EventRow",
    "JournalEntry",
    "RunInfo",
    "Store",
    "StoreJournal",
    "StoreObserver",
    "Supervisor",
    "execute_stored",
    "find_workflow",
    "list_workflows",
    "resolve_store_dir",
    "resume",
    "resume_async",
    "resume_background",
    "run_journaled",
    "save_workflow",
    "start_background",
)
