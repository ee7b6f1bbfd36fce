"""The loop model's response checks and usage count."""

from __future__ import annotations

import pytest
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.usage import RequestUsage

from flowdsl._config import Config, Price
from flowdsl.backends._loop_model import check_response, response_usage
from flowdsl.errors import BackendError


def response(finish: str | None, raw: str | None, **kw: object) -> ModelResponse:
    details = {"finish_reason": raw} if raw is not None else {}
    details.update(kw)  # type: ignore[arg-type]
    return ModelResponse(parts=[TextPart("said")], finish_reason=finish,  # type: ignore[arg-type]
                         provider_details=details or None)


@pytest.mark.parametrize(("finish", "raw"), [("stop", "stop"), ("tool_call", "tool_calls"),
                                             (None, "some_server_reason")])
def test_finished_responses_pass(finish: str | None, raw: str) -> None:
    check_response(response(finish, raw))


@pytest.mark.parametrize(("finish", "raw", "message"), [
    ("length", "length", "cut off at the output limit"),
    ("length", "max_tokens", "finish reason max_tokens"),
    (None, None, "no finish reason"),
    ("content_filter", "content_filter", "content filter"),
    ("content_filter", "refusal", "the model refused: said"),
    ("error", "failed", "reported an error"),
])
def test_unfinished_or_refused_responses_fail(finish: str | None, raw: str | None,
                                              message: str) -> None:
    with pytest.raises(BackendError, match=message):
        check_response(response(finish, raw))


def test_a_refusal_text_from_the_provider_is_quoted() -> None:
    with pytest.raises(BackendError, match="refused: not this"):
        check_response(response("content_filter", None, refusal="not this"))


def test_a_suspended_response_is_not_a_failure() -> None:
    check_response(ModelResponse(parts=[], state="suspended"))


def test_usage_is_priced_by_our_table() -> None:
    config = Config(prices={"m": Price(1.0, 2.0)})
    used = ModelResponse(parts=[], usage=RequestUsage(input_tokens=1_000_000,
                                                      output_tokens=500_000))
    usage = response_usage(config, "m", used)
    assert (usage.input_tokens, usage.output_tokens, usage.cost_usd) == (1_000_000, 500_000, 2.0)
    assert not usage.estimated


def test_a_reported_cost_is_believed() -> None:
    used = ModelResponse(parts=[], usage=RequestUsage(input_tokens=1, output_tokens=1),
                         provider_details={"cost": 0.5})
    assert response_usage(Config(), "m", used).cost_usd == 0.5


def test_no_reported_usage_is_estimated_and_flagged() -> None:
    usage = response_usage(Config(), "m", ModelResponse(parts=[TextPart("x" * 400)]))
    assert usage.estimated
    assert usage.output_tokens > 50
