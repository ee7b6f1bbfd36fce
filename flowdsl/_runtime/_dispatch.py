"""Agent dispatch: the gates, the journal replay, the backend call, its record.

One :class:`AgentDispatch` per script (the top-level one and each ``workflow()`` child);
it turns ``agent(prompt, **opts)`` into an :class:`AgentRequest` at call time (so its
phase is fixed then), and runs it when awaited:

1. the budget and the agent cap (checked when the call starts, raising to the script);
2. the journal: a finished identical call (same content key) is replayed, not re-run;
3. the pause gate and the concurrency limiter, then the budget again (it may have been
   spent while the call queued);
4. the backend, under the agent's timeout; a failure or an output that does not match
   the schema makes ``agent()`` return None;
5. :meth:`Run.record` accounts it (usage, journal row, observers) in one call.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Mapping
from typing import Any

import anyio
import jsonschema

from .._json_schema import schema_validator
from .._types import AgentRecord, AgentRequest, AgentStatus, Usage
from ..errors import AgentLimitExceeded, AgentTimeout, BackendError, BudgetExceeded
from ._events import AgentStarted
from ._run import Run

__all__ = ["AgentDispatch"]

_HEADROOM = 150


def _check_headroom() -> None:
    """Refuse an agent call made near the recursion limit.

    A RecursionError raised inside anyio's cancel-scope bookkeeping would corrupt the
    run; raising it here, before any of that starts, keeps it the script's own error.
    ``sys._getframe(n)`` walks at most n frames in C and fails fast on shallow stacks.
    """
    try:
        sys._getframe(sys.getrecursionlimit() - _HEADROOM)
    except ValueError:
        return
    raise RecursionError("maximum recursion depth exceeded before calling agent()")


class AgentDispatch:
    """``agent()`` for one script of a run."""

    __slots__ = ("_phase_models", "current_phase", "run")

    def __init__(self, run: Run, meta: Mapping[str, Any]) -> None:
        self.run = run
        self.current_phase: str | None = None
        self._phase_models: dict[str, str] = {
            str(p["title"]): str(p["model"])
            for p in meta.get("phases") or ()
            if isinstance(p, dict) and p.get("model") and p.get("title")
        }

    def agent(
        self,
        prompt: Any,
        *,
        label: str | None = None,
        phase: str | None = None,
        schema: dict[str, Any] | None = None,
        model: str | None = None,
        effort: str | None = None,
        agent_type: str | None = None,
        isolation: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[Any]:
        """Run one subagent: the text, the schema object, or None when it failed.

        The request (and so its phase) is fixed when ``agent()`` is called; the budget
        and cap checks happen when it is awaited (or started by ``parallel``).
        """
        if not isinstance(prompt, str):
            raise TypeError(f"agent() prompt must be a string, not {type(prompt).__name__}")
        phase = phase if phase is not None else self.current_phase
        run = self.run
        request = AgentRequest(
            prompt=prompt,
            label=label,
            phase=phase,
            model=model or self._phase_models.get(phase or "") or run.options.model,
            schema=schema,
            effort=effort,
            agent_type=agent_type,
            isolation=isolation,
            timeout=timeout,
            budget_gate=run.budget_gate,
        )
        return self.dispatch(request)

    async def dispatch(self, request: AgentRequest) -> Any:
        """Gate, replay or run one request and record it."""
        _check_headroom()
        run = self.run
        budget = run.options.budget
        if budget is not None and run.spent >= budget:
            raise BudgetExceeded(budget, run.spent)
        if run.agents_started >= run.options.max_agents:
            raise AgentLimitExceeded(run.options.max_agents)
        validator = schema_validator(request.schema) if request.schema is not None else None
        index = run.start_agent()
        key = run.keys.key(request) if run.journal is not None else ""
        if run.journal is not None:
            replayed = run.journal.replay(key)
            if replayed is not None:
                record = AgentRecord(request=request, status="replayed",
                                     output=replayed.output, usage=replayed.usage)
                return run.record(index, key, record, journal=False)
        await run.wait_unpaused()
        limiter = run.limiter
        try:
            limiter.acquire_nowait()  # the common case needs no extra trip through the loop
        except anyio.WouldBlock:
            await limiter.acquire()
        try:
            await run.wait_unpaused()
            if budget is not None and run.spent >= budget:
                raise BudgetExceeded(budget, run.spent)  # spent while we queued
            return run.record(index, key, await self._call(index, request, validator))
        finally:
            limiter.release()

    async def _call(
        self, index: int, request: AgentRequest,
        validator: jsonschema.protocols.Validator | None,
    ) -> AgentRecord:
        run = self.run
        timeout = request.timeout if request.timeout is not None else run.options.agent_timeout
        if run.observers:
            run.emit(AgentStarted(index=index, request=request))
        started = time.perf_counter()

        def ended(status: AgentStatus, output: Any = None, usage: Usage | None = None,
                  error: str | None = None) -> AgentRecord:
            return AgentRecord(request=request, status=status, output=output,
                               usage=usage or Usage(), error=error,
                               duration=time.perf_counter() - started)

        try:
            with anyio.CancelScope(deadline=anyio.current_time() + timeout) as scope:
                result = await run.backend.run(request)
            if scope.cancelled_caught:
                return ended("timeout", error=str(AgentTimeout(timeout, request.label)))
        except Exception as exc:
            # tokens a failed agent still cost (re-asks, turns) count against the budget
            cost = exc.usage if isinstance(exc, BackendError) else None
            return ended("failed", usage=cost, error=f"{type(exc).__name__}: {exc}")
        if validator is not None:
            problem = next(iter(validator.iter_errors(result.output)), None)
            if problem is not None:
                return ended("failed", usage=result.usage,
                             error=f"output does not match the schema: {problem.message}")
        return ended("ok", result.output, result.usage)
