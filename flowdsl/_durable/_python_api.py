"""The Python API's runs: ``flowdsl.run`` / ``run_async`` and ``resume`` / ``resume_async``.

Options resolve exactly as for ``flowdsl run``: defaults < the project configuration
above the current directory < the keyword arguments given here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._event_loop import run_loop
from .._frontends import compile_file
from .._options import RunOptions
from .._runtime import Observer
from .._store import Store
from .._types import RunResult
from ..backends import AgentBackend
from ..errors import UsageError
from ._backend_choice import choose_backend
from ._background import check_resumable, prepare_resume
from ._execute_stored import execute_compiled, execute_stored
from ._worktrees import check_branches

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

__all__ = ["resume", "resume_async", "run", "run_async"]


async def run_async(
    script: str | os.PathLike[str],
    *,
    args: Any = None,
    backend: AgentBackend | str | None = None,
    options: RunOptions | None = None,
    journal: bool = False,
    observers: Sequence[Observer] = (),
    tracer_provider: TracerProvider | None = None,
    **knobs: Any,
) -> RunResult:
    """Run the workflow file ``script`` and return its :class:`RunResult`.

    Args:
        script: path of a ``.flow.py`` or ``.js`` workflow.
        args: the JSON value the script sees as ``args``.
        backend: an :class:`AgentBackend`, a shipped name (``"simulate"``) or
            ``"module:factory"``; None uses ``options.backend`` (the configured one).
        options: resolved options; None resolves them from the configuration and
            ``knobs``.
        journal: record the run in the store (``options.store``) so it can be resumed.
        observers: callables told of every run event.
        tracer_provider: an OpenTelemetry ``TracerProvider`` of the application's (e.g.
            Logfire's): the run's spans are made with it, and flushing them is the
            application's. Without it, ``otel=True`` (or an OTLP endpoint in the
            environment) exports the run's trace over OTLP/HTTP itself.
        **knobs: :class:`RunOptions` fields — ``concurrency``, ``max_agents``,
            ``budget`` (tokens), ``agent_timeout``, ``run_timeout`` (seconds), ``model``,
            ``base_url``, ``store``, ``otel``, ... — over the configuration (or over
            ``options``).

    Returns:
        The result; ``status`` is "failed" with ``error`` when the script raised.

    Raises:
        ScriptError: the script is invalid (syntax, meta, sandbox) — found before running.
        UsageError: bad arguments or an unreadable file.
        BackendConfigError: no usable backend.
    """
    resolved = options.with_(**knobs) if options is not None else RunOptions.resolve(**knobs)
    compiled = compile_file(script)
    if resolved.distributed and not journal:
        raise UsageError("a distributed run is stored (the journal names its agents on the "
                         "queue): pass journal=True")
    # a distributed run's workers build the backend it names; here, a configuration error
    # before the run starts
    live = backend if resolved.distributed else choose_backend(backend, resolved)
    return await execute_compiled(compiled, args=args, backend=live, options=resolved,
                                  journal=journal, observers=observers,
                                  tracer_provider=tracer_provider)


def run(script: str | os.PathLike[str], **kwargs: Any) -> RunResult:
    """Synchronous :func:`run_async` (starts its own event loop); the same arguments."""

    async def main() -> RunResult:
        return await run_async(script, **kwargs)

    return run_loop(main)


async def resume_async(
    run_id: str,
    *,
    store: str | os.PathLike[str] | Store | None = None,
    script: str | os.PathLike[str] | None = None,
    backend: AgentBackend | str | None = None,
    observers: Sequence[Observer] = (),
    rerun_missing: bool = False,
    otel: bool | None = None,
    tracer_provider: TracerProvider | None = None,
) -> RunResult:
    """Continue a stored run in this process; finished agents are replayed, not re-run.

    Args:
        run_id: the run's id (or a unique prefix).
        store: a :class:`Store`, its directory or its ``postgresql://`` URL (default
            ``$FLOWDSL_STORE`` or ``./.flowdsl``).
        script: an edited version of the script; unchanged calls are replayed, changed
            ones run live. Default: the script text stored with the run.
        backend: the backend for calls that run live (default: the run's stored backend).
        observers: callables told of every run event.
        rerun_missing: run isolated agents again whose kept branch was deleted (else
            their missing branches are an error and nothing changes).
        otel: trace the run (True) or not (False) from now on, over what it was stored
            with; None keeps that.
        tracer_provider: an OpenTelemetry provider of the application's to trace with.

    Returns:
        The run's result (``agents`` includes the replayed ones, status "replayed").

    Raises:
        RunNotFound: no such run. UsageError: the run completed or is running elsewhere.
        StoreError: the store cannot be used.
    """
    own = not isinstance(store, Store)
    st = store if isinstance(store, Store) else Store.open(store, create=False)
    try:
        before = st.get_run(run_id)
        check_resumable(before)  # before any journal entry is forgotten
        await check_branches(st, before, rerun_missing=rerun_missing)
        info = prepare_resume(st, run_id, script, backend if isinstance(backend, str) else None)
        if otel is not None:
            st.update_options(info.id, {"otel": otel})
        return await execute_stored(st, info.id, backend=backend, observers=observers,
                                    tracer_provider=tracer_provider)
    finally:
        if own:
            st.close()


def resume(run_id: str, **kwargs: Any) -> RunResult:
    """Synchronous :func:`resume_async` (starts its own event loop); the same arguments."""

    async def main() -> RunResult:
        return await resume_async(run_id, **kwargs)

    return run_loop(main)
