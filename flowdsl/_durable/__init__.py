"""Durable runs: the layer that joins the runtime, the store and the backends.

Layout::

    _execute_stored.py   execute_stored(): claim a stored run, execute it journaled,
                         record its outcome; run_journaled() for foreground CLI runs
    _store_journal.py    the runtime's Journal and Observer, backed by the store
    _supervisor.py       heartbeat, checkpoints, pause/stop requests beside the script
    _background.py       start a run in a detached worker; resume in a new worker
    _worker.py           the worker process (``python -m flowdsl._durable._worker``)
    _python_api.py       flowdsl.run / run_async / resume / resume_async
    _backend_choice.py   which backend a run uses (object, name, or configuration)
    _workflow_lookup.py  saved workflows: save, list, find by name

Approaches considered and rejected for the journal:

- one JSON state file rewritten after every agent (the seed): O(N²) bytes written;
- an append-only JSONL journal: O(1) appends, but no concurrent readers/writers with
  status, control and listing across processes, and no cheap queries;
- keys by start index (the seed) or replaying a prefix in start order (Claude Code):
  any fan-out reorders starts, so resume re-runs finished agents.

Chosen: the SQLite store (:mod:`flowdsl._store`), one committed write per finished agent
before the script sees the result, content-addressed keys computed by the runtime
(``sha256(request) : occurrence``), and the whole journal of a run loaded into a dict
when it (re)starts, so replay is a dict lookup.
"""

from ._backend_choice import choose_backend as choose_backend
from ._background import check_resumable as check_resumable
from ._background import prepare_resume as prepare_resume
from ._background import resume_background as resume_background
from ._background import spawn_worker as spawn_worker
from ._background import start_background as start_background
from ._execute_stored import execute_stored as execute_stored
from ._execute_stored import run_journaled as run_journaled
from ._python_api import resume as resume
from ._python_api import resume_async as resume_async
from ._python_api import run as run
from ._python_api import run_async as run_async
from ._store_journal import StoreJournal as StoreJournal
from ._store_journal import StoreObserver as StoreObserver
from ._supervisor import CHECKPOINT_EVERY as CHECKPOINT_EVERY
from ._supervisor import Supervisor as Supervisor
from ._workflow_lookup import SavedWorkflow as SavedWorkflow
from ._workflow_lookup import find_workflow as find_workflow
from ._workflow_lookup import list_workflows as list_workflows
from ._workflow_lookup import save_workflow as save_workflow
from ._workflow_lookup import saved_workflow_finder as saved_workflow_finder

__all__ = (
    "CHECKPOINT_EVERY",
    "SavedWorkflow",
    "StoreJournal",
    "StoreObserver",
    "Supervisor",
    "check_resumable",
    "choose_backend",
    "execute_stored",
    "find_workflow",
    "list_workflows",
    "prepare_resume",
    "resume",
    "resume_async",
    "resume_background",
    "run",
    "run_async",
    "run_journaled",
    "save_workflow",
    "saved_workflow_finder",
    "spawn_worker",
    "start_background",
)
