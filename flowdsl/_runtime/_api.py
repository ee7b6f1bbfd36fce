"""The public entry points: ``run`` (sync), ``run_async`` and the internal ``execute``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import anyio

from .._frontends import CompiledWorkflow, compile_file
from .._types import RunResult
from ..backends import AgentBackend, load_backend
from ..errors import UsageError
from ._events import Observer
from ._journal import Journal
from ._limits import Limits
from ._primitives import ScriptContext
from ._run import Run

__all__ = ["execute", "resolve_backend", "run", "run_async"]

Supervisor = Callable[[Run], Awaitable[None]]


def resolve_backend(backend: AgentBackend | str | None) -> AgentBackend:
    """A backend object from an object, a name / ``module:factory``, or configuration.

    Raises:
        UsageError / BackendConfigError: nothing usable is configured.
    """
    if backend is None:
        try:
            from .._config import default_backend
        except ImportError:
            raise UsageError(
                "no backend given: pass backend=... (or --backend NAME on the CLI); "
                "'simulate' runs without keys"
            ) from None
        return default_backend()
    if isinstance(backend, str):
        return load_backend(backend)
    if not isinstance(backend, AgentBackend):
        raise UsageError(f"backend must have an async run(request) method, not {backend!r:.60}")
    return backend


async def execute(
    compiled: CompiledWorkflow,
    *,
    args: Any,
    backend: AgentBackend,
    limits: Limits,
    journal: Journal | None = None,
    observers: Sequence[Observer] = (),
    supervisors: Sequence[Supervisor] = (),
    run_id: str | None = None,
    model: str | None = None,
) -> RunResult:
    """Run a compiled workflow to its end; never raises for failures inside the run."""
    run = Run(compiled, args=args, backend=backend, limits=limits, journal=journal,
              observers=observers, run_id=run_id, model=model)
    context = ScriptContext(run, compiled, args)
    return await run.execute(context.globals(), supervisors)


async def run_async(
    script: str | Path,
    *,
    args: Any = None,
    backend: AgentBackend | str | None = None,
    concurrency: int = 16,
    max_agents: int = 1000,
    budget: int | None = None,
    agent_timeout: float | None = None,
    run_timeout: float | None = None,
    model: str | None = None,
    observers: Sequence[Observer] = (),
) -> RunResult:
    """Run the workflow file ``script`` and return its :class:`RunResult`.

    Args:
        script: path of a ``.flow.py`` (or ``.js`` with the JS layer) workflow.
        args: the JSON value the script sees as ``args``.
        backend: an :class:`AgentBackend`, a shipped name (``"simulate"``) or
            ``"module:factory"``; ``None`` uses the configured default.
        concurrency: how many agents run at once.
        max_agents: the agent cap; the call past it raises ``AgentLimitExceeded``.
        budget: token budget (real input + output tokens); ``None`` is unlimited.
        agent_timeout: seconds per agent (default 600); a timed-out agent returns None.
        run_timeout: wall-clock limit of the whole run in seconds.
        model: the default model when neither the call nor its phase names one.
        observers: callables told of every :class:`RunEvent`.

    Returns:
        The result; ``status`` is "failed" with ``error`` when the script raised.

    Raises:
        ScriptError: the script is invalid (syntax, meta, sandbox) — found before running.
        UsageError: bad arguments or an unreadable file.
    """
    compiled = compile_file(script)
    limits = Limits(
        concurrency=concurrency,
        max_agents=max_agents,
        budget=budget,
        agent_timeout=agent_timeout if agent_timeout is not None else 600.0,
        run_timeout=run_timeout,
    )
    return await execute(compiled, args=args, backend=resolve_backend(backend), limits=limits,
                         observers=observers, model=model)


def run(
    script: str | Path,
    *,
    args: Any = None,
    backend: AgentBackend | str | None = None,
    concurrency: int = 16,
    max_agents: int = 1000,
    budget: int | None = None,
    agent_timeout: float | None = None,
    run_timeout: float | None = None,
    model: str | None = None,
    observers: Sequence[Observer] = (),
) -> RunResult:
    """Synchronous :func:`run_async` (starts its own event loop)."""

    async def main() -> RunResult:
        return await run_async(
            script, args=args, backend=backend, concurrency=concurrency,
            max_agents=max_agents, budget=budget, agent_timeout=agent_timeout,
            run_timeout=run_timeout, model=model, observers=observers,
        )

    return anyio.run(main)
