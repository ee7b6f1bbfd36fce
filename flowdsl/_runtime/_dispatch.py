"""``agent()`` on the script's side: the request, the call object, the answer.

``agent(prompt, **opts)`` fixes the :class:`AgentRequest` when it is called (its phase,
and a frozen copy of its schema: the script may change its dict afterwards) and returns
an :class:`AgentCall`. Awaiting the call (or handing it to ``parallel`` or a JS promise)
sends the request to the run's owner through the :class:`RunPort`, which gates, replays
or runs it and accounts for it. A replayed result waits for its turn in the original
completion order (:class:`ReplayOrder`). Between an agent passing its gate and its answer
being booked the event loop gets at least one turn (``Run.agent``; after an answer that
came without one, ``Run._book``), so the calls made with it pass the gate first and the
tasks ready then run before even a zero-latency answer.

A call awaited by script code is first checked for stack headroom (:func:`check_headroom`);
one the runtime took (:meth:`AgentCall.queue`: a fan-out's or the scheduler's worker
awaits it, a task whose stack is a handful of frames deep) skips that probe.

A call that is never awaited is a script error at its line — the run fails with
``agent() was called but its result was never awaited`` — and calls alive but not
started count against the agent cap, so ``[agent(x) for x in range(10**6)]`` stops at
the cap instead of building a million of them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING, Any

from .._types import AgentRequest, build_agent_request
from ..errors import AgentLimitExceeded, RunError, SchemaError

if TYPE_CHECKING:
    from ._script import ScriptRunner

__all__ = ["AgentCall", "AgentDispatch", "check_headroom", "never_awaited_error"]

_HEADROOM = 150
_NEW, _QUEUED, _STARTED, _CLOSED = 0, 1, 2, 3


def check_headroom(what: str) -> None:
    """Refuse an ``agent()``, ``parallel()`` or ``pipeline()`` call made near the
    recursion limit.

    A RecursionError raised inside anyio's cancel-scope or task-group bookkeeping would
    corrupt the run; raising it here, before any of that starts, keeps it the script's
    own error. ``sys._getframe(n)`` walks at most n frames in C and fails fast on
    shallow stacks.
    """
    try:
        sys._getframe(sys.getrecursionlimit() - _HEADROOM)
    except ValueError:
        return
    raise RecursionError(f"maximum recursion depth exceeded before calling {what}")


def freeze_schema(schema: Any, max_bytes: int) -> dict[str, Any] | None:
    """A private JSON copy of a script's schema (the script keeps its own dict).

    Raises:
        SchemaError: not a JSON object, not JSON at all, nested too deeply or too large.
    """
    if schema is None:
        return None
    if not isinstance(schema, dict):
        raise SchemaError(f"agent schema must be a JSON Schema object, not {type(schema).__name__}")
    try:
        text = json.dumps(schema, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except RecursionError:
        raise SchemaError("agent schema is nested too deeply") from None
    except (TypeError, ValueError):
        raise SchemaError("agent schema is not JSON (only objects, arrays, strings, "
                          "numbers, booleans and null)") from None
    if len(text) > max_bytes:
        raise SchemaError(f"agent schema is over {max_bytes} bytes")
    frozen: dict[str, Any] = json.loads(text)
    return frozen


class AgentCall:
    """One ``agent()`` call: awaitable once; an error if it is dropped unawaited."""

    __slots__ = ("_dispatch", "_line", "_request", "_state")

    def __init__(self, dispatch: AgentDispatch, request: AgentRequest, line: int | None) -> None:
        self._dispatch = dispatch
        self._request = request
        self._line = line
        self._state = _NEW

    def __await__(self) -> Generator[Any, None, Any]:
        state = self._state
        if state == _NEW:
            self._dispatch.runner.unclaimed -= 1
        elif state != _QUEUED:
            raise RuntimeError("an agent() call can be awaited only once")
        self._state = _STARTED
        if state == _NEW:  # awaited by script code, maybe deep in a recursion
            check_headroom("agent()")
        return self._dispatch.run(self._request).__await__()

    def queue(self) -> None:
        """The runtime took the call, for one of its worker tasks to await (a JS promise,
        a fan-out item): it is not dropped."""
        if self._state == _NEW:
            self._state = _QUEUED
            self._dispatch.runner.unclaimed -= 1

    def close(self) -> None:
        """The runtime drops a call it never reached (the run ended): not an error."""
        if self._state == _NEW:
            self._dispatch.runner.unclaimed -= 1
        if self._state in (_NEW, _QUEUED):
            self._state = _CLOSED

    def __del__(self) -> None:
        if self._state == _NEW:
            self._state = _CLOSED
            runner = self._dispatch.runner
            runner.unclaimed -= 1
            runner.never_awaited(self._line)


class AgentDispatch:
    """``agent()`` for one script of a run."""

    __slots__ = ("_phase_models", "current_phase", "runner")

    def __init__(self, runner: ScriptRunner, meta: Mapping[str, Any]) -> None:
        self.runner = runner
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
        max_turns: int | None = None,
    ) -> AgentCall:
        """Run one subagent: the text, the schema object, or None when it failed.

        The request (its phase, its schema) is fixed now; the budget and the cap are
        checked when the call starts.
        """
        if not isinstance(prompt, str):
            raise TypeError(f"agent() prompt must be a string, not {type(prompt).__name__}")
        runner = self.runner
        options = runner.options
        if len(prompt) > options.max_result_bytes:
            raise RunError(f"agent() prompt of {len(prompt)} characters is over the limit of "
                           f"{options.max_result_bytes} (max_result_bytes)")
        if (label is not None or phase is not None or model is not None or effort is not None
                or agent_type is not None or isolation is not None):
            for name, text in (("label", label), ("phase", phase), ("model", model),
                               ("effort", effort), ("agent_type", agent_type),
                               ("isolation", isolation)):
                if text is not None:
                    runner.check_text(f"agent() {name}", text)
        if timeout is not None and (isinstance(timeout, bool)
                                    or not isinstance(timeout, int | float)
                                    or not timeout > 0 or timeout == float("inf")):
            raise TypeError("agent() timeout must be a number of seconds > 0")
        if max_turns is not None and (isinstance(max_turns, bool)
                                      or not isinstance(max_turns, int) or max_turns < 1):
            raise TypeError("agent() max_turns must be a whole number >= 1")
        if runner.unclaimed >= options.max_agents:
            raise AgentLimitExceeded(options.max_agents)
        phase = phase if phase is not None else self.current_phase
        request = build_agent_request(  # AgentRequest(...), positional: in field order
            prompt, label, phase, model or self._phase_models.get(phase or "") or options.model,
            None if schema is None else freeze_schema(schema, options.max_result_bytes),
            effort, agent_type, isolation, timeout, max_turns, None, None, None)
        caller = sys._getframe(1)
        line = caller.f_lineno if caller.f_code.co_filename == runner.compiled.path else None
        runner.unclaimed += 1
        return AgentCall(self, request, line)

    async def run(self, request: AgentRequest) -> Any:
        """Send one request to the run and wait for its answer (and its replay turn)."""
        runner = self.runner
        runner.in_flight += 1
        try:
            reply = await runner.port.agent(request)
        finally:
            runner.in_flight -= 1
        if reply.replay_seq is not None:
            await runner.replay_order.turn(reply.replay_seq)
        else:
            runner.replay_order.changed()
        if reply.worktree is not None:
            runner.branches.append({"label": request.label, **reply.worktree})
        output = reply.output
        if runner.port.shares_outputs and isinstance(output, dict | list):
            return json.loads(json.dumps(output))  # the script gets its own copy
        return output


def never_awaited_error(path: str, line: int | None, what: str = "agent()") -> RunError:
    where = f"{path}:{line}" if line is not None else path
    name = what.removesuffix("()")
    return RunError(f"{where}: {what} was called but its result was never awaited "
                    f"(write `await {name}(...)`, or pass the call to parallel())")
