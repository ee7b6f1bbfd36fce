"""Executing stored runs: the background worker, its supervisor, start and resume.

A run's row holds everything needed to execute it again — script text (not just its
path: editing the file later does not change a resumed run unless ``--script`` is
given), args and options (backend name, model, limits, working directory). Foreground
runs, background workers and :func:`resume` all go through :func:`execute_stored`:
claim the row, compile, execute with the store's journal, observer and supervisor, and
record the outcome.

The background worker process itself is ``_worker`` (kept apart so that
``python -m flowdsl._store._worker`` does not import itself twice).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio

from .._config import default_backend, load_config
from .._frontends import CompiledWorkflow, compile_source, frontend_for
from .._runtime import Limits, Observer, Run, execute, resolve_backend
from .._types import JSONValue, RunResult
from ..backends import AgentBackend
from ..errors import FlowError, StoreError, UsageError
from ._db import RunInfo, Store
from ._journal import StoreJournal, StoreObserver
from ._liveness import HEARTBEAT_EVERY
from ._schema import checkpoint

CHECKPOINT_EVERY = 2.0
"""Seconds between the supervisor's WAL checkpoints (taken in a thread)."""

__all__ = [
    "Supervisor",
    "execute_stored",
    "limits_from",
    "resume",
    "resume_async",
    "resume_background",
    "run_journaled",
    "spawn_worker",
    "start_background",
]

_OPTION_KEYS = ("backend", "backend_options", "model", "concurrency", "max_agents", "budget",
                "agent_timeout", "run_timeout", "cwd")


class Supervisor:
    """Runs beside the script: flushes events, writes the heartbeat, obeys control requests.

    Control requests (``pause``, ``unpause``, ``stop``) are written to the run's row by
    ``flowdsl runs pause|resume|stop`` from any process; the supervisor polls for them
    every ``poll`` seconds and acknowledges by setting the row's status.
    """

    def __init__(self, store: Store, run_id: str, journal: StoreJournal, *,
                 poll: float = 0.1, handle_signals: bool = False) -> None:
        self.store = store
        self.run_id = run_id
        self.journal = journal
        self.poll = poll
        self.handle_signals = handle_signals

    async def __call__(self, run: Run) -> None:
        if not self.handle_signals:
            await self._loop(run)
            return
        # A plain signal handler (not the event loop's): it runs between bytecodes, so a
        # script spinning in a CPU-bound loop is stopped too (its next loop tick halts).
        previous = {sig: signal.signal(sig, lambda *_: run.request_stop())
                    for sig in (signal.SIGTERM, signal.SIGHUP)}
        try:
            await self._loop(run)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    async def _loop(self, run: Run) -> None:
        last_beat = last_checkpoint = time.monotonic()
        while True:
            await anyio.sleep(self.poll)
            try:
                self._tick(run)
                if time.monotonic() - last_beat >= HEARTBEAT_EVERY:
                    self.store.heartbeat(self.run_id)
                    last_beat = time.monotonic()
            except StoreError as exc:  # a busy store must not kill the run; try again
                print(f"flowdsl worker: store: {exc}", file=sys.stderr, flush=True)
            if time.monotonic() - last_checkpoint >= CHECKPOINT_EVERY:
                await anyio.to_thread.run_sync(checkpoint, self.store.db_path)
                last_checkpoint = time.monotonic()

    def _tick(self, run: Run) -> None:
        if run.stop_requested:  # from the signal handler: cancel what is awaiting too
            run.stop()
            return
        self.journal.flush()
        action = self.store.take_control(self.run_id)
        if action == "pause":
            run.pause()
            self.journal.flush()
            self.store.set_status(self.run_id, "paused")
        elif action == "unpause":
            run.unpause()
            self.journal.flush()
            self.store.set_status(self.run_id, "running")
        elif action == "stop":
            run.stop()


def limits_from(options: dict[str, Any]) -> Limits:
    """The run limits in a run's options; unset ones come from the config, then defaults."""
    config = load_config()
    max_agents = options.get("max_agents")
    return Limits(
        concurrency=int(options.get("concurrency") or config.concurrency),
        max_agents=int(max_agents) if max_agents is not None else 1000,
        budget=options.get("budget"),
        agent_timeout=float(options.get("agent_timeout") or config.agent_timeout or 600.0),
        run_timeout=options.get("run_timeout"),
    )


def backend_from(options: dict[str, Any]) -> AgentBackend:
    """The backend a run's options name (the configured default when none)."""
    extra = options.get("backend_options") or {}
    return default_backend(backend=options.get("backend"), model=options.get("model"),
                           base_url=extra.get("base_url"))


def clean_options(options: dict[str, Any]) -> dict[str, JSONValue]:
    """Keep the known option keys; reject unknown ones (a typo would be silently lost)."""
    unknown = sorted(set(options) - set(_OPTION_KEYS))
    if unknown:
        raise UsageError(f"unknown run option(s): {', '.join(unknown)} "
                         f"(known: {', '.join(_OPTION_KEYS)})")
    out = {k: options[k] for k in _OPTION_KEYS if options.get(k) is not None}
    out.setdefault("cwd", os.getcwd())
    return out


async def execute_stored(
    store: Store,
    run_id: str,
    *,
    backend: AgentBackend | None = None,
    compiled: CompiledWorkflow | None = None,
    observers: Sequence[Observer] = (),
    handle_signals: bool = False,
) -> RunResult:
    """Execute (or continue) the stored run ``run_id`` in this process, journaled.

    Finished agents already in the journal are replayed, not re-run. The outcome is
    written to the run's row; a run cut short (Ctrl-C, cancellation) is marked
    ``interrupted`` so it can be resumed.

    Raises:
        ScriptError / UsageError: the stored script or options are unusable (the run is
            marked failed with that message first).
    """
    info = store.claim(run_id, pid=os.getpid())
    try:
        if compiled is None:
            compiled = compile_source(info.script_text, info.script_path)
        limits = limits_from(info.options)
        if backend is None:
            backend = backend_from(info.options)
    except Exception as exc:  # FlowError, or a backend factory that raised
        error = str(exc) if isinstance(exc, FlowError) else f"{type(exc).__name__}: {exc}"
        store.finish(run_id, RunResult(status="failed", error=error, run_id=run_id))
        raise
    journal = StoreJournal(store, run_id)
    if journal.size:
        journal.note("status", f"resuming: {journal.size} finished agents in the journal")
    supervisor = Supervisor(store, run_id, journal, handle_signals=handle_signals)
    finished = False
    store.conn.execute("PRAGMA wal_autocheckpoint=0")  # the supervisor checkpoints instead
    try:
        result = await execute(
            compiled, args=info.args, backend=backend, limits=limits, journal=journal,
            observers=[StoreObserver(journal), *observers], supervisors=[supervisor],
            run_id=run_id, model=info.options.get("model"),
        )
        journal.flush()
        store.finish(run_id, result)
        finished = True
    finally:
        store.conn.execute("PRAGMA wal_autocheckpoint=1000")
        if not finished:
            _mark_interrupted(store, journal, run_id)
    return result


def _mark_interrupted(store: Store, journal: StoreJournal, run_id: str) -> None:
    try:
        journal.flush()
        store.set_status(run_id, "interrupted")
    except StoreError:
        pass


async def run_journaled(
    compiled: CompiledWorkflow,
    *,
    args: JSONValue,
    backend: AgentBackend,
    options: dict[str, Any],
    store_dir: str | os.PathLike[str] | None = None,
    observers: Sequence[Observer] = (),
) -> RunResult:
    """A foreground run that is journaled like a background one (resumable by id).

    ``options`` are the keys ``start_background`` takes; ``compiled.source`` is stored.
    """
    script_path = os.path.join(os.getcwd(), compiled.path)
    with Store.open(store_dir) as store:
        run_id = store.create_run(
            name=compiled.name, script_path=script_path,
            script_text=compiled.source, args=args, options=clean_options(options),
            background=False)
        return await execute_stored(store, run_id, backend=backend, compiled=compiled,
                                    observers=observers)


# -- background workers -------------------------------------------------------------------


def spawn_worker(store: Store, run_id: str, cwd: str | None = None) -> int:
    """Start a detached worker for ``run_id``; returns its pid once it exists.

    Raises:
        StoreError: the worker could not be started (its log says why).
    """
    log = store.log_path(run_id)
    log.parent.mkdir(parents=True, exist_ok=True)
    workdir = cwd if cwd and Path(cwd).is_dir() else os.getcwd()
    cmd = [sys.executable, "-m", "flowdsl._store._worker", run_id,
           "--store", str(store.directory.resolve()), "--detach"]
    # A fixed hash seed: set iteration order of strings is then the same in every worker,
    # so a resumed script builds the same prompts (and so the same journal keys).
    env = {**os.environ, "PYTHONHASHSEED": "0"}
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
    script_path: str | os.PathLike[str],
    *,
    args: JSONValue,
    options: dict[str, Any],
    store_dir: str | os.PathLike[str] | None = None,
) -> str:
    """Store a new run of ``script_path`` and start it in a background worker.

    Args:
        script_path: the workflow file; its text is stored with the run.
        args: the script's ``args``.
        options: ``backend`` (name or ``module:factory``; None = configured default),
            ``backend_options`` (dict of factory keywords, e.g. ``base_url``), ``model``,
            ``concurrency``, ``max_agents``, ``budget``, ``agent_timeout``,
            ``run_timeout``, ``cwd`` (default: the current directory).
        store_dir: the store directory (default ``$FLOWDSL_STORE`` or ``./.flowdsl``).

    Returns:
        The new run id.

    Raises:
        UsageError: unreadable file, unknown option. ScriptError: the script is invalid.
        StoreError: the store cannot be used or the worker cannot start.
    """
    path = Path(script_path).resolve()
    compile_fn = frontend_for(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{script_path}: cannot read workflow ({exc})") from None
    compiled = compile_fn(text, str(path))
    opts = clean_options(options)
    with Store.open(store_dir) as store:
        run_id = store.create_run(name=compiled.name, script_path=str(path), script_text=text,
                                  args=args, options=opts, background=True)
        spawn_worker(store, run_id, str(opts.get("cwd")))
    return run_id


def check_resumable(info: RunInfo) -> None:
    """Raise UsageError unless ``info`` is a run that can be continued."""
    if info.status == "completed":
        raise UsageError(f"run {info.id} already completed; nothing to resume "
                         f"(see 'flowdsl runs result {info.id}')")
    if info.live:
        where = f"in worker pid {info.pid}" if info.pid else "(its worker is starting)"
        raise UsageError(f"run {info.id} is {info.status} {where}")


def _read_script(script: str | os.PathLike[str]) -> tuple[str, str]:
    path = Path(script).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{script}: cannot read workflow ({exc})") from None
    compile_source(text, str(path))  # refuse an invalid script before touching the run
    return str(path), text


def _prepare(store: Store, ref: str, script: str | os.PathLike[str] | None,
             backend: str | None = None) -> RunInfo:
    info = store.get_run(ref)
    check_resumable(info)
    path, text = _read_script(script) if script is not None else (None, None)
    if backend is not None:
        store.update_options(info.id, {"backend": backend, "backend_options": None})
    store.prepare_resume(info.id, script_path=path, script_text=text)
    return store.get_run(info.id)


def resume_background(
    store: Store, ref: str, *, script: str | os.PathLike[str] | None = None,
    backend: str | None = None,
) -> str:
    """Continue a paused, stopped, failed or interrupted run in a new background worker.

    A paused run whose worker is still alive is simply unpaused.
    Returns the run id.
    """
    info = store.get_run(ref)
    if info.status == "paused" and script is None and backend is None:
        store.request_control(info.id, "unpause")
        return info.id
    info = _prepare(store, ref, script, backend)
    spawn_worker(store, info.id, str(info.options.get("cwd") or ""))
    return info.id


async def resume_async(
    run_id: str,
    *,
    store: str | os.PathLike[str] | Store | None = None,
    script: str | os.PathLike[str] | None = None,
    backend: AgentBackend | str | None = None,
    observers: Sequence[Observer] = (),
) -> RunResult:
    """Continue a stored run in this process; finished agents are replayed, not re-run.

    Args:
        run_id: the run's id (or a unique prefix).
        store: a :class:`Store` or its directory (default ``$FLOWDSL_STORE`` or ``./.flowdsl``).
        script: an edited version of the script; unchanged calls are replayed, changed
            ones run live. Default: the script text stored with the run.
        backend: the backend for calls that run live (default: the run's stored backend).
        observers: callables told of every run event.

    Returns:
        The run's result (``agents`` includes the replayed ones, status "replayed").

    Raises:
        RunNotFound: no such run. UsageError: the run completed or is running elsewhere.
        StoreError: the store cannot be used.
    """
    own = not isinstance(store, Store)
    st = store if isinstance(store, Store) else Store.open(store, create=False)
    try:
        info = _prepare(st, run_id, script, backend if isinstance(backend, str) else None)
        live = resolve_backend(backend) if backend is not None else None
        return await execute_stored(st, info.id, backend=live, observers=observers)
    finally:
        if own:
            st.close()


def resume(
    run_id: str,
    *,
    store: str | os.PathLike[str] | Store | None = None,
    script: str | os.PathLike[str] | None = None,
    backend: AgentBackend | str | None = None,
    observers: Sequence[Observer] = (),
) -> RunResult:
    """Synchronous :func:`resume_async` (starts its own event loop)."""

    async def main() -> RunResult:
        return await resume_async(run_id, store=store, script=script, backend=backend,
                                  observers=observers)

    return anyio.run(main)
