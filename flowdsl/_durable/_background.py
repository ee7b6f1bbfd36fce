"""Background runs: store a run, start a detached worker for it, resume it later.

The worker is ``python -m flowdsl._durable._worker RUN_ID --store DIR --detach`` in the
run's directory (:mod:`._worker`); it is told its store as an argument and reads
everything else from the run's row.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import partial
from pathlib import Path

from .._event_loop import run_loop
from .._frontends import compile_source, read_workflow
from .._options import RunOptions
from .._store import ENV_STORE, RunInfo, Store, is_url
from .._types import JSONValue
from ..errors import StoreError, UsageError
from ._worktrees import check_branches

__all__ = [
    "check_resumable",
    "prepare_resume",
    "resume_background",
    "spawn_worker",
    "start_background",
]


def spawn_worker(store: Store, run_id: str, cwd: str | None = None) -> int:
    """Start a detached worker for ``run_id``; returns its pid once it exists.

    Raises:
        StoreError: the worker could not be started (its log says why).
    """
    log = store.log_path(run_id)
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{log.parent}: cannot create the log folder ({exc.strerror})") from None
    workdir = cwd if cwd and Path(cwd).is_dir() else os.getcwd()
    cmd = [sys.executable, "-m", "flowdsl._durable._worker", run_id, "--detach"]
    # The script's own process gets a hash seed fixed by the run id (process isolation);
    # the worker keeps one too, for runs stored with isolation="inline".
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if is_url(store.location):  # its password goes in the environment, not in `ps` listings
        env[ENV_STORE] = store.location
    else:
        cmd += ["--store", store.location]
    with open(log, "ab") as err:
        proc = subprocess.run(cmd, cwd=workdir, stdin=subprocess.DEVNULL, env=env,
                              stdout=subprocess.PIPE, stderr=err, start_new_session=True,
                              timeout=120, check=False)
    text = proc.stdout.decode("ascii", "replace").strip()
    if proc.returncode != 0 or not text.isdigit():
        raise StoreError(f"could not start the worker for run {run_id} (see {log})")
    pid = int(text)
    store.set_worker(run_id, pid)
    return pid


def start_background(
    script_path: str | os.PathLike[str], *, args: JSONValue, options: RunOptions,
    idempotency_key: str | None = None,
) -> str:
    """Store a new run of ``script_path`` and start it in a background worker.

    Args:
        script_path: the workflow file; its text is stored with the run.
        args: the script's ``args``.
        options: the resolved run options (stored with the run; ``options.store`` is
            the store, ``options.cwd`` the worker's directory).
        idempotency_key: a run started before with this key is not started again: its
            id is returned (when it was asked for with the same script, args and options).

    Returns:
        The new run id, or the earlier run's.

    Raises:
        UsageError: unreadable file; the key was used for a different run.
        ScriptError: the script is invalid.
        StoreError: the store cannot be used or the worker cannot start.
    """
    path = Path(script_path).resolve()
    text = read_workflow(path)
    compiled = compile_source(text, str(path))
    stored_options = options.to_json()
    with Store.open(options.store) as store:
        run_id, created = store.create_run_once(
            idempotency_key, name=compiled.name, script_path=str(path), script_text=text,
            args=args, options=stored_options, background=True)
        if created:
            spawn_worker(store, run_id, options.cwd)
        else:
            _check_same_request(store.get_run(run_id), idempotency_key, text, args,
                                stored_options)
    return run_id


def _check_same_request(earlier: RunInfo, key: str | None, text: str, args: JSONValue,
                        options: dict[str, JSONValue]) -> None:
    differs = [what for what, same in (("script", earlier.script_text == text),
                                       ("args", earlier.args == args),
                                       ("options", earlier.options == options)) if not same]
    if differs:
        raise UsageError(f"idempotency key {key!r} was used for run {earlier.id} with other "
                         f"{' and '.join(differs)}; use a new key for a new run")


def check_resumable(info: RunInfo) -> None:
    """Raise UsageError unless ``info`` is a run that can be continued."""
    if info.status == "completed":
        raise UsageError(f"run {info.id} already completed; nothing to resume "
                         f"(see 'flowdsl runs result {info.id}')")
    if info.live:
        where = f"in worker pid {info.pid}" if info.pid else "(its worker is starting)"
        raise UsageError(f"run {info.id} is {info.status} {where}")


def prepare_resume(store: Store, ref: str, script: str | os.PathLike[str] | None,
                   backend: str | None = None) -> RunInfo:
    """Check that run ``ref`` can continue and reset it to running, optionally with an
    edited script (checked first: an invalid one changes nothing) or another backend."""
    info = store.get_run(ref)
    check_resumable(info)
    path = text = None
    if script is not None:
        path = str(Path(script).resolve())
        text = read_workflow(path)
        compile_source(text, path)
    if backend is not None:
        store.update_options(info.id, {"backend": backend, "base_url": None})
    store.prepare_resume(info.id, script_path=path, script_text=text)
    return store.get_run(info.id)


def resume_background(
    store: Store, ref: str, *, script: str | os.PathLike[str] | None = None,
    backend: str | None = None, rerun_missing: bool = False,
) -> str:
    """Continue a paused, stopped, failed or interrupted run in a new background worker.

    A paused run whose worker is still alive is simply unpaused. Isolated agents whose
    kept branch was deleted are an error unless ``rerun_missing`` (they run again).
    Returns the run id.
    """
    info = store.get_run(ref)
    if info.status == "paused" and info.live and script is None and backend is None:
        store.request_control(info.id, "unpause")
        return info.id
    check_resumable(info)
    run_loop(partial(check_branches, store, info, rerun_missing=rerun_missing))
    info = prepare_resume(store, ref, script, backend)
    cwd = info.options.get("cwd")
    spawn_worker(store, info.id, cwd if isinstance(cwd, str) else None)
    return info.id
