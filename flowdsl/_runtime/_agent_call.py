"""One agent on the backend, under its timeout, turned into a record whatever happens.

:func:`call_agent` never raises for what the backend did: a timeout, a backend error or
an output that breaks the schema become a ``failed``/``timeout`` record, and the error
is handed back so the run can act on its class (a configuration error ends the run, a
quota refusal pauses it). Cancellation (the run ending) propagates.

An answer must not be booked before the calls the script made together with it have
passed the run's gate, nor reach the script before the tasks ready then have run. A
backend that waits for anything (a socket, a timer) gives the event loop turns anyway;
one that answers at once (a fake, the simulator) does not. So unless the run says
another agent started meanwhile (``others_started``: proof that the loop had a turn),
``call_agent`` gives the loop one turn itself, shielded in the agent's own scope (the
answer is paid for: the run's end must not lose it). An unconditional turn before the
call cost a loop pass per agent and started every agent one pass late.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import anyio
import anyio.lowlevel

from .._json_schema import check_output
from .._types import AgentRecord, AgentRequest, AgentStatus, ToolCall, Usage, build_agent_record
from ..backends import AgentBackend
from ..errors import AgentTimeout, BackendError
from ._deadlines import AgentDeadlines

__all__ = ["call_agent"]


async def call_agent(backend: AgentBackend, request: AgentRequest, *, seconds: float,
                     validator: Any, turns_usage: Callable[[], Usage],
                     deadlines: AgentDeadlines | None = None,
                     others_started: Callable[[], bool] | None = None,
                     ) -> tuple[AgentRecord, Exception | None]:
    """Run ``request`` on ``backend``; its record, and the error it failed with (if any).

    Args:
        seconds: how long the agent may run.
        validator: checks a schema agent's output (None: no schema).
        turns_usage: what the agent's turns reported so far; an agent that reported no
            usage of its own costs that.
        deadlines: the run's deadline watchdog; while it watches, the agent's timeout is
            filed there instead of arming a timer of its own.
        others_started: whether another agent started since this one passed the run's
            gate; when it says no, the event loop gets a turn before this returns. None:
            the caller gives the loop its turn itself (before the call, or after it and
            before the booking: the journal's group commit).
    """
    started = time.perf_counter()
    watch = None
    if deadlines is not None and deadlines.watching:
        watch = deadlines.watch(seconds)
        scope = watch[2]
    else:
        scope = anyio.CancelScope(deadline=anyio.current_time() + seconds)
    try:
        with scope:
            try:
                result, error = await backend.run(request), None
            except Exception as exc:
                result, error = None, exc
            if others_started is not None and not others_started():
                # the answer is in: no timeout applies to it any more, and the run's end
                # must not lose it while the loop takes its turn
                if deadlines is not None and watch is not None:
                    deadlines.done(watch)
                else:
                    scope.deadline = math.inf
                scope.shield = True
                await anyio.lowlevel.checkpoint()
    finally:
        if deadlines is not None and watch is not None:
            deadlines.done(watch)
    if scope.cancelled_caught:
        return _ended(request, started, "timeout", usage=turns_usage(),
                      error=str(AgentTimeout(seconds, request.label))), None
    if error is not None:
        # tokens a failed agent still cost (re-asks, turns) count against the budget
        if isinstance(error, BackendError):
            return _ended(request, started, "failed", usage=error.usage or turns_usage(),
                          tools=error.tool_calls,
                          error=f"{type(error).__name__}: {error}"), error
        return _ended(request, started, "failed", usage=turns_usage(),
                      error=f"{type(error).__name__}: {error}"), error
    # From here on nothing awaits and nothing raises: the call is paid for.
    assert result is not None
    usage = result.usage or turns_usage()  # a backend that reported none
    if validator is not None:
        problem = check_output(validator, result.output)
        if problem is not None:
            return _ended(request, started, "failed", usage=usage, error=problem,
                          tools=result.tool_calls), None
    return _ended(request, started, "ok", result.output, usage=usage,
                  tools=result.tool_calls), None


def _ended(request: AgentRequest, started: float, status: AgentStatus, output: Any = None,
           *, usage: Usage, error: str | None = None,
           tools: tuple[ToolCall, ...] = ()) -> AgentRecord:
    return build_agent_record(request, status, output, usage, time.perf_counter() - started,
                              error, tools, None)

