"""A run from its start to its result: the run's scope, the backend, the supervisors.

:func:`run_to_end` runs the script against a :class:`~._run.Run` inside one cancel scope
(the run's wall-clock limit; what stop and halt cancel) and one task group (the agents'
deadline watchdog, the supervisors, the script), then turns how it ended into the
:class:`RunResult`: a halt or the run timeout decide the status, else a tripped failure
policy fails the run even when the script caught its refusals.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack

import anyio
import anyio.lowlevel

from .._types import RunResult
from ..errors import RunTimeout
from ._backend_start import check_models, enter_backend
from ._events import StatusChanged
from ._run import Run, ScriptMain, Supervisor
from ._script import ScriptOutcome

__all__ = ["broken_result", "run_to_end"]


async def run_to_end(run: Run, script: ScriptMain, supervisors: Sequence[Supervisor] = (),
                     *, grace: float = 0.0) -> RunResult:
    """Run ``script`` against ``run`` to its end; never raises for it.

    Args:
        script: runs the script (inline or in a child) and reports its outcome.
        supervisors: run beside the script for its lifetime.
        grace: seconds past the run timeout before the run's own scope ends it (a
            child process gets that long to report its own timeout).
    """
    started = time.monotonic()
    options = run.options
    deadline = math.inf
    if options.run_timeout is not None:
        deadline = anyio.current_time() + options.run_timeout + grace
    run.emit(StatusChanged(status="running"))
    outcome = ScriptOutcome("failed", error="run ended before the script started")
    control = run.control
    with anyio.CancelScope(deadline=deadline) as scope:
        control.scope = scope
        async with AsyncExitStack() as stack:
            bad_model = check_models(run.backend, run.compiled, options.model)
            problem = None if bad_model else await enter_backend(run.backend, stack)
            if bad_model is not None:
                control.fail(bad_model)  # before any agent runs
            elif problem is not None:
                outcome = ScriptOutcome("failed", error=problem)
            else:
                async with anyio.create_task_group() as tg:
                    run.deadlines.start(tg)
                    for supervisor in supervisors:
                        tg.start_soon(supervisor, run)
                    if supervisors:
                        await anyio.lowlevel.checkpoint()  # let supervisors start first
                    outcome = await script(run)
                    tg.cancel_scope.cancel()
    await run.workspaces.cleanup()  # leftovers of agents cut short (shielded)
    error_type: str | None = None
    policy_error = run.ledger.policy_error
    if scope.cancel_called or control.halt is not None:
        outcome, error_type = control.ended_outcome(outcome, cut_short=scope.cancelled_caught,
                                                    run_timeout=options.run_timeout)
    elif policy_error is not None and outcome.status in ("completed", "failed"):
        # the policy ends the run failed, even when the script caught the refusals
        outcome = ScriptOutcome("failed", error=str(policy_error))
        error_type = type(policy_error).__name__
    elif (options.run_timeout is not None
          and outcome.error == str(RunTimeout(options.run_timeout))):
        error_type = RunTimeout.__name__  # the script's side saw the deadline first
    result = run.result(outcome, duration=time.monotonic() - started, error_type=error_type)
    run.emit(StatusChanged(status=result.status))
    return result


def broken_result(run: Run, error: str) -> RunResult:
    """The result of a run whose runtime state broke: failed, with what it accounted."""
    return run.result(ScriptOutcome("failed", error=error))
