"""The tool calls an agent made, read back from its conversation.

The messages are the one record every kind of call leaves, whoever ran it: workspace
tools, MCP tools, arguments pydantic-ai refused before any tool ran, names the model made
up. Each model response's tool calls are answered in the request that follows it (a tool
return, or a retry prompt for arguments that did not validate), matched by call id within
that pair - ids repeat across turns on some servers. Calls never answered (the agent was
stopped first) were not run and are not recorded; the output tool is the answer, not a
tool call.

Long string arguments are cut (a ``write`` of a big file must not bloat the journal) and
marked with the length that was cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    ToolCallPart,
    ToolReturnPart,
)

from .._types import JSONValue, ToolCall
from ._loop_timing import ToolClock

__all__ = ["MAX_ARGUMENT_CHARS", "tool_calls"]

MAX_ARGUMENT_CHARS = 1000
"""A string argument longer than this is kept cut to this length, with a marker."""
_MAX_ERROR_CHARS = 2000


def tool_calls(messages: Sequence[ModelMessage], output_tool: str | None = None,
               clock: ToolClock | None = None) -> tuple[ToolCall, ...]:
    """The answered tool calls in ``messages``, in the order the model made them, timed
    by ``clock`` where it saw them run (the n-th response is model turn n)."""
    calls: list[ToolCall] = []
    step = 0
    for index, message in enumerate(messages):
        if not isinstance(message, ModelResponse):
            continue
        step += 1
        following = messages[index + 1] if index + 1 < len(messages) else None
        answers = _answers(following) if isinstance(following, ModelRequest) else {}
        for part in message.parts:
            if not isinstance(part, ToolCallPart) or part.tool_name == output_tool:
                continue
            answer = answers.get(part.tool_call_id)
            if answer is not None:
                timing = clock.timing(step, part.tool_call_id) if clock is not None else None
                calls.append(_timed(_record(part, answer), timing))
    return tuple(calls)


def _timed(call: ToolCall, timing: tuple[float, float] | None) -> ToolCall:
    if timing is None:
        return call
    return ToolCall(name=call.name, arguments=call.arguments, result_chars=call.result_chars,
                    error=call.error, started=timing[0], duration=timing[1])


def _answers(request: ModelRequest) -> dict[str, ToolReturnPart | RetryPromptPart]:
    return {p.tool_call_id: p for p in request.parts
            if isinstance(p, ToolReturnPart | RetryPromptPart) and p.tool_name is not None}


def _record(call: ToolCallPart, answer: ToolReturnPart | RetryPromptPart) -> ToolCall:
    arguments = _cut(call.args_as_dict())
    if isinstance(answer, RetryPromptPart):
        return ToolCall(name=call.tool_name, arguments=arguments,
                        error=_error_text(answer.model_response()))
    text = answer.model_response_str(wrap_if_error=False)
    if answer.outcome != "success":
        return ToolCall(name=call.tool_name, arguments=arguments, error=_error_text(text))
    return ToolCall(name=call.tool_name, arguments=arguments, result_chars=len(text))


def _error_text(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _MAX_ERROR_CHARS else text[:_MAX_ERROR_CHARS] + " [...]"


def _cut(value: Any) -> JSONValue:
    """``value`` with every string over :data:`MAX_ARGUMENT_CHARS` cut and marked."""
    if isinstance(value, str) and len(value) > MAX_ARGUMENT_CHARS:
        more = len(value) - MAX_ARGUMENT_CHARS
        return f"{value[:MAX_ARGUMENT_CHARS]}[... {more:,} more characters not recorded]"
    if isinstance(value, dict):
        return {str(k): _cut(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cut(v) for v in value]
    return value
