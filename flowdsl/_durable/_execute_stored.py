"""Executing stored runs: claim the row, compile, execute journaled, record the outcome.

A run's row holds everything needed to execute it again — script text (not just its
path: editing the file later does not change a resumed run unless ``--script`` is
given), args and resolved :class:`RunOptions`. Foreground runs, background workers and
resume all go through :func:`execute_stored`.

A store failure (a full disk) ends the run: the runtime halts it with the store's
one-line error, every agent journaled before stays, and the outcome is written in the
room a reserve file kept for it (``_store/_reserve.py``); if even that fails, the run
reads ``interrupted`` and can be resumed once there is room.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .._frontends import CompiledWorkflow, compile_source
from .._options import RunOptions
from .._runtime import LogLine, Observer, ScriptProcess, execute
from .._store import Store
from .._types import JSONValue, RunResult
from ..backends import AgentBackend
from ..errors import FlowError, StoreError
from ._backend_choice import choose_backend, queue_backend
from ._quota_wait import resume_due, wait_for_reset
from ._store_journal import StoreJournal, StoreObserver
from ._supervisor import Supervisor
from ._tracing import check_tracing, run_tracing
from ._workflow_lookup import saved_workflow_finder
from ._worktrees import sweep_project

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

__all__ = ["execute_compiled", "execute_stored", "run_journaled"]


async def execute_stored(
    store: Store,
    run_id: str,
    *,
    backend: AgentBackend | str | None = None,
    compiled: CompiledWorkflow | None = None,
    observers: Sequence[Observer] = (),
    handle_signals: bool = False,
    prestarted: ScriptProcess | None = None,
    tracer_provider: TracerProvider | None = None,
) -> RunResult:
    """Execute (or continue) the stored run ``run_id`` in this process, journaled.

    Finished agents already in the journal are replayed, not re-run. The outcome is
    written to the run's row; a run cut short (Ctrl-C, cancellation) is marked
    ``interrupted`` so it can be resumed. A run that pauses for quota with
    ``resume_after_quota`` set waits here for the reset and continues
    (:mod:`._quota_wait`).

    Args:
        store: the open store holding the run.
        run_id: the run's full id.
        backend: runs the live agents (default: the run's stored backend).
        compiled: the compiled script when the caller has it (default: compile the
            stored text).
        observers: told of every run event.
        handle_signals: stop the run on SIGTERM/SIGHUP (background workers).
        prestarted: a script process started early for this run (see ``execute``).
        tracer_provider: an OpenTelemetry provider of the caller's: the run is traced
            with it (else as its ``otel`` option says, see :mod:`._tracing`).

    Raises:
        ScriptError / UsageError: the stored script or options are unusable (the run is
            marked failed with that message first).
    """
    result = await _execute_once(store, run_id, backend=backend, compiled=compiled,
                                 observers=observers, handle_signals=handle_signals,
                                 prestarted=prestarted, tracer_provider=tracer_provider)
    attempt = 0
    while result.status == "paused" and store.get_run(run_id).options.get("resume_after_quota"):
        due = resume_due(result, attempt, time.time())
        _tell(observers, f"paused for quota: resuming at "
                         f"{datetime.fromtimestamp(due, UTC):%Y-%m-%d %H:%M:%S} UTC")
        if not await wait_for_reset(store, run_id, due):
            break  # stopped, resumed by hand or deleted meanwhile
        store.prepare_resume(run_id)
        result = await _execute_once(store, run_id, backend=backend, compiled=compiled,
                                     observers=observers, handle_signals=handle_signals,
                                     tracer_provider=tracer_provider)
        attempt = attempt + 1 if result.resets_at is None else 0
    return result


def _tell(observers: Sequence[Observer], text: str) -> None:
    for observer in observers:
        observer(LogLine(text=text))


async def _execute_once(
    store: Store,
    run_id: str,
    *,
    backend: AgentBackend | str | None,
    compiled: CompiledWorkflow | None,
    observers: Sequence[Observer],
    handle_signals: bool,
    prestarted: ScriptProcess | None = None,
    tracer_provider: TracerProvider | None = None,
) -> RunResult:
    """Claim the run, execute it once, record its outcome (see :func:`execute_stored`)."""
    cwd = store.get_run(run_id).options.get("cwd")
    await sweep_project(store, cwd if isinstance(cwd, str) else None, this_run=run_id)
    info = store.claim(run_id, pid=os.getpid())
    journal = StoreJournal(store, run_id)
    try:
        options = RunOptions.from_json(info.options)
        if compiled is None:
            compiled = compile_source(info.script_text, info.script_path)
        queue = (queue_backend(backend, options, run_id=run_id, store_location=store.location,
                               failed_before=journal.failed_before)
                 if options.distributed else None)
        live = queue if queue is not None else choose_backend(backend, options)
        check_tracing(options, tracer_provider)
    except Exception as exc:  # FlowError, or a backend factory that raised
        error = str(exc) if isinstance(exc, FlowError) else f"{type(exc).__name__}: {exc}"
        store.finish(run_id, RunResult(status="failed", error=error, run_id=run_id))
        raise
    store.keep_reserve()
    if queue is not None and not queue.workers():
        _tell(observers, "no flowdsl worker serves this queue now: the agents wait until one "
                         f"starts (flowdsl worker --store {store.shown})")
    if journal.size:
        journal.note("status", f"resuming: {journal.size} finished agents in the journal")
    observer = StoreObserver(journal)
    supervisor = Supervisor(store, run_id, journal, observer=observer,
                            handle_signals=handle_signals)
    finished = False
    store.set_autocheckpoint(False)  # the supervisor checkpoints instead
    try:
        async with run_tracing(options, workflow=compiled.name, run_id=run_id, backend=live,
                               tracer_provider=tracer_provider) as traced:
            result = await execute(
                compiled, args=info.args, backend=live, options=options, journal=journal,
                observers=[observer, *observers, *traced.observers], supervisors=[supervisor],
                run_id=run_id, find_workflow=saved_workflow_finder(store.directory),
                prestarted=prestarted,
            )
            traced.finish(result)
            _record_outcome(store, journal, run_id, result)  # then the trace is sent
            finished = True
    finally:
        if not finished:
            _mark_interrupted(store, journal, run_id)
        _restore_autocheckpoint(store)
        if queue is not None:
            queue.close()  # the queue's connections
    return result


def _record_outcome(store: Store, journal: StoreJournal, run_id: str, result: RunResult) -> None:
    """Write the outcome; on a full disk, in the room the reserve file leaves.

    Raises:
        StoreError: the outcome could not be written at all (the run then reads
            ``interrupted`` once this process is gone, and can be resumed).
    """
    try:
        journal.flush()
        store.finish(run_id, result)
    except StoreError:
        if not store.release_reserve():
            raise
        store.finish(run_id, result)


def _mark_interrupted(store: Store, journal: StoreJournal, run_id: str) -> None:
    try:
        journal.flush()
        store.set_status(run_id, "interrupted")
    except StoreError:
        pass  # the row still says running; its dead worker makes it read "interrupted"


def _restore_autocheckpoint(store: Store) -> None:
    try:
        store.set_autocheckpoint(True)
    except StoreError:
        pass


async def run_journaled(
    compiled: CompiledWorkflow,
    *,
    args: JSONValue,
    backend: AgentBackend | str | None,
    options: RunOptions,
    observers: Sequence[Observer] = (),
    prestarted: ScriptProcess | None = None,
    tracer_provider: TracerProvider | None = None,
) -> RunResult:
    """A foreground run that is journaled like a background one (resumable by id).

    The run is stored in ``options.store`` with ``compiled.source`` and ``options``.
    """
    check_tracing(options, tracer_provider)  # before the run is stored
    script_path = str(Path(options.cwd or os.getcwd(), compiled.path))
    with Store.open(options.store) as store:
        run_id = store.create_run(
            name=compiled.name, script_path=script_path, script_text=compiled.source,
            args=args, options=options.to_json(), background=False)
        return await execute_stored(store, run_id, backend=backend, compiled=compiled,
                                    observers=observers, prestarted=prestarted,
                                    tracer_provider=tracer_provider)


async def execute_compiled(
    compiled: CompiledWorkflow,
    *,
    args: JSONValue,
    backend: AgentBackend | str | None,
    options: RunOptions,
    journal: bool,
    observers: Sequence[Observer] = (),
    prestarted: ScriptProcess | None = None,
    tracer_provider: TracerProvider | None = None,
) -> RunResult:
    """A foreground run: journaled in ``options.store`` (resumable by id), or not stored.

    ``prestarted``: a script process started early for this run (see ``execute``).
    ``tracer_provider``: an OpenTelemetry provider to trace the run with (see
    :mod:`._tracing`).
    """
    if journal:
        return await run_journaled(compiled, args=args, backend=backend, options=options,
                                   observers=observers, prestarted=prestarted,
                                   tracer_provider=tracer_provider)
    check_tracing(options, tracer_provider)
    live = choose_backend(backend, options)
    async with run_tracing(options, workflow=compiled.name, run_id=None, backend=live,
                           tracer_provider=tracer_provider) as traced:
        result = await execute(compiled, args=args, backend=live, options=options,
                               observers=[*observers, *traced.observers],
                               find_workflow=saved_workflow_finder(options.store),
                               prestarted=prestarted)
        traced.finish(result)
    return result
