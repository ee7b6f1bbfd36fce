"""What one response cost, when the provider did not say: the user's price, else genai-prices.

Sources, in the order :func:`._common.make_usage` consults them:

1. A cost the provider reported (OpenRouter's ``usage.cost``, Claude Code's
   ``total_cost_usd``) is believed; nothing here is asked.
2. ``[tool.flowdsl.prices]``: the model's exact name (after aliases), USD per million
   input and output tokens (:meth:`flowdsl._config.Config.price`).
3. `genai-prices <https://github.com/pydantic/genai-prices>`_, maintained by pydantic: the
   snapshot bundled with the installed package. It matches dated snapshots
   (``gpt-4.1-mini-2025-04-14``) and provider prefixes (``openai/gpt-4o``), prices cached
   input and long-context tiers, and is told the backend's provider (``openai``,
   ``anthropic``) so a name is looked up where it was sent. Its ``UpdatePrices`` is never
   started: a run's cost never depends on a download made while it runs; a newer
   genai-prices release brings newer prices.
4. Otherwise the price is unknown (None): the caller counts the tokens as
   ``Usage.unpriced_tokens``, never as $0.

Rejected: a hand-copied table matched by name prefix (flowdsl's ``PRICES`` until issue
11). It went stale within months and its prefix rule priced ``o3-mini`` as ``o3``,
``gpt-5-pro`` as ``gpt-5`` and ``claude-opus-4-6`` as ``claude-opus-4`` (2-12x off).

``genai_prices`` is imported on the first lookup, in the process running the backends:
importing flowdsl (and the script's child process) never loads it (0.3 s, 1.5 MB of data).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .._config import Config

__all__ = ["catalog_cost", "known_model", "response_cost"]


def response_cost(
    config: Config,
    model: str | None,
    provider: str | None,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> float | None:
    """USD for one response, or None when ``model`` has no known price.

    Args:
        config: holds the user's price overrides and model aliases.
        model: the model the request named (None: the backend's unnamed default).
        provider: a genai-prices provider id (``openai``, ``anthropic``), None if unknown.
        input_tokens: every input token, the cached ones included.
        output_tokens: output tokens (reasoning included).
        cache_read_tokens: of ``input_tokens``, those read from the provider's cache.
        cache_write_tokens: of ``input_tokens``, those written to it.
    """
    if not model:
        return None
    override = config.price(model)
    if override is not None:
        return override.cost(input_tokens, output_tokens)
    name = config.resolve_alias(model) or model
    return catalog_cost(name, provider, input_tokens=input_tokens, output_tokens=output_tokens,
                        cache_read_tokens=cache_read_tokens,
                        cache_write_tokens=cache_write_tokens)


def catalog_cost(
    model: str,
    provider: str | None,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> float | None:
    """USD by genai-prices' bundled snapshot at today's prices; None: not in it."""
    found = _lookup(model, provider)
    if found is None:
        return None
    from genai_prices import Usage, calc_price

    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens,
                  cache_read_tokens=cache_read_tokens or None,
                  cache_write_tokens=cache_write_tokens or None)
    ref, provider_id = found
    return float(calc_price(usage, ref, provider_id=provider_id).total_price)


def known_model(model: str, provider: str | None) -> bool:
    """Whether genai-prices knows ``model`` (at ``provider``, or anywhere)."""
    return _lookup(model, provider) is not None


@cache
def _lookup(model: str, provider: str | None) -> tuple[str, str | None] | None:
    """The (model ref, provider id) genai-prices knows ``model`` by; cached, misses too.

    The backend's provider first; then any provider whose names match (a Claude model
    behind an OpenAI-compatible proxy); a ``vendor/model`` name (OpenRouter's style) as
    ``model`` at ``vendor``.
    """
    from genai_prices import Usage, calc_price

    candidates: list[tuple[str, str | None]] = [(model, provider), (model, None)]
    vendor, slash, rest = model.partition("/")
    if slash and rest:
        candidates += [(rest, vendor), (rest, None)]
    probe: Any = Usage(input_tokens=0, output_tokens=0)
    for ref, provider_id in dict.fromkeys(candidates):
        try:
            calc_price(probe, ref, provider_id=provider_id)
        except LookupError:
            continue
        return ref, provider_id
    return None
