"""When an agent's tools ran: each call timed where pydantic-ai runs it.

The conversation (:mod:`._loop_record`) says which tools were called and how they went,
not when. :class:`ToolClock` wraps each of the agent's toolsets; the wrapper notes the
start and the duration of every call, keyed by the model turn it answers (pydantic-ai's
``run_step``) and the model's call id - ids repeat across turns on some servers, never
within one. Calls that never reached a tool (arguments refused by validation, names the
model made up) have no timing: it stays unknown, never guessed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.toolsets import AbstractToolset, ToolsetTool, WrapperToolset

__all__ = ["ToolClock"]


class ToolClock:
    """The timing of one agent's tool calls, in seconds after ``started``.

    Args:
        started: the agent's start on the ``time.monotonic()`` clock (default: now).
    """

    def __init__(self, started: float | None = None) -> None:
        self.started = time.monotonic() if started is None else started
        self._times: dict[tuple[int, str], tuple[float, float]] = {}

    def wrap(self, toolset: AbstractToolset[None]) -> AbstractToolset[None]:
        """``toolset``, its calls timed on this clock."""
        return _Timed(wrapped=toolset, clock=self)

    def note(self, step: int, call_id: str | None, began: float, ended: float) -> None:
        if call_id is not None:
            self._times[(step, call_id)] = (began - self.started, ended - began)

    def timing(self, step: int, call_id: str) -> tuple[float, float] | None:
        """``(started, duration)`` of the call ``call_id`` answering model turn ``step``
        (1-based), or None when it never reached a tool."""
        return self._times.get((step, call_id))


@dataclass
class _Timed(WrapperToolset[None]):
    clock: ToolClock = field(default_factory=ToolClock)

    async def call_tool(self, name: str, tool_args: dict[str, Any], ctx: RunContext[None],
                        tool: ToolsetTool[None]) -> Any:
        began = time.monotonic()
        try:
            return await super().call_tool(name, tool_args, ctx, tool)
        finally:  # a failed or cancelled call took this long too
            self.clock.note(ctx.run_step, ctx.tool_call_id, began, time.monotonic())
