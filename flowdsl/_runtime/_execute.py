"""Run a compiled workflow to its end: the runtime's one entry point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._frontends import CompiledWorkflow
from .._options import RunOptions
from .._types import RunResult
from ..backends import AgentBackend
from ._context import ScriptContext
from ._events import Observer
from ._journal import Journal
from ._run import Run, Supervisor, WorkflowFinder

__all__ = ["execute"]


async def execute(
    compiled: CompiledWorkflow,
    *,
    args: Any,
    backend: AgentBackend,
    options: RunOptions,
    journal: Journal | None = None,
    observers: Sequence[Observer] = (),
    supervisors: Sequence[Supervisor] = (),
    run_id: str | None = None,
    find_workflow: WorkflowFinder | None = None,
) -> RunResult:
    """Run ``compiled`` with ``args``; never raises for failures inside the run.

    Args:
        compiled: the workflow (any frontend).
        args: the JSON value the script sees as ``args``.
        backend: runs each agent.
        options: limits and defaults (``RunOptions.resolve`` builds them).
        journal: records finished agents and replays them (None: not durable).
        observers: told of every run event.
        supervisors: run beside the script for its lifetime (heartbeat, control).
        run_id: the stored run's id, reported in the result.
        find_workflow: finds saved workflows for ``workflow(name)``.
    """
    run = Run(compiled, backend=backend, options=options, journal=journal,
              observers=observers, run_id=run_id, find_workflow=find_workflow)
    context = ScriptContext(run, compiled, args)
    return await run.execute(context.globals(), supervisors)
