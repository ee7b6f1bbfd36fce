"""The ``anthropic`` backend: the Messages API through the official ``anthropic`` SDK.

Same rules as :mod:`._openai`: text agents return the concatenated text blocks; schema
agents go through instructor's Anthropic TOOLS mode with the pass-through response model
(the user's schema is the tool's ``input_schema``, the tool is forced, jsonschema judges,
``tool_result`` errors drive ``reasks`` re-asks); one retry policy for 429/5xx/529; usage
summed across re-asks.

Input tokens are ``input_tokens + cache_creation_input_tokens + cache_read_input_tokens``
(all are input the budget should see); cost is priced at the base input rate, so prompt
caching makes the figure an upper bound. ``stop_reason == "refusal"`` is an agent failure.
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

__all__ = ["AnthropicBackend", "create_backend"]

_NO_KEY = "not-needed"


class AnthropicBackend(APIBackend):
    """Runs agents against the Anthropic Messages API (or a compatible endpoint)."""

    name: ClassVar[str] = "anthropic"
    instructor_provider: ClassVar[str] = "anthropic"
    instructor_mode: str = "TOOLS"

    def new_client(self) -> Any:
        from anthropic import AsyncAnthropic

        return AsyncAnthropic(api_key=self.api_key, base_url=self.base_url, max_retries=0,
                              timeout=self.config.timeout)

    async def call_api(self, client: Any, kwargs: dict[str, Any]) -> Any:
        return await client.messages.create(**kwargs)

    async def text(self, request: AgentRequest, model: str) -> str:
        response = await self.send(
            model=model, max_tokens=self.config.max_tokens, system=system_prompt(request),
            messages=[{"role": "user", "content": request.prompt}],
        )
        return "".join(b.text for b in response.content if getattr(b, "type", None) == "text")

    def structured_kwargs(self, request: AgentRequest, model: str) -> dict[str, Any]:
        return {
            "model": model, "max_tokens": self.config.max_tokens,
            "messages": [{"role": "system", "content": system_prompt(request)},
                         {"role": "user", "content": request.prompt}],
        }

    def usage_of(self, response: Any, kwargs: dict[str, Any], model: str) -> Usage:
        usage = getattr(response, "usage", None)
        inp = getattr(usage, "input_tokens", None)
        out = getattr(usage, "output_tokens", None)
        if isinstance(inp, int):
            for extra in ("cache_creation_input_tokens", "cache_read_input_tokens"):
                value = getattr(usage, extra, None)
                inp += value if isinstance(value, int) else 0
        text = str(getattr(response, "content", ""))
        return make_usage(
            self.config, model,
            inp if isinstance(inp, int) else None, out if isinstance(out, int) else None,
            prompt_text=str(kwargs.get("messages", "")) + str(kwargs.get("system", "")),
            output_text=text,
        )

    def check(self, response: Any) -> None:
        content = getattr(response, "content", None)
        if not isinstance(content, list):
            raise fail(f"malformed response: no content ({type(response).__name__})")
        if getattr(response, "stop_reason", None) == "refusal":
            said = "".join(getattr(b, "text", "") for b in content)
            raise fail(f"the model refused: {said or 'stop_reason=refusal'}")


def create_backend(
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    config: Config | None = None,
    should_continue: Callable[[Usage], bool] | None = None,
) -> AnthropicBackend:
    """Build the anthropic backend from arguments, then config, then the environment.

    Args:
        model: default model (``--model``); aliases are resolved through ``config``.
        base_url: ``--base-url``; else ``base_url`` in config,
            ``FLOWDSL_ANTHROPIC_BASE_URL``, ``ANTHROPIC_BASE_URL``; else api.anthropic.com.
        api_key: else ``ANTHROPIC_API_KEY``; optional when a base URL is set.
        config: the project configuration (default: :func:`load_config` from the cwd).
        should_continue: budget hook before each re-ask (see :mod:`._openai`).

    Raises:
        BackendConfigError: neither an API key nor a base URL is available.
    """
    config = config if config is not None else load_config()
    url = (base_url or config.base_url or os.environ.get("FLOWDSL_ANTHROPIC_BASE_URL")
           or os.environ.get("ANTHROPIC_BASE_URL") or None)
    key = api_key or os.environ.get("ANTHROPIC_API_KEY")
    if not key and not url:
        raise BackendConfigError(
            "the anthropic backend is not configured. Set ANTHROPIC_API_KEY, or a base URL "
            "for a compatible endpoint (--base-url, base_url in [tool.flowdsl], "
            "FLOWDSL_ANTHROPIC_BASE_URL or ANTHROPIC_BASE_URL), and a model (--model, "
            "model in [tool.flowdsl], or opts.model per agent)."
        )
    return AnthropicBackend(
        api_key=key or _NO_KEY, base_url=url, model=config.resolve_alias(model or config.model),
        config=config, should_continue=should_continue,
    )
