"""The ``openai`` backend: any OpenAI-compatible Chat Completions endpoint.

OpenAI itself, or a local server (vLLM, Ollama, llama.cpp, LM Studio) through a base URL.
Text agents return the message text. Schema agents go through instructor's TOOLS mode
(or ``JSON_SCHEMA``, ``response_format``) with a pass-through response model (see
:mod:`._structured`): the model sees the user's JSON Schema, jsonschema judges, and
validation errors are fed back for ``reasks`` re-asks (``reasks + 1`` requests at most).

With ``stream = true`` in the configuration, text agents stream (SSE) and take usage from
the final chunk; schema agents never stream (instructor needs the whole tool call).

Every HTTP request - first ask or re-ask - goes through :meth:`._http_base.APIBackend.send`
(429/5xx/connection errors retried with bounded exponential backoff, ``retry-after``
honoured; the SDK's own retries are off). Usage is summed over every response the agent
received, re-asks included; a response without ``usage`` is estimated and flagged. A
reported ``usage.cost`` (OpenRouter and others) is believed, otherwise :mod:`._prices`
prices the tokens (as OpenAI's) or counts them as unpriced.

A reply cut off at the output limit (``finish_reason == "length"``) or ending without a
finish reason (a stream that stopped early) is an agent failure, never a truncated
success; its usage is still counted.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .._types import AgentRequest, Usage
from ..errors import BackendConfigError, BackendError
from ._common import make_usage
from ._http_base import APIBackend

__all__ = ["OpenAIBackend", "create_backend"]


class OpenAIBackend(APIBackend):
    """Runs agents against an OpenAI-compatible Chat Completions endpoint."""

    name: ClassVar[str] = "openai"
    default_host: ClassVar[str] = "api.openai.com"
    instructor_provider: ClassVar[str] = "openai"
    sdk: ClassVar[str] = "openai"
    sdk_warmups: ClassVar[tuple[str, ...]] = (
        "openai.types.chat", "openai.resources.chat", "openai.lib.streaming.chat")
    loop_modules: ClassVar[tuple[str, ...]] = ("pydantic_ai.models.openai",)

    def __init__(self, *, mode: str = "tools", **kwargs: Any) -> None:
        if mode not in ("tools", "json_schema"):
            raise BackendConfigError(f"openai mode must be 'tools' or 'json_schema', got {mode!r}")
        super().__init__(**kwargs)
        self.mode = mode
        self.instructor_mode = "TOOLS" if mode == "tools" else "JSON_SCHEMA"

    def new_client(self) -> Any:
        from openai import AsyncOpenAI, LengthFinishReasonError
        from openai.types.chat import ChatCompletion

        self._completion = ChatCompletion
        self._length_error = LengthFinishReasonError
        return AsyncOpenAI(api_key=self.api_key, base_url=self.base_url, max_retries=0,
                           timeout=self.config.timeout)

    async def call_api(self, client: Any, kwargs: dict[str, Any]) -> Any:
        if kwargs.get("stream"):
            # the SDK's stream helper accumulates the chunks into one ChatCompletion,
            # usage included (from the final chunk that ``include_usage`` asks for)
            params = {k: v for k, v in kwargs.items() if k != "stream"}
            async with client.chat.completions.stream(
                    stream_options={"include_usage": True}, **params) as stream:
                try:
                    return await stream.get_final_completion()
                except self._length_error as exc:
                    # the helper refuses a cut-off reply; hand it on, so that its usage
                    # is counted and check() fails it like a non-streamed one
                    return exc.completion
        # ``client.post`` is the SDK's documented door for raw requests: the same
        # transport, auth, error classes and response model as ``chat.completions.create``,
        # without its TypedDict walk over the (already plain-JSON) body, which costs about
        # a millisecond of event-loop CPU per request - a third of the SDK's overhead.
        return await client.post("/chat/completions", body=kwargs, cast_to=self._completion)

    def loop_model(self, client: Any, model_name: str) -> Any:
        from ._loop_providers import openai_chat_model

        return openai_chat_model(client, model_name)

    def loop_settings(self, request: AgentRequest) -> dict[str, Any]:
        return {"openai_reasoning_effort": request.effort} if request.effort else {}

    def _messages(self, request: AgentRequest, system: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": system},
                {"role": "user", "content": request.prompt}]

    def _extra(self, request: AgentRequest) -> dict[str, Any]:
        return {"reasoning_effort": request.effort} if request.effort else {}

    async def text(self, request: AgentRequest, model: str, system: str) -> str:
        extra = self._extra(request)
        if self.config.stream:
            extra["stream"] = True
        response = await self.send(model=model, messages=self._messages(request, system), **extra)
        content = response.choices[0].message.content
        if not isinstance(content, str):
            raise BackendError("malformed response: the message has no text content")
        return content

    def structured_kwargs(self, request: AgentRequest, model: str,
                          system: str) -> dict[str, Any]:
        return {"model": model, "messages": self._messages(request, system),
                **self._extra(request)}

    def usage_of(self, response: Any, kwargs: dict[str, Any], model: str) -> Usage:
        usage = getattr(response, "usage", None)
        inp = getattr(usage, "prompt_tokens", None)
        out = getattr(usage, "completion_tokens", None)
        cost = (getattr(usage, "model_extra", None) or {}).get("cost")
        cached = getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", None)
        text = ""
        if getattr(response, "choices", None):
            message = response.choices[0].message
            text = message.content or str(message.tool_calls or "")
        return make_usage(
            self.config, model,
            inp if isinstance(inp, int) else None, out if isinstance(out, int) else None,
            provider="openai", reported_cost=cost if isinstance(cost, int | float) else None,
            cache_read_tokens=cached if isinstance(cached, int) else 0,
            prompt_text=str(kwargs.get("messages", "")), output_text=text,
        )

    def check(self, response: Any) -> None:
        """Refusals, malformed bodies and cut-off replies are agent failures, never re-asked."""
        choices = getattr(response, "choices", None)
        if not isinstance(choices, list) or not choices:
            raise BackendError(f"malformed response: no choices ({type(response).__name__})")
        message = getattr(choices[0], "message", None)
        if message is None:
            raise BackendError("malformed response: the choice has no message")
        refusal = getattr(message, "refusal", None)
        if refusal:
            raise BackendError(f"the model refused: {refusal}")
        finish = getattr(choices[0], "finish_reason", None)
        if finish == "content_filter":
            raise BackendError("the response was stopped by the provider's content filter")
        if finish == "length":
            raise BackendError(
                "the model's reply was cut off at the output limit (finish_reason=length): "
                "raise the model's or server's output limit (max_tokens), or ask for less")
        if not finish:
            raise BackendError("the response has no finish reason, so the reply may be "
                               "incomplete (a stream that ended early?)")


create_backend = OpenAIBackend.create
"""Build the openai backend (see :meth:`._http_base.APIBackend.create`; ``mode`` is
``"tools"`` (tool calling, the widest support) or ``"json_schema"`` (``response_format``),
the instructor mode for schema agents)."""
