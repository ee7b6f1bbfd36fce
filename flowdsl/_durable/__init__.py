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
    _worktrees.py        isolated agents' worktrees: sweep orphans, missing branches
    _quota_wait.py       --resume-after-quota: wait for the reset, then resume
    _control.py          from any process: wait for a run, stop, pause or resume it

Why the journal is SQLite with content-addressed keys: the store's package docstring
(:mod:`flowdsl._store`).
"""

from __future__ import annotations

import typing as _typing

from .._lazy import lazy_exports as _lazy_exports

# Names import on first use: the CLI reaches this package from every command, and
# most commands need one or two of its modules, not the runtime behind the rest.
if _typing.TYPE_CHECKING:
    from ._backend_choice import choose_backend as choose_backend
    from ._background import resume_background as resume_background
    from ._background import start_background as start_background
    from ._control import pause_run as pause_run
    from ._control import resume_run as resume_run
    from ._control import stop_run as stop_run
    from ._control import wait_for as wait_for
    from ._execute_stored import execute_compiled as execute_compiled
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
    from ._worktrees import remove_run_worktrees as remove_run_worktrees
    from ._worktrees import run_repo as run_repo

_LAZY: dict[str, tuple[str, str]] = {
    "choose_backend": ("._backend_choice", "choose_backend"),
    "resume_background": ("._background", "resume_background"),
    "start_background": ("._background", "start_background"),
    "pause_run": ("._control", "pause_run"),
    "resume_run": ("._control", "resume_run"),
    "stop_run": ("._control", "stop_run"),
    "wait_for": ("._control", "wait_for"),
    "execute_compiled": ("._execute_stored", "execute_compiled"),
    "execute_stored": ("._execute_stored", "execute_stored"),
    "run_journaled": ("._execute_stored", "run_journaled"),
    "resume": ("._python_api", "resume"),
    "resume_async": ("._python_api", "resume_async"),
    "run": ("._python_api", "run"),
    "run_async": ("._python_api", "run_async"),
    "StoreJournal": ("._store_journal", "StoreJournal"),
    "StoreObserver": ("._store_journal", "StoreObserver"),
    "CHECKPOINT_EVERY": ("._supervisor", "CHECKPOINT_EVERY"),
    "Supervisor": ("._supervisor", "Supervisor"),
    "SavedWorkflow": ("._workflow_lookup", "SavedWorkflow"),
    "find_workflow": ("._workflow_lookup", "find_workflow"),
    "list_workflows": ("._workflow_lookup", "list_workflows"),
    "save_workflow": ("._workflow_lookup", "save_workflow"),
    "saved_workflow_finder": ("._workflow_lookup", "saved_workflow_finder"),
    "remove_run_worktrees": ("._worktrees", "remove_run_worktrees"),
    "run_repo": ("._worktrees", "run_repo"),
}


__getattr__ = _lazy_exports(__name__, _LAZY)


__all__ = (
    "CHECKPOINT_EVERY",
    "SavedWorkflow",
    "StoreJournal",
    "StoreObserver",
    "Supervisor",
    "choose_backend",
    "execute_compiled",
    "execute_stored",
    "find_workflow",
    "list_workflows",
    "pause_run",
    "remove_run_worktrees",
    "resume",
    "resume_async",
    "resume_background",
    "resume_run",
    "run",
    "run_async",
    "run_journaled",
    "run_repo",
    "save_workflow",
    "saved_workflow_finder",
    "start_background",
    "stop_run",
    "wait_for",
)
