"""Recording an agent's tool calls from its conversation."""

from __future__ import annotations

from pydantic_ai.messages import (
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from flowdsl._types import ToolCall
from flowdsl.backends._loop_record import MAX_ARGUMENT_CHARS, tool_calls


def call(name: str, args: object, cid: str) -> ToolCallPart:
    return ToolCallPart(tool_name=name, args=args, tool_call_id=cid)  # type: ignore[arg-type]


def test_each_answered_call_is_recorded_with_its_result_length() -> None:
    messages = [ModelRequest(parts=[UserPromptPart("go")]),
                ModelResponse(parts=[call("read", {"path": "a"}, "c1")]),
                ModelRequest(parts=[ToolReturnPart("read", "12345", tool_call_id="c1")])]
    assert tool_calls(messages) == (ToolCall(name="read", arguments={"path": "a"},
                                             result_chars=5),)


def test_a_failed_call_keeps_the_message_the_model_read() -> None:
    messages = [ModelResponse(parts=[call("bash", {"command": "rm x"}, "c1")]),
                ModelRequest(parts=[ToolReturnPart("bash", "command refused: no",
                                                   tool_call_id="c1", outcome="failed")])]
    (recorded,) = tool_calls(messages)
    assert (recorded.error, recorded.result_chars) == ("command refused: no", 0)


def test_arguments_refused_before_the_tool_ran_are_a_failed_call() -> None:
    messages = [ModelResponse(parts=[call("read", {}, "c1")]),
                ModelRequest(parts=[RetryPromptPart("path: Field required", tool_name="read",
                                                    tool_call_id="c1")])]
    (recorded,) = tool_calls(messages)
    assert "Field required" in (recorded.error or "")


def test_ids_repeating_across_turns_are_matched_within_their_turn() -> None:
    messages = [ModelResponse(parts=[call("list", {}, "call_1")]),
                ModelRequest(parts=[ToolReturnPart("list", "a", tool_call_id="call_1")]),
                ModelResponse(parts=[call("read", {"path": "a"}, "call_1")]),
                ModelRequest(parts=[ToolReturnPart("read", "abc", tool_call_id="call_1")])]
    assert [(c.name, c.result_chars) for c in tool_calls(messages)] == [("list", 1), ("read", 3)]


def test_unanswered_calls_and_the_output_tool_are_not_recorded() -> None:
    messages = [ModelResponse(parts=[call("final_result", {"ok": True}, "c1"),
                                     call("read", {"path": "a"}, "c2")])]
    assert tool_calls(messages, output_tool="final_result") == ()


def test_long_string_arguments_are_cut_and_marked() -> None:
    text = "y" * (MAX_ARGUMENT_CHARS + 250)
    messages = [ModelResponse(parts=[call("write", {"path": "f", "content": text}, "c1")]),
                ModelRequest(parts=[ToolReturnPart("write", "ok", tool_call_id="c1")])]
    (recorded,) = tool_calls(messages)
    assert recorded.arguments == {
        "path": "f", "content": "y" * MAX_ARGUMENT_CHARS + "[... 250 more characters not recorded]"}


def test_arguments_that_are_not_json_are_kept_as_text() -> None:
    messages = [ModelResponse(parts=[call("read", "{not json", "c1")]),
                ModelRequest(parts=[RetryPromptPart("invalid JSON", tool_name="read",
                                                    tool_call_id="c1")])]
    (recorded,) = tool_calls(messages)
    assert "{not json" in str(recorded.arguments)
