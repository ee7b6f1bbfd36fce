"""The pydantic-ai models of the API backends, built on each backend's own SDK client.

The client carries the backend's base URL, key, timeout and ``max_retries=0``, so
pydantic-ai adds no connection policy of its own. :data:`LOOP_PROFILE` switches off
pydantic-ai's JSON-Schema rewriting (and with it OpenAI's strict mode, which would need
it): a schema agent's schema and an MCP server's tool schemas reach the model verbatim.
Each builder imports only its own provider's modules (an ``openai`` user needs no
``anthropic`` SDK).
"""

from __future__ import annotations

import types
import typing
from dataclasses import replace
from functools import cache
from typing import Any

from pydantic_ai.models import Model
from pydantic_ai.profiles import ModelProfile

__all__ = ["LOOP_PROFILE", "anthropic_model", "openai_chat_model"]

LOOP_PROFILE: ModelProfile = {"json_schema_transformer": None}
"""Laid over the provider's profile for every loop model."""


@cache
def _chat_model_class() -> type[Model]:
    from openai.types import chat
    from pydantic_ai.messages import ModelResponse
    from pydantic_ai.models.openai import OpenAIChatModel

    class ChatModel(OpenAIChatModel):
        """Chat Completions, keeping a reported ``usage.cost`` (OpenRouter and other
        compatible servers report one) where :func:`._loop_model.response_usage` reads it,
        and a missing finish reason missing (pydantic-ai reads it as ``stop`` for Ollama's
        sake; flowdsl fails such a reply, :func:`._loop_model.check_response`)."""

        def _process_response(self, response: chat.ChatCompletion | str) -> ModelResponse:
            unfinished = (isinstance(response, chat.ChatCompletion) and bool(response.choices)
                          and response.choices[0].finish_reason is None)
            processed = super()._process_response(response)
            if not unfinished:
                return processed
            details = {k: v for k, v in (processed.provider_details or {}).items()
                       if k != "finish_reason"}
            return replace(processed, finish_reason=None, provider_details=details or None)

        def _process_provider_details(self, response: chat.ChatCompletion
                                      ) -> dict[str, Any] | None:
            details = super()._process_provider_details(response) or {}
            extra = getattr(response.usage, "model_extra", None) or {}
            cost = extra.get("cost")
            if isinstance(cost, int | float) and not isinstance(cost, bool):
                details["cost"] = cost
            return details or None

    return ChatModel


def openai_chat_model(client: Any, model_name: str) -> Model:
    """A Chat Completions model on ``client`` (an ``openai.AsyncOpenAI``)."""
    from pydantic_ai.providers.openai import OpenAIProvider

    model_class: Any = _chat_model_class()
    built: Model = model_class(model_name, provider=OpenAIProvider(openai_client=client),
                               profile=LOOP_PROFILE)
    return built


def anthropic_model(client: Any, model_name: str, max_tokens: int) -> Model:
    """A Messages API model on ``client`` (an ``anthropic.AsyncAnthropic``)."""
    from pydantic_ai.providers.anthropic import AnthropicProvider

    model_class: Any = _anthropic_module().AnthropicModel
    built: Model = model_class(model_name, provider=AnthropicProvider(anthropic_client=client),
                               profile=LOOP_PROFILE, settings={"max_tokens": max_tokens})
    return built


@cache
def _anthropic_module() -> Any:
    """``pydantic_ai.models.anthropic``, mended for the installed ``anthropic`` SDK.

    pydantic-ai 2.38 builds each message as ``BetaMessageParam(role=..., content=...)``;
    anthropic 2.16 turned that name from a TypedDict into a ``Union`` of TypedDicts, which
    cannot be called ("Cannot instantiate typing.Union": every request fails). Calling a
    TypedDict only builds a plain dict, so the module's name is pointed at a function that
    does exactly that. This is the one place flowdsl changes a library's module: the
    alternative is copying ``AnthropicModel._map_message`` (300 lines). The check makes it
    a no-op once either library changes; delete it when pydantic-ai calls the member types.
    """
    import pydantic_ai.models.anthropic

    module: Any = pydantic_ai.models.anthropic
    origin: Any = typing.get_origin(module.BetaMessageParam)
    if origin is typing.Union or origin is types.UnionType:
        module.BetaMessageParam = _message_param
    return module


def _message_param(**fields: Any) -> dict[str, Any]:
    return dict(fields)
