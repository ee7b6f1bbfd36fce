"""The ``anthropic`` backend: the Messages API through the official ``anthropic`` SDK.

Same rules as :mod:`._openai`: text agents return the concatenated text blocks; schema
agents go through instructor's Anthropic TOOLS mode with the pass-through response model
(the user's schema is the tool's ``input_schema``, the tool is forced, jsonschema judges,
``tool_result`` errors drive ``reasks`` re-asks); one retry policy for 429/5xx/529; usage
summed across re-asks.

Input tokens are ``input_tokens + cache_creation_input_tokens + cache_read_input_tokens``
(all are input the budget should see); cost is priced at the base input rate, so prompt
caching makes the figure an upper bound. ``stop_reason == "refusal"`` is an agent failure,
and so is a reply cut off (``max_tokens``, ``model_context_window_exceeded``) or without a
stop reason: never a truncated success.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .._types import AgentRequest, Usage
from ..errors import BackendError
from ._common import make_usage
from ._http_base import APIBackend

__all__ = ["AnthropicBackend", "create_backend"]


class AnthropicBackend(APIBackend):
    """Runs agents against the Anthropic Messages API (or a compatible endpoint)."""

    name: ClassVar[str] = "anthropic"
    default_host: ClassVar[str] = "api.anthropic.com"
    instructor_provider: ClassVar[str] = "anthropic"
    instructor_mode: str = "TOOLS"
    sdk: ClassVar[str] = "anthropic"
    loop_modules: ClassVar[tuple[str, ...]] = ("pydantic_ai.models.anthropic",)

    def new_client(self) -> Any:
        from anthropic import AsyncAnthropic

        return AsyncAnthropic(api_key=self.api_key, base_url=self.base_url, max_retries=0,
                              timeout=self.config.timeout)

    async def call_api(self, client: Any, kwargs: dict[str, Any]) -> Any:
        return await client.messages.create(**kwargs)

    def loop_model(self, client: Any, model_name: str) -> Any:
        from ._loop_providers import anthropic_model

        return anthropic_model(client, model_name, self.config.max_tokens)

    async def text(self, request: AgentRequest, model: str, system: str) -> str:
        response = await self.send(
            model=model, max_tokens=self.config.max_tokens, system=system,
            messages=[{"role": "user", "content": request.prompt}],
        )
        return "".join(b.text for b in response.content if getattr(b, "type", None) == "text")

    def structured_kwargs(self, request: AgentRequest, model: str,
                          system: str) -> dict[str, Any]:
        return {
            "model": model, "max_tokens": self.config.max_tokens,
            "messages": [{"role": "system", "content": system},
                         {"role": "user", "content": request.prompt}],
        }

    def usage_of(self, response: Any, kwargs: dict[str, Any], model: str) -> Usage:
        usage = getattr(response, "usage", None)
        inp = getattr(usage, "input_tokens", None)
        out = getattr(usage, "output_tokens", None)
        # Anthropic's input_tokens leaves the cached ones out; flowdsl counts every input
        # token (the budget's figure) and prices the cached ones at their own rates.
        written = _count(getattr(usage, "cache_creation_input_tokens", None))
        read = _count(getattr(usage, "cache_read_input_tokens", None))
        if isinstance(inp, int):
            inp += written + read
        text = str(getattr(response, "content", ""))
        return make_usage(
            self.config, model,
            inp if isinstance(inp, int) else None, out if isinstance(out, int) else None,
            provider="anthropic", cache_read_tokens=read, cache_write_tokens=written,
            prompt_text=str(kwargs.get("messages", "")) + str(kwargs.get("system", "")),
            output_text=text,
        )

    def check(self, response: Any) -> None:
        content = getattr(response, "content", None)
        if not isinstance(content, list):
            raise BackendError(f"malformed response: no content ({type(response).__name__})")
        stop = getattr(response, "stop_reason", None)
        if stop == "refusal":
            said = "".join(getattr(b, "text", "") for b in content)
            raise BackendError(f"the model refused: {said or 'stop_reason=refusal'}")
        if stop == "max_tokens":
            raise BackendError(
                "the model's reply was cut off at the output limit (stop_reason=max_tokens, "
                f"max_tokens={self.config.max_tokens}): raise max_tokens in [tool.flowdsl], "
                "or ask for less")
        if stop == "model_context_window_exceeded":
            raise BackendError("the model's reply was cut off: its context window is full "
                               f"(stop_reason={stop}); shorten the prompt or ask for less")
        if not stop:
            raise BackendError("the response has no stop reason, so the reply may be "
                               "incomplete")


def _count(value: Any) -> int:
    return value if isinstance(value, int) else 0


create_backend = AnthropicBackend.create
"""Build the anthropic backend (see :meth:`._http_base.APIBackend.create`)."""
