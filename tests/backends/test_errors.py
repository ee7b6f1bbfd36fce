"""Every foreign exception type is translated into the flowdsl tree at one boundary."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import anthropic
import httpx2
import instructor.core.exceptions as ie
import openai
import pytest

from flowdsl.backends._common import RetryPolicy, with_retries
from flowdsl.backends._errors import foreign_types, is_retryable, retry_after, translate
from flowdsl.errors import BackendConfigError, BackendError, RateLimited

REQUEST = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
CUT_OFF = "peer closed connection without sending complete message body (incomplete chunked read)"


def response(status: int, headers: dict[str, str] | None = None) -> httpx2.Response:
    return httpx2.Response(status, request=REQUEST, headers=headers or {})


def status_error(sdk: Any, cls_name: str, status: int, **headers: str) -> Exception:
    cls = getattr(sdk, cls_name)
    error: Exception = cls("boom", response=response(status, headers), body=None)
    return error


def samples() -> list[tuple[Exception, type[BackendError]]]:
    out: list[tuple[Exception, type[BackendError]]] = []
    for sdk in (openai, anthropic):
        out += [
            (status_error(sdk, "RateLimitError", 429), RateLimited),
            (status_error(sdk, "AuthenticationError", 401), BackendConfigError),
            (status_error(sdk, "PermissionDeniedError", 403), BackendConfigError),
            (status_error(sdk, "NotFoundError", 404), BackendConfigError),
            (status_error(sdk, "InternalServerError", 500), BackendError),
            (status_error(sdk, "APIStatusError", 418), BackendError),
            (sdk.APIConnectionError(request=REQUEST), BackendError),
            (sdk.APITimeoutError(request=REQUEST), BackendError),
            (sdk.APIResponseValidationError(response(200), None), BackendError),
        ]
    out += [
        (FileNotFoundError(2, "No such file", "claude"), BackendConfigError),
        (PermissionError(13, "denied", "codex"), BackendConfigError),
        (subprocess.CalledProcessError(3, ["codex"]), BackendError),
        (json.JSONDecodeError("bad", "{", 1), BackendError),
        (TimeoutError("slow"), BackendError),
        (httpx2.ReadError("reset"), BackendError),
        (httpx2.RemoteProtocolError(CUT_OFF), BackendError),
        (httpx2.HTTPError("generic"), BackendError),
        (ie.InstructorError("bad mode"), BackendError),
        (ie.InstructorRetryException("invalid", n_attempts=3, total_usage=0), BackendError),
    ]
    return out


@pytest.mark.parametrize(("error", "expected"), samples(), ids=lambda v: type(v).__name__)
def test_foreign_error_is_translated(error: Exception, expected: type[BackendError]) -> None:
    translated = translate(error)
    assert type(translated) is expected
    assert str(translated)


def test_every_listed_foreign_type_has_a_sample() -> None:
    covered = {type(error) for error, _ in samples()}
    for foreign in foreign_types():
        assert any(issubclass(c, foreign) for c in covered), foreign


def test_instructor_wrapper_is_unwrapped_to_the_api_error() -> None:
    wrapper = ie.InstructorRetryException("x", n_attempts=1, total_usage=0)
    wrapper.__cause__ = status_error(openai, "RateLimitError", 429)
    assert isinstance(translate(wrapper), RateLimited)


def test_a_task_group_around_one_error_is_unwrapped() -> None:
    group = ExceptionGroup("tg", [FileNotFoundError(2, "missing", "codex")])
    assert isinstance(translate(group), BackendConfigError)


def test_our_own_backend_error_passes_through_a_wrapper() -> None:
    ours = BackendError("the model refused: no")
    wrapper = ie.InstructorRetryException("x", n_attempts=1, total_usage=0)
    wrapper.__cause__ = ours
    assert translate(wrapper) is ours


@pytest.mark.parametrize(
    ("status", "retryable"), [(429, True), (500, True), (503, True), (529, True), (408, True),
                              (400, False), (401, False), (404, False), (422, False)])
def test_retryable_statuses(status: int, retryable: bool) -> None:
    assert is_retryable(status_error(openai, "APIStatusError", status)) is retryable


def cut_off_under(sdk: Any) -> Exception:
    """What the SDK raises when the body it read with the response stopped short."""
    error: Exception = sdk.APIConnectionError(request=REQUEST)
    error.__cause__ = httpx2.RemoteProtocolError(CUT_OFF)
    return error


@pytest.mark.parametrize("error", [cut_off_under(openai), cut_off_under(anthropic),
                                   httpx2.RemoteProtocolError(CUT_OFF)],
                         ids=["openai", "anthropic", "stream"])
def test_a_body_cut_off_midway_is_reported_as_such(error: Exception) -> None:
    message = str(translate(error))
    assert message.startswith("the endpoint closed the connection before the response body "
                              "was complete (httpx2.RemoteProtocolError: peer closed")


def test_a_connection_error_without_a_cut_off_body_still_cannot_reach() -> None:
    error = openai.APIConnectionError(request=REQUEST)
    error.__cause__ = httpx2.ConnectError("refused")
    assert str(translate(error)).startswith("cannot reach the endpoint")


def test_a_body_cut_off_midway_is_retryable_like_a_reset() -> None:
    assert is_retryable(cut_off_under(openai))
    assert is_retryable(httpx2.RemoteProtocolError(CUT_OFF))


def test_translating_an_error_imports_no_sdk() -> None:
    code = ("import sys\n"
            "from flowdsl.backends._errors import translate\n"
            "translate(FileNotFoundError(2, 'missing', 'claude'))\n"
            "print(sorted({'openai', 'anthropic', 'instructor', 'httpx2'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "[]"


def test_connection_errors_are_retryable_but_malformed_bodies_are_not() -> None:
    assert is_retryable(openai.APIConnectionError(request=REQUEST))
    assert not is_retryable(openai.APIResponseValidationError(response(200), None))
    assert not is_retryable(ValueError("x"))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"retry-after": "2"}, 2.0), ({"retry-after-ms": "150"}, 0.15),
     ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0), ({}, None)])
def test_retry_after_header(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(status_error(openai, "RateLimitError", 429, **headers)) == expected


@pytest.mark.anyio
async def test_with_retries_gives_up_on_a_long_retry_after() -> None:
    calls = 0

    async def call() -> None:
        nonlocal calls
        calls += 1
        raise status_error(openai, "RateLimitError", 429, **{"retry-after": "3600"})

    with pytest.raises(openai.RateLimitError):
        await with_retries(call, RetryPolicy(retries=5, base=0.001))
    assert calls == 1


def test_backoff_is_exponential_and_capped() -> None:
    policy = RetryPolicy(base=1.0, max_delay=4.0)
    delays = [policy.delay(n, None) for n in range(6)]
    assert 0.75 <= delays[0] <= 1.25
    assert 1.5 <= delays[1] <= 2.5
    assert all(d <= 5.0 for d in delays)
    assert policy.delay(3, 0.25) == 0.25
