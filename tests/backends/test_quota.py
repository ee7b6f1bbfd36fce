"""Which refusals mean the account cannot continue, and the reset times they name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from flowdsl.backends._quota import cli_usage_limit, quota_error, reset_time

NOW = datetime(2026, 12, 2, 21, 30, tzinfo=UTC).timestamp()


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()  # type: ignore[misc]


OPENAI_QUOTA = {"error": {"message": "You exceeded your current quota, please check your plan "
                                     "and billing details.", "type": "insufficient_quota",
                          "param": None, "code": "insufficient_quota"}}
OPENAI_RATE = {"error": {"message": "Rate limit reached for gpt-4.1 in organization org-x on "
                                    "tokens per min (TPM): Limit 30000, Used 29000.",
                         "type": "tokens", "code": "rate_limit_exceeded"}}
ANTHROPIC_CREDIT = {"type": "error", "error": {
    "type": "invalid_request_error",
    "message": "Your credit balance is too low to access the Anthropic API. Please go to "
               "Plans & Billing to upgrade or purchase credits."}}
ANTHROPIC_LIMIT = {"type": "error", "error": {
    "type": "invalid_request_error",
    "message": "You have reached your specified API usage limits. You will regain access on "
               "2027-01-01 at 00:00 UTC."}}
ANTHROPIC_RATE = {"type": "error", "error": {
    "type": "rate_limit_error",
    "message": "This request would exceed your account's rate limit. Please try again later."}}
CHATGPT_LIMIT = {"error": {"type": "usage_limit_reached", "message": "The usage limit has "
                           "been reached", "plan_type": "plus", "resets_at": 1796247360,
                           "resets_in_seconds": 602705}}


@pytest.mark.parametrize(("status", "body", "headers", "resets"), [
    (429, OPENAI_QUOTA, {}, None),
    (429, OPENAI_QUOTA, {"x-ratelimit-reset-requests": "6m0s"}, NOW + 360),
    (402, "Payment Required", {}, None),
    (402, {"error": {"message": "insufficient credits"}}, {"retry-after": "3600"}, NOW + 3600),
    (400, ANTHROPIC_CREDIT, {}, None),
    (400, ANTHROPIC_LIMIT, {}, utc(2027, 1, 1)),
    (429, ANTHROPIC_LIMIT, {"anthropic-ratelimit-requests-reset": "2027-01-02T00:00:00Z"},
     utc(2027, 1, 1)),  # the body's time wins over the headers'
    (429, CHATGPT_LIMIT, {}, 1796247360.0),
])
def test_quota_refusals(status: int, body: Any, headers: dict[str, str],
                        resets: float | None) -> None:
    error = quota_error(status, body, headers, now=NOW)
    assert error is not None
    assert error.resets_at == resets
    assert str(error).startswith("quota exhausted")


@pytest.mark.parametrize(("status", "body"), [
    (429, OPENAI_RATE),
    (429, ANTHROPIC_RATE),
    (400, {"error": {"message": "max_tokens is too large", "type": "invalid_request_error"}}),
    (404, {"error": {"message": "The model `smart` does not exist", "code": "model_not_found"}}),
    (429, "Too Many Requests"),
])
def test_other_refusals_are_not_quota(status: int, body: Any) -> None:
    assert quota_error(status, body, {"retry-after": "2"}, now=NOW) is None


@pytest.mark.parametrize(("text", "resets"), [
    ("Claude AI usage limit reached|1766502000", 1766502000.0),
    ("You've hit your limit · resets 1:30am (Asia/Dhaka)", utc(2026, 12, 3, 19, 30)),
    ("You've hit your session limit · resets 12:50am (America/Los_Angeles)",
     utc(2026, 12, 3, 8, 50)),
    ("You've hit your limit · resets May 5 at 9pm (America/New_York)", utc(2027, 5, 6, 1)),
    ("Claude usage limit reached. Your limit will reset at 9am (America/Chicago).",
     utc(2026, 12, 3, 15)),
    ("5-hour limit reached ∙ resets 11pm (UTC)", utc(2026, 12, 2, 23)),
    ("■ You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or "
     "try again in 5 days 22 hours 11 minutes.", NOW + 5 * 86400 + 22 * 3600 + 11 * 60),
    ("You've hit your usage limit. Upgrade to Plus to continue using Codex, or try again at "
     "Jul 5th, 2027 8:19 PM (UTC).", utc(2027, 7, 5, 20, 19)),
    ("You've hit your usage limit.", None),
])
def test_cli_usage_limit_messages(text: str, resets: float | None) -> None:
    error = cli_usage_limit(f"some output\n{text}\n", now=NOW)
    assert error is not None
    assert error.resets_at == resets
    assert "|17665" not in str(error)  # the machine-readable suffix is not shown


@pytest.mark.parametrize("text", [
    "claude reported an error: 429 This request would exceed your account's rate limit.",
    "codex failed: stream disconnected before completion",
    "the limit of 10 files was reached",
])
def test_other_cli_failures_are_not_usage_limits(text: str) -> None:
    assert cli_usage_limit(text, now=NOW) is None


@pytest.mark.parametrize("text", ["resets 5", "try again at 25:00", "resets 13pm"])
def test_times_that_are_not_times_give_none(text: str) -> None:
    assert reset_time(text, NOW) is None
