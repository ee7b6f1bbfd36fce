"""The one boundary where foreign exceptions become flowdsl's (httpx ``map_httpcore_exceptions``).

Backends let SDK, HTTP, instructor and subprocess errors propagate up to ``run()``, which
calls :func:`translate` once and raises the result ``from`` the original. The retry loop
asks :func:`is_retryable` and :func:`retry_after` about the *foreign* error first, so the
decision to retry sees status codes and headers that the translation drops.

No SDK is imported here: an exception can only be an instance of a class whose module is
already loaded, so only :data:`sys.modules` is consulted. A user of the ``claude`` backend
needs neither ``openai`` nor ``anthropic`` installed, and translating its first failure
does not spend seconds importing them on the event loop.

A response body cut off mid-way (the peer closed the connection before the
``content-length`` or the last chunk) is reported as such, not as an unreachable endpoint,
and is retried like a connection reset: the request is sent again whole, and the cut-off
reply - whose usage never arrived - is not counted.
"""

from __future__ import annotations

import copy
import email.utils
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

from .._types import Usage
from ..errors import BackendConfigError, BackendError, FlowError, QuotaExhausted, RateLimited
from ._quota import quota_error

__all__ = ["foreign_types", "is_retryable", "retry_after", "translate"]

_RETRY_STATUSES = frozenset({408, 409, 429})
_CONFIG_STATUSES = frozenset({401, 403, 404})


def _loaded(name: str) -> Any:
    """The module if something already imported it, else None (never imports it)."""
    return sys.modules.get(name)


def _sdk_modules() -> Iterator[Any]:
    for name in ("openai", "anthropic"):
        module = _loaded(name)
        if module is not None:
            yield module


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _is_connection_error(exc: BaseException) -> bool:
    for sdk in _sdk_modules():
        if isinstance(exc, sdk.APIConnectionError):
            return True
    httpx2 = _loaded("httpx2")
    return httpx2 is not None and isinstance(exc, httpx2.TransportError)


_CUT_OFF = ("without sending complete message body", "incomplete chunked read")
"""What h11 says when the body stops short; it has no exception type of its own for it."""


def _cut_off(exc: BaseException) -> BaseException | None:
    """The transport error in ``exc``'s chain saying the body stopped short, if any."""
    httpx2 = _loaded("httpx2")
    seen: set[int] = set()
    current: BaseException | None = exc
    while httpx2 is not None and current is not None and id(current) not in seen:
        seen.add(id(current))
        protocol_error = isinstance(current, httpx2.RemoteProtocolError)
        if protocol_error and any(words in str(current) for words in _CUT_OFF):
            return current
        current = current.__cause__ or current.__context__
    return None


def _transport_failure(exc: BaseException, otherwise: str) -> BackendError:
    cut = _cut_off(exc)
    if cut is not None:
        return BackendError("the endpoint closed the connection before the response body "
                            f"was complete ({_message(cut)})")
    return BackendError(f"{otherwise} ({_message(exc)})")


def _quota(exc: BaseException) -> QuotaExhausted | None:
    """The quota refusal an SDK's HTTP error is (402, ``insufficient_quota``, a usage
    limit), or None; see :mod:`._quota`."""
    status = _status(exc)
    if status is None or status < 400 or status >= 500:
        return None
    body = getattr(exc, "body", None)
    if body is None:
        body = getattr(exc, "message", None) or str(exc)
    headers = getattr(getattr(exc, "response", None), "headers", None)
    return quota_error(status, body, headers)


def is_retryable(exc: BaseException) -> bool:
    """True for 408/409/429/5xx responses and connection failures (not malformed bodies,
    not a quota refusal: retrying cannot help before the provider's reset).

    A body cut off mid-way is a connection failure (the SDKs wrap it as one when the body is
    read with the response, and a stream raises the transport error itself).
    """
    status = _status(exc)
    if status is not None and not _is_validation_error(exc):
        if status == 429 and _quota(exc) is not None:
            return False
        return status in _RETRY_STATUSES or status >= 500
    return _is_connection_error(exc)


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` or ``retry-after``), if any."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return None if parsed is None else max(0.0, parsed.timestamp() - time.time())


def _is_validation_error(exc: BaseException) -> bool:
    return any(isinstance(exc, sdk.APIResponseValidationError) for sdk in _sdk_modules())


def _message(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"{type(exc).__module__.split('.')[0]}.{type(exc).__name__}: {text}"


def _translate_sdk(exc: BaseException) -> BackendError | None:
    for sdk in _sdk_modules():
        base = getattr(sdk, "OpenAIError", None) or getattr(sdk, "AnthropicError", sdk.APIError)
        if not isinstance(exc, base):
            continue
        quota = _quota(exc)
        if quota is not None:
            return quota
        if isinstance(exc, sdk.RateLimitError):
            return RateLimited(f"rate limited after retries ({_message(exc)})")
        if isinstance(exc, sdk.APIResponseValidationError):
            return BackendError(f"malformed response ({_message(exc)})")
        status = _status(exc)
        if status in _CONFIG_STATUSES:
            return BackendConfigError(f"HTTP {status}: check the API key, model and base URL "
                                      f"({_message(exc)})")
        if isinstance(exc, sdk.APIStatusError):
            return BackendError(f"HTTP {status} ({_message(exc)})")
        if isinstance(exc, sdk.APIConnectionError):
            return _transport_failure(exc, "cannot reach the endpoint")
        if type(exc).__name__ == "CredentialsError":
            return BackendConfigError(_message(exc))
        return BackendError(_message(exc))
    return None


def _translate_instructor(exc: BaseException) -> BackendError | None:
    if _loaded("instructor") is None:
        return None
    try:
        from instructor.core.exceptions import InstructorError, InstructorRetryException
    except ImportError:  # pragma: no cover - optional dependency
        return None
    if isinstance(exc, InstructorRetryException):
        attempts = getattr(exc, "n_attempts", None)
        return BackendError(f"no valid structured output after {attempts} attempt(s): {exc}")
    if isinstance(exc, InstructorError):
        return BackendError(_message(exc))
    return None


def _translate_other(exc: BaseException) -> BackendError:
    if isinstance(exc, FileNotFoundError):
        return BackendConfigError(f"command not found: {exc.filename or exc}")
    if isinstance(exc, PermissionError):
        return BackendConfigError(f"command not executable: {exc.filename or exc}")
    if isinstance(exc, subprocess.CalledProcessError):
        return BackendError(f"command exited with status {exc.returncode}")
    if isinstance(exc, json.JSONDecodeError):
        return BackendError(f"malformed response: not JSON ({exc})")
    if isinstance(exc, TimeoutError):
        return BackendError(f"request timed out ({exc})")
    httpx2 = _loaded("httpx2")
    if httpx2 is not None and isinstance(exc, httpx2.HTTPError):
        return _transport_failure(exc, "HTTP transport error")
    return BackendError(_message(exc))


def _root(exc: BaseException) -> BaseException:
    """The most informative error in a chain: the first flowdsl or SDK error under a wrapper."""
    seen: set[int] = set()
    current: BaseException | None = exc
    unwrapped = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, BaseExceptionGroup) and len(current.exceptions) == 1:
            current = unwrapped = current.exceptions[0]  # a task group around one failure
            continue
        if isinstance(current, FlowError):
            return current
        if any(isinstance(current, sdk.APIError) for sdk in _sdk_modules()):
            return current
        current = current.__cause__
    return unwrapped


def translate(exc: BaseException, usage: Usage | None = None) -> BackendError:
    """Map any exception a backend let through into the flowdsl tree.

    Instructor wraps API errors raised inside its retry loop; the original (a rate limit,
    an auth failure, one of our own :class:`BackendError`) is unwrapped from ``__cause__``
    so its class - and so the agent's recorded reason - is the real one.

    Args:
        exc: what escaped the backend.
        usage: what the failed call spent in total; it replaces the error's own
            ``usage`` when given. When None, a flowdsl error keeps the usage it carries.
    """
    root = _root(exc)
    if isinstance(root, BackendError):
        error = root
    elif isinstance(root, FlowError):
        error = BackendError(str(root))
    else:
        error = _translate_sdk(root) or _translate_instructor(root) or _translate_other(root)
    if usage is None or error.usage == usage:
        return error
    # a copy (class, message, reset time...): the one raised deeper keeps what it said it cost
    copied = copy.copy(error)
    copied.usage = usage
    return copied


def foreign_types() -> tuple[type[BaseException], ...]:
    """The foreign exception types :func:`translate` maps explicitly (checked by a test)."""
    types: list[type[BaseException]] = [
        FileNotFoundError, PermissionError, subprocess.CalledProcessError,
        json.JSONDecodeError, TimeoutError,
    ]
    for sdk in _sdk_modules():
        types += [sdk.RateLimitError, sdk.APIResponseValidationError, sdk.AuthenticationError,
                  sdk.PermissionDeniedError, sdk.NotFoundError, sdk.APIStatusError,
                  sdk.InternalServerError, sdk.APIConnectionError, sdk.APITimeoutError]
    try:
        import httpx2
        from instructor.core.exceptions import InstructorError, InstructorRetryException
    except ImportError:  # pragma: no cover
        return tuple(types)
    return (*types, httpx2.HTTPError, InstructorError, InstructorRetryException)
