"""Run a compiled workflow to its end: the runtime's one entry point."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._frontends import CompiledWorkflow
from .._options import RunOptions
from .._types import RunResult
from ..backends import AgentBackend
from ..errors import UsageError
from ._events import Observer
from ._journal import Journal
from ._lifetime import broken_result, run_to_end
from ._port import InlinePort
from ._run import Run, Supervisor, WorkflowFinder
from ._script import ScriptOutcome, ScriptRunner

if TYPE_CHECKING:
    from ._process import ScriptProcess

__all__ = ["execute", "private_args"]


def private_args(args: Any) -> Any:
    """A deep JSON copy of the caller's ``args``: the script never shares the caller's data.

    Raises:
        UsageError: ``args`` is not JSON (or nested too deeply to copy).
    """
    try:
        return json.loads(json.dumps(args, allow_nan=False))
    except RecursionError:
        raise UsageError("args are nested too deeply") from None
    except (TypeError, ValueError) as exc:
        raise UsageError(f"args must be JSON (objects, arrays, strings, numbers, booleans, "
                         f"null): {exc}") from None


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
    prestarted: ScriptProcess | None = None,
) -> RunResult:
    """Run ``compiled`` with ``args``; never raises for failures inside the run.

    With ``options.isolation == "process"`` (the default) the script runs in a child
    process and only its messages reach this one; ``"inline"`` runs it here.

    Args:
        compiled: the workflow (any frontend).
        args: the JSON value the script sees as ``args`` (copied: the caller's object is
            never shared with the script).
        backend: runs each agent.
        options: limits and defaults (``RunOptions.resolve`` builds them).
        journal: records finished agents and replays them (None: not durable).
        observers: told of every run event.
        supervisors: run beside the script for its lifetime (heartbeat, control).
        run_id: the stored run's id, reported in the result.
        find_workflow: finds saved workflows for ``workflow(name)``.
        prestarted: a script process started early for this run (process isolation);
            the caller stops it if it goes unused.

    Raises:
        UsageError: ``args`` is not JSON.
    """
    args = private_args(args)
    run = Run(compiled, backend=backend, options=options, journal=journal,
              observers=observers, run_id=run_id, find_workflow=find_workflow)
    if options.isolation == "process":
        from ._process import GRACE, run_in_child

        async def in_child(run: Run) -> ScriptOutcome:
            return await run_in_child(run, args, prestarted)

        return await run_to_end(run, in_child, supervisors, grace=GRACE)

    async def inline(run: Run) -> ScriptOutcome:
        runner = ScriptRunner(compiled, InlinePort(run), options)
        run.control.listeners.append(runner.halt)
        return await runner.run(args)

    try:
        return await run_to_end(run, inline, supervisors)
    except Exception as exc:  # a script broke the runtime's own state (inline only)
        return broken_result(run, f"{compiled.path}: internal error: {type(exc).__name__}: {exc}")
