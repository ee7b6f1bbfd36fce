"""Controlling a stored run from any process: wait for it, stop, pause or resume it.

Shared by ``flowdsl runs stop|pause|resume|result --wait`` and the MCP server's
``workflow_stop|pause|resume|status``. A request is written to the run's row; the run's
supervisor polls for it and acknowledges by setting the status (:mod:`._supervisor`).
These calls block (they poll the store): async callers run them in a worker thread.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from .._store import RunInfo, Store
from .._store._liveness import hostname
from ..errors import StoreError, UsageError
from ._background import resume_background

__all__ = ["POLL", "pause_run", "resume_run", "stop_run", "wait_for"]

POLL = 0.05
"""Seconds between two reads of a run's row while waiting for it."""


def wait_for(store: Store, run_id: str, done: Callable[[RunInfo], bool],
             timeout: float | None) -> RunInfo:
    """The run once ``done(run)`` holds, or as it is after ``timeout`` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    info = store.get_run(run_id)
    while not done(info):
        if deadline is not None and time.monotonic() > deadline:
            break
        time.sleep(POLL)
        info = store.get_run(run_id)
    return info


def _signal(info: RunInfo, sig: int) -> None:
    """Signal the run's worker, if it runs on this machine (a PostgreSQL store's runs may
    run elsewhere: their pid means nothing here)."""
    if info.pid is not None and info.live and info.host in (None, hostname()):
        try:
            os.kill(info.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop_run(store: Store, ref: str, *, timeout: float = 2.0) -> RunInfo:
    """Cancel the run's in-flight agents and end it (status ``stopped``).

    A worker that does not answer within ``timeout`` seconds gets SIGTERM (which it obeys
    mid-computation too), then SIGKILL. Stopping a stopped run is a no-op.

    Raises:
        UsageError: the run is not running (completed, failed).
    """
    info = _stop(store, ref, timeout)
    if info.options.get("distributed") and info.status == "stopped":
        _cancel_queued(store, info.id)
    return info


def _cancel_queued(store: Store, run_id: str) -> None:
    """A stopped distributed run's agents left on the queue: none waits for them."""
    try:
        from .._distributed import cancel_queued

        cancel_queued(store.location, run_id)
    except ImportError:
        raise UsageError(f"run {run_id} stopped, but its queued agents need the distributed "
                         "extra to be cancelled: pip install 'flowdsl[distributed]'") from None
    except Exception as exc:  # the database's error (SQLAlchemy's, psycopg's)
        raise StoreError(f"{store.shown}: run {run_id} stopped, but its queued agents could "
                         f"not be cancelled ({type(exc).__name__}); stop it again") from None


def _stop(store: Store, ref: str, timeout: float) -> RunInfo:
    info = store.get_run(ref)
    if info.status == "interrupted" or info.paused_for_quota:
        store.set_status(info.id, "stopped")  # no worker to tell (a waiting one sees it)
        return store.get_run(info.id)
    if info.live:
        store.request_control(info.id, "stop")
        info = wait_for(store, info.id, lambda i: not i.live, timeout)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if info.live:
                _signal(info, sig)
                info = wait_for(store, info.id, lambda i: not i.live, 5.0)
        if info.status == "interrupted":
            store.set_status(info.id, "stopped")
            info = store.get_run(info.id)
        return info
    if info.status != "stopped":
        raise UsageError(f"run {info.id} is not running (status {info.status})")
    return info


def pause_run(store: Store, ref: str, *, timeout: float = 10.0) -> RunInfo:
    """Dispatch no new agents (in-flight ones finish); ``paused`` once acknowledged.

    Raises:
        UsageError: the run is not running. StoreError: the worker did not acknowledge.
    """
    info = store.get_run(ref)
    if info.status == "running":
        store.request_control(info.id, "pause")
        info = wait_for(store, info.id, lambda i: i.status != "running", timeout)
        if info.status == "running":
            raise StoreError(f"run {info.id}: the worker did not acknowledge the pause "
                             f"within {timeout:g} s")
    elif info.status != "paused":
        raise UsageError(f"run {info.id} is not running (status {info.status})")
    return info


def resume_run(store: Store, ref: str, *, script: str | os.PathLike[str] | Path | None = None,
               backend: str | None = None, rerun_missing: bool = False) -> RunInfo:
    """Continue a paused, stopped, failed or interrupted run in a background worker (a
    paused run whose worker is alive is unpaused; this waits up to 10 s for that)."""
    before = store.get_run(ref)
    run_id = resume_background(store, before.id, script=script, backend=backend,
                               rerun_missing=rerun_missing)
    if before.status == "paused" and before.live:
        return wait_for(store, run_id, lambda i: i.status != "paused", 10.0)
    return store.get_run(run_id)
