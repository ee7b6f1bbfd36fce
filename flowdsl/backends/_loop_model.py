"""The model an API agent's loop talks to: pydantic-ai's wire format, flowdsl's rules.

:class:`LoopModel` wraps the provider model pydantic-ai builds on the backend's own SDK
client (so base URL, key, timeouts and ``max_retries=0`` are the backend's) and adds what
the single-completion path does in :meth:`._http_base.APIBackend.send`:

- every request goes through :func:`._common.with_retries` (bounded backoff, ``retry-after``
  honoured). pydantic-ai wraps SDK errors in ``ModelHTTPError``/``ModelAPIError``; the SDK's
  own error (their ``__cause__``) is raised instead, so the retry decision and
  :func:`._errors.translate` see exactly what they see on the other path;
- every response is counted into the agent's :class:`Tally`: reported tokens are believed
  (pydantic-ai's ``RequestUsage.input_tokens`` already includes Anthropic's cache reads and
  writes, which flowdsl counts as input), a reported ``usage.cost`` is believed,
  :mod:`._prices` prices the rest (cache reads and writes at their own rates), and a
  response without usage is estimated and flagged;
- a response that was refused, filtered, cut off at the output limit or that has no finish
  reason fails the agent once counted: never a truncated success.

The model is entered and left by every pydantic-ai run; the client it holds belongs to the
backend, so entering and leaving do nothing here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic_ai.exceptions import ModelAPIError
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings

from .._config import Config
from .._types import Usage
from ..errors import BackendError
from ._common import RetryPolicy, make_usage, with_retries

__all__ = ["LoopModel", "Tally", "check_response", "response_usage"]


@dataclass
class Tally:
    """What one agent's loop has spent so far; the loop and its model share it."""

    usage: Usage = field(default_factory=Usage)
    turns: int = 0
    """Model responses received (each one counted in ``usage``)."""


class LoopModel(WrapperModel):
    """``wrapped`` with flowdsl's retries, usage count and response checks.

    Args:
        wrapped: the provider model (built on the backend's SDK client).
        policy: the backend's retry policy.
        config: prices, for the usage.
        model_name: the name prices are looked up by.
        provider: the genai-prices provider id prices are looked up at (``openai``).
        tally: where every response is counted.
    """

    def __init__(self, wrapped: Model, *, policy: RetryPolicy, config: Config, model_name: str,
                 tally: Tally, provider: str | None = None) -> None:
        super().__init__(wrapped)
        self.policy = policy
        self.config = config
        self.priced_as = model_name
        self.price_provider = provider  # WrapperModel.provider is pydantic-ai's
        self.tally = tally

    async def __aenter__(self) -> LoopModel:
        return self

    async def __aexit__(self, *exc: object) -> bool | None:
        return None

    async def request(self, messages: list[ModelMessage], model_settings: ModelSettings | None,
                      model_request_parameters: ModelRequestParameters) -> ModelResponse:
        async def once() -> ModelResponse:
            try:
                return await self.wrapped.request(messages, model_settings,
                                                  model_request_parameters)
            except ModelAPIError as exc:
                if isinstance(exc.__cause__, Exception):
                    raise exc.__cause__ from None  # the SDK's error: retried and translated
                raise

        response = await with_retries(once, self.policy)
        self.tally.turns += 1
        self.tally.usage = self.tally.usage + response_usage(
            self.config, self.priced_as, response, messages, provider=self.price_provider)
        check_response(response)
        return response


def response_usage(config: Config, model: str, response: ModelResponse,
                   messages: Sequence[ModelMessage] = (), *,
                   provider: str | None = None) -> Usage:
    """The usage of one response (estimated from the texts when none was reported)."""
    used = response.usage
    details = response.provider_details or {}
    cost = details.get("cost")
    reported_cost = float(cost) if isinstance(cost, int | float) else None
    if used.input_tokens or used.output_tokens:
        return make_usage(config, model, used.input_tokens, used.output_tokens,
                          provider=provider, reported_cost=reported_cost,
                          cache_read_tokens=used.cache_read_tokens,
                          cache_write_tokens=used.cache_write_tokens)
    return make_usage(config, model, None, None, provider=provider, reported_cost=reported_cost,
                      prompt_text=str(messages), output_text=str(response.parts))


def check_response(response: ModelResponse) -> None:
    """Refused, filtered, cut-off and unfinished responses are agent failures.

    Raises:
        BackendError: the reason, with the provider's own finish reason.
    """
    details = response.provider_details or {}
    raw = details.get("finish_reason")
    finish = response.finish_reason
    if finish == "content_filter":
        refusal = details.get("refusal")
        if refusal or raw == "refusal":
            said = refusal or "".join(p.content for p in response.parts
                                      if isinstance(p, TextPart))
            raise BackendError(f"the model refused: {said or 'stop_reason=refusal'}")
        raise BackendError("the response was stopped by the provider's content filter")
    if finish == "length":
        raise BackendError(
            f"the model's reply was cut off at the output limit (finish reason {raw}): raise "
            "the output limit (max_tokens in [tool.flowdsl] for anthropic, the model's or "
            "server's limit otherwise), or ask for less")
    if finish == "error":
        raise BackendError(f"the provider reported an error for the response (finish reason "
                           f"{raw})")
    if finish is None and not raw and response.state == "complete":
        raise BackendError("the response has no finish reason, so the reply may be "
                           "incomplete (a stream that ended early?)")

