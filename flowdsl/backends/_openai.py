"""The ``openai`` backend: any OpenAI-compatible Chat Completions endpoint.

OpenAI itself, or a local server (vLLM, Ollama, llama.cpp, LM Studio) through a base URL.
Text agents return the message text. Schema agents go through instructor's TOOLS mode
(or ``JSON_SCHEMA``, ``response_format``) with a pass-through response model (see
:mod:`._structured`): the model sees the user's JSON Schema, jsonschema judges, and
validation errors are fed back for ``reasks`` re-asks (``reasks + 1`` requests at most).

With ``stream = true`` in the configuration, text agents stream (SSE) and take usage from
the final chunk; schema agents never stream (instructor needs the whole tool call).

Every HTTP request - first ask or re-ask - goes through :meth:`._api.APIBackend.send`
(429/5xx/connection errors retried with bounded exponential backoff, ``retry-after``
honoured; the SDK's own retries are off). Usage is summed over every response the agent
received, re-asks included; a response without ``usage`` is estimated and flagged. A
reported ``usage.cost`` (OpenRouter and others) is believed, otherwise the price table
prices the tokens.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, ClassVar

from .._config import Config, load_config
from .._types import AgentRequest, Usage
from ..errors import BackendConfigError
from ._api import APIBackend
from ._common import fail, make_usage, system_prompt

__all__ = ["OpenAIBackend", "create_backend"]

_NO_KEY = "not-needed"
"""Local OpenAI-compatible servers ignore the key, but the SDK insists on one."""


class OpenAIBackend(APIBackend):
    """Runs agents against an OpenAI-compatible Chat Completions endpoint."""

    name: ClassVar[str] = "openai"
    instructor_provider: ClassVar[str] = "openai"

    def __init__(self, *, mode: str = "tools", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mode = mode
        self.instructor_mode = "TOOLS" if mode == "tools" else "JSON_SCHEMA"

    def new_client(self) -> Any:
        from openai import AsyncOpenAI
        from openai.types.chat import ChatCompletion

        self._completion = ChatCompletion
        return AsyncOpenAI(api_key=self.api_key, base_url=self.base_url, max_retries=0,
                           timeout=self.config.timeout)

    async def call_api(self, client: Any, kwargs: dict[str, Any]) -> Any:
        if kwargs.get("stream"):
            # the SDK's stream helper accumulates the chunks into one ChatCompletion,
            # usage included (from the final chunk that ``include_usage`` asks for)
            params = {k: v for k, v in kwargs.items() if k != "stream"}
            async with client.chat.completions.stream(
                    stream_options={"include_usage": True}, **params) as stream:
                return await stream.get_final_completion()
        # ``client.post`` is the SDK's documented door for raw requests: the same
        # transport, auth, error classes and response model as ``chat.completions.create``,
        # without its TypedDict walk over the (already plain-JSON) body, which costs about
        # a millisecond of event-loop CPU per request - a third of the SDK's overhead.
        return await client.post("/chat/completions", body=kwargs, cast_to=self._completion)

    def _messages(self, request: AgentRequest) -> list[dict[str, str]]:
        return [{"role": "system", "content": system_prompt(request)},
                {"role": "user", "content": request.prompt}]

    def _extra(self, request: AgentRequest) -> dict[str, Any]:
        return {"reasoning_effort": request.effort} if request.effort else {}

    async def text(self, request: AgentRequest, model: str) -> str:
        extra = self._extra(request)
        if self.config.stream:
            extra["stream"] = True
        response = await self.send(model=model, messages=self._messages(request), **extra)
        content = response.choices[0].message.content
        if not isinstance(content, str):
            raise fail("malformed response: the message has no text content")
        return content

    def structured_kwargs(self, request: AgentRequest, model: str) -> dict[str, Any]:
        return {"model": model, "messages": self._messages(request), **self._extra(request)}

    def usage_of(self, response: Any, kwargs: dict[str, Any], model: str) -> Usage:
        usage = getattr(response, "usage", None)
        inp = getattr(usage, "prompt_tokens", None)
        out = getattr(usage, "completion_tokens", None)
        cost = (getattr(usage, "model_extra", None) or {}).get("cost")
        text = ""
        if getattr(response, "choices", None):
            message = response.choices[0].message
            text = message.content or str(message.tool_calls or "")
        return make_usage(
            self.config, model,
            inp if isinstance(inp, int) else None, out if isinstance(out, int) else None,
            reported_cost=cost if isinstance(cost, int | float) else None,
            prompt_text=str(kwargs.get("messages", "")), output_text=text,
        )

    def check(self, response: Any) -> None:
        """Refusals and malformed bodies are agent failures, never re-asked."""
        choices = getattr(response, "choices", None)
        if not isinstance(choices, list) or not choices:
            raise fail(f"malformed response: no choices ({type(response).__name__})")
        message = getattr(choices[0], "message", None)
        if message is None:
            raise fail("malformed response: the choice has no message")
        refusal = getattr(message, "refusal", None)
        if refusal:
            raise fail(f"the model refused: {refusal}")
        if getattr(choices[0], "finish_reason", None) == "content_filter":
            raise fail("the response was stopped by the provider's content filter")


def _config_error() -> BackendConfigError:
    return BackendConfigError(
        "the openai backend is not configured: set OPENAI_API_KEY (for api.openai.com) or "
        "a base URL for an OpenAI-compatible server (--base-url URL, base_url in "
        "[tool.flowdsl], FLOWDSL_OPENAI_BASE_URL or OPENAI_BASE_URL), and a model "
        "(--model NAME, model in [tool.flowdsl], or opts.model per agent)"
    )


def create_backend(
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    config: Config | None = None,
    should_continue: Callable[[Usage], bool] | None = None,
    mode: str = "tools",
) -> OpenAIBackend:
    """Build the openai backend from arguments, then config, then the environment.

    Args:
        model: default model (``--model``); aliases are resolved through ``config``.
        base_url: ``--base-url``; else ``base_url`` in config, ``FLOWDSL_OPENAI_BASE_URL``,
            ``OPENAI_BASE_URL``; else api.openai.com.
        api_key: else ``OPENAI_API_KEY``; optional when a base URL is set.
        config: the project configuration (default: :func:`load_config` from the cwd).
        should_continue: budget hook; called with this agent's usage so far before each
            re-ask, False stops the re-asks (see :data:`._common.REASK_GATE`).
        mode: ``"tools"`` (tool calling, the widest support) or ``"json_schema"``
            (``response_format``), the instructor mode for schema agents.

    Raises:
        BackendConfigError: neither an API key nor a base URL is available.
    """
    config = config if config is not None else load_config()
    url = (base_url or config.base_url or os.environ.get("FLOWDSL_OPENAI_BASE_URL")
           or os.environ.get("OPENAI_BASE_URL") or None)
    key = api_key or os.environ.get("OPENAI_API_KEY")
    if not key and not url:
        raise _config_error()
    if mode not in ("tools", "json_schema"):
        raise BackendConfigError(f"openai mode must be 'tools' or 'json_schema', got {mode!r}")
    return OpenAIBackend(
        api_key=key or _NO_KEY, base_url=url, model=config.resolve_alias(model or config.model),
        config=config, should_continue=should_continue, mode=mode,
    )
