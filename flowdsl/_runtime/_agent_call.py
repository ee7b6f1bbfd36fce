"""One agent on the backend, under its timeout, turned into a record whatever happens.

:func:`call_agent` never raises for what the backend did: a timeout, a backend error or
an output that breaks the schema become a ``failed``/``timeout`` record, and the error
is handed back so the run can act on its class (a configuration error ends the run, a
quota refusal pauses it). Cancellation (the run ending) propagates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio

from .._json_schema import check_output
from .._types import AgentRecord, AgentRequest, AgentStatus, ToolCall, Usage
from ..backends import AgentBackend
from ..errors import AgentTimeout, BackendError

__all__ = ["call_agent"]


async def call_agent(backend: AgentBackend, request: AgentRequest, *, seconds: float,
                     validator: Any, turns_usage: Callable[[], Usage],
                     ) -> tuple[AgentRecord, Exception | None]:
    """Run ``request`` on ``backend``; its record, and the error it failed with (if any).

    Args:
        seconds: how long the agent may run.
        validator: checks a schema agent's output (None: no schema).
        turns_usage: what the agent's turns reported so far; an agent that reported no
            usage of its own costs that.
    """
    started = time.perf_counter()

    def ended(status: AgentStatus, output: Any = None, usage: Usage | None = None,
              error: str | None = None, tools: tuple[ToolCall, ...] = ()) -> AgentRecord:
        return AgentRecord(request=request, status=status, output=output,
                           usage=usage or turns_usage(), error=error,
                           duration=time.perf_counter() - started, tool_calls=tools)

    try:
        with anyio.CancelScope(deadline=anyio.current_time() + seconds) as scope:
            result = await backend.run(request)
        if scope.cancelled_caught:
            return ended("timeout", error=str(AgentTimeout(seconds, request.label))), None
    except Exception as exc:
        # tokens a failed agent still cost (re-asks, turns) count against the budget
        if isinstance(exc, BackendError):
            return ended("failed", usage=exc.usage, tools=exc.tool_calls,
                         error=f"{type(exc).__name__}: {exc}"), exc
        return ended("failed", error=f"{type(exc).__name__}: {exc}"), exc
    # From here on nothing awaits and nothing raises: the call is paid for.
    if validator is not None:
        problem = check_output(validator, result.output)
        if problem is not None:
            return ended("failed", usage=result.usage, error=problem,
                         tools=result.tool_calls), None
    return ended("ok", result.output, result.usage, tools=result.tool_calls), None
