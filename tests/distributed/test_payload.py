"""What crosses the queue: calls and outcomes as JSON, failures rebuilt with their class."""

from __future__ import annotations

import json

import pytest

from flowdsl._distributed._payload import (
    decode_call,
    decode_outcome,
    encode_call,
    encode_failure,
    encode_result,
    succeeded,
)
from flowdsl._types import AgentRequest, AgentResult, ToolCall, Usage
from flowdsl.errors import (
    BackendConfigError,
    BackendError,
    QuotaExhausted,
    RateLimited,
    RemoteAgentError,
)

USAGE = Usage(input_tokens=7, output_tokens=3, cost_usd=0.25, estimated=True, unpriced_tokens=2)
TOOLS = (ToolCall(name="read", arguments={"path": "a.py"}, result_chars=12, started=0.5,
                  duration=0.1),)


def test_a_call_round_trips_with_every_request_field() -> None:
    request = AgentRequest(prompt="review é 日本", label="l", phase="p", model="m",
                           schema={"type": "object"}, effort="high", agent_type="reviewer",
                           isolation="worktree", timeout=12.5, max_turns=4,
                           workspace="/coordinator/only", call_key="abc:0")
    call = decode_call(encode_call(request, backend="claude", model="sonnet", seconds=30.0))
    assert call.request == request  # identity fields; workspace and key are the worker's
    assert call.request.workspace is None
    assert call.request.call_key is None
    assert (call.backend, call.model, call.seconds) == ("claude", "sonnet", 30.0)


def test_a_result_round_trips_with_usage_and_tool_calls() -> None:
    result = AgentResult(output={"verdict": "ok", "n": [1, 2]}, usage=USAGE, tool_calls=TOOLS)
    back = decode_outcome(encode_result(result))
    assert back == result
    assert back.tool_calls[0].started == 0.5


def test_the_payload_is_json_text() -> None:
    text = encode_result(AgentResult(output="x", usage=USAGE))
    assert json.loads(text)["ok"] is True


def test_an_outcome_says_whether_the_agent_succeeded() -> None:
    assert succeeded(encode_result(AgentResult(output=None)))
    assert not succeeded(encode_failure(ValueError("no")))


@pytest.mark.parametrize(("raised", "expected", "message"), [
    (BackendConfigError("no key"), BackendConfigError, "no key"),
    (RateLimited("slow down"), RateLimited, "slow down"),
    (BackendError("broke"), BackendError, "broke"),
    (ValueError("bad"), RemoteAgentError, "ValueError: bad"),
    (TimeoutError(), RemoteAgentError, "TimeoutError: "),
])
def test_a_failure_comes_back_with_its_class(raised: Exception, expected: type,
                                             message: str) -> None:
    with pytest.raises(expected) as caught:
        decode_outcome(encode_failure(raised))
    assert type(caught.value) is expected
    assert str(caught.value) == message


def test_a_failure_keeps_the_usage_and_tools_it_cost() -> None:
    with pytest.raises(BackendError) as caught:
        decode_outcome(encode_failure(BackendError("gave up", usage=USAGE, tool_calls=TOOLS)))
    assert caught.value.usage == USAGE
    assert caught.value.tool_calls == TOOLS


def test_a_quota_failure_keeps_its_reset_time() -> None:
    with pytest.raises(QuotaExhausted) as caught:
        decode_outcome(encode_failure(QuotaExhausted("out", resets_at=1_800_000_000.0)))
    assert caught.value.resets_at == 1_800_000_000.0


def test_a_failure_of_a_flowdsl_class_that_is_no_backend_error_stays_remote() -> None:
    from flowdsl.errors import UsageError

    with pytest.raises(RemoteAgentError, match="UsageError: nope"):
        decode_outcome(encode_failure(UsageError("nope")))
