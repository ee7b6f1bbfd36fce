"""One agent on the backend, under its timeout, turned into a record whatever happens.

:func:`call_agent` never raises for what the backend did: a timeout, a backend error or
an output that breaks the schema become a ``failed``/``timeout`` record, and the error
is handed back so the run can act on its class (a configuration error ends the run, a
quota refusal pauses it). Cancellation (the run ending) propagates.

A backend that promises to enter no cancel scope before it first waits
(``opens_no_scope_before_waiting``) runs to its first wait before the timeout's scope
exists — a timeout cannot cut short code that never waits — and the rest of the call is
awaited under the scope (:func:`_resumed`), its deadline counted from the call's start.
An answer that comes without waiting (a fake, the simulator) then costs no cancel scope,
which was a third of a zero-latency agent's cost. Any other backend's call is awaited
under its scope from the start, as a scope entered after the backend's own would not nest.

On asyncio the run's watchdog needs no scope at all: it cancels the agent's task in place
(:mod:`._task_timeout`), and the call tells that cancellation from the run's end by what
its :class:`~._task_timeout.TaskTimeout` counted.
"""

from __future__ import annotations

import time
import types
from collections.abc import Awaitable, Callable, Generator
from typing import Any

import anyio

from .._json_schema import check_output
from .._types import (
    AgentRecord,
    AgentRequest,
    AgentResult,
    AgentStatus,
    ToolCall,
    Usage,
    build_agent_record,
)
from ..backends import AgentBackend
from ..errors import AgentTimeout, BackendError
from ._deadlines import AgentDeadlines

__all__ = ["call_agent"]


async def call_agent(backend: AgentBackend, request: AgentRequest, *, seconds: float,
                     validator: Any, turns_usage: Callable[[], Usage],
                     deadlines: AgentDeadlines | None = None, scope_later: bool = False,
                     ) -> tuple[AgentRecord, Exception | None]:
    """Run ``request`` on ``backend``; its record, and the error it failed with (if any).

    Args:
        seconds: how long the agent may run.
        validator: checks a schema agent's output (None: no schema).
        turns_usage: what the agent's turns reported so far; an agent that reported no
            usage of its own costs that.
        deadlines: the run's deadline watchdog; while it watches, the agent's timeout is
            filed there instead of arming a timer of its own (and on asyncio the call
            runs in no scope: the watchdog cancels its task).
        scope_later: the backend opens no cancel scope before it first waits; the
            timeout's scope is entered only then.
    """
    started = time.perf_counter()
    result: AgentResult | None = None
    error: Exception | None = None
    timed_out = False
    try:
        call: Awaitable[AgentResult] = backend.run(request)
        if scope_later:
            steps = call.__await__()
            call = _resumed(steps, steps.send(None))
    except StopIteration as answered:  # it answered without waiting
        result = answered.value
    except Exception as exc:
        error = exc
    else:  # under the timeout (its own coroutine would cost a waiting agent a frame)
        remaining = seconds - (time.perf_counter() - started)
        if deadlines is not None and deadlines.watching and deadlines.in_place:
            watch = deadlines.watch_task(remaining)  # the watchdog cancels this task
            try:
                result = await call
            except deadlines.cancelled:
                if not watch[2].caught():
                    raise  # the run's end (or another canceller's): not the timeout
                timed_out = True
            except Exception as exc:
                error = exc
            finally:
                deadlines.done(watch)
        else:
            watch = None
            if deadlines is not None and deadlines.watching:
                watch = deadlines.watch(remaining)
                scope = watch[2]
            else:
                scope = anyio.CancelScope(deadline=anyio.current_time() + remaining)
            try:
                with scope:
                    try:
                        result = await call
                    except Exception as exc:
                        error = exc
            finally:
                if deadlines is not None and watch is not None:
                    deadlines.done(watch)
            timed_out = scope.cancelled_caught
    return _record(request, started, seconds, result, error, timed_out, turns_usage,
                   validator)


def _record(request: AgentRequest, started: float, seconds: float, result: AgentResult | None,
            error: Exception | None, timed_out: bool, turns_usage: Callable[[], Usage],
            validator: Any) -> tuple[AgentRecord, Exception | None]:
    """The record of a call that ended (and the error to hand back): nothing here awaits
    or raises, the call is paid for."""
    if timed_out:
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
    assert result is not None
    usage = result.usage or turns_usage()  # a backend that reported none
    if validator is not None:
        problem = check_output(validator, result.output)
        if problem is not None:
            return _ended(request, started, "failed", usage=usage, error=problem,
                          tools=result.tool_calls), None
    return build_agent_record(request, "ok", result.output, usage,
                              time.perf_counter() - started, None, result.tool_calls,
                              None), None


@types.coroutine
def _resumed(steps: Generator[Any, Any, AgentResult], waiting_for: Any,
             ) -> Generator[Any, Any, AgentResult]:
    """Await the rest of a call that ran to its first wait outside this coroutine: what
    it waits for goes to the event loop, and what comes back (a value, a cancellation, a
    close) goes to it."""
    while True:
        try:
            sent = yield waiting_for
        except GeneratorExit:
            steps.close()
            raise
        except BaseException as exc:
            try:
                waiting_for = steps.throw(exc)
            except StopIteration as answered:
                return answered.value  # type: ignore[no-any-return]
        else:
            try:
                waiting_for = steps.send(sent)
            except StopIteration as answered:
                return answered.value  # type: ignore[no-any-return]


def _ended(request: AgentRequest, started: float, status: AgentStatus, output: Any = None,
           *, usage: Usage, error: str | None = None,
           tools: tuple[ToolCall, ...] = ()) -> AgentRecord:
    return build_agent_record(request, status, output, usage, time.perf_counter() - started,
                              error, tools, None)

