"""What every real backend shares: retries, usage and cost, schema validation.

- :class:`RetryPolicy` / :func:`with_retries`: bounded exponential backoff with jitter for
  429/5xx/connection errors, honouring ``retry-after``; the SDKs' own retries are switched
  off so one policy (and one count, asserted by the tests) holds for every provider.
- :func:`make_usage`: reported tokens are believed; a reported cost is believed; otherwise
  :mod:`._prices` gives ``cost_usd``, and the tokens of a model it has no price for are
  ``unpriced_tokens`` (unknown, never $0); a response without usage gets an *estimated*
  usage.
- :func:`validator_for`: one cached Draft 2020-12 validator per schema; jsonschema is the
  only judge of structured output.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio

from .._config import Config
from .._json_schema import output_errors, schema_validator
from .._json_schema import schema_key as schema_key
from .._types import JSONValue, Usage
from ._errors import is_retryable, retry_after
from ._prices import response_cost
from ._simulate import estimate_tokens

__all__ = [
    "RetryPolicy",
    "make_usage",
    "schema_errors",
    "validator_for",
    "with_retries",
]

T = TypeVar("T")

logger = logging.getLogger("flowdsl.backends")
_UNPRICED: set[str] = set()

@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Bounded exponential backoff: ``base * 2**n`` (±25 % jitter) capped at ``max_delay``."""

    retries: int = 4
    base: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 60.0
    """A ``retry-after`` above this is not waited for: the error is raised at once."""

    def delay(self, attempt: int, hinted: float | None) -> float:
        if hinted is not None:
            return hinted
        raw: float = min(self.max_delay, self.base * 2**attempt)
        return raw * random.uniform(0.75, 1.25)  # jitter, not security

    @classmethod
    def from_config(cls, config: Config) -> RetryPolicy:
        return cls(retries=config.retries, base=config.backoff)


async def with_retries(call: Callable[[], Awaitable[T]], policy: RetryPolicy) -> T:
    """Await ``call()``; on a retryable failure wait and try again, at most ``retries`` times."""
    attempt = 0
    while True:
        try:
            return await call()
        except Exception as exc:
            hinted = retry_after(exc)
            if attempt >= policy.retries or not is_retryable(exc):
                raise
            if hinted is not None and hinted > policy.max_retry_after:
                raise
            await anyio.sleep(policy.delay(attempt, hinted))
            attempt += 1


def make_usage(
    config: Config,
    model: str | None,
    input_tokens: int | None,
    output_tokens: int | None,
    *,
    provider: str | None = None,
    reported_cost: float | None = None,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    prompt_text: str = "",
    output_text: str = "",
) -> Usage:
    """Usage for one response; estimated (and flagged) when the provider reported none.

    Args:
        config: the price overrides and aliases.
        model: the model the response came from (None: the backend's unnamed default).
        input_tokens: reported input tokens, cached ones included (None: not reported).
        output_tokens: reported output tokens (None: not reported).
        provider: the genai-prices provider id of the backend (``openai``, ``anthropic``).
        reported_cost: USD the provider reported for the response; believed as is.
        cache_read_tokens: of the input tokens, those read from the provider's cache.
        cache_write_tokens: of the input tokens, those written to it.
        prompt_text: what was sent, to estimate the input when none was reported.
        output_text: what came back, to estimate the output when none was reported.
    """
    estimated = input_tokens is None or output_tokens is None
    inp = input_tokens if input_tokens is not None else estimate_tokens(prompt_text)
    out = output_tokens if output_tokens is not None else estimate_tokens(output_text)
    if reported_cost is not None:
        cost: float | None = float(reported_cost)
    else:
        cost = response_cost(config, model, provider, input_tokens=inp, output_tokens=out,
                             cache_read_tokens=cache_read_tokens if not estimated else 0,
                             cache_write_tokens=cache_write_tokens if not estimated else 0)
    if cost is None and inp + out:
        _warn_unpriced(model)
        return Usage(input_tokens=inp, output_tokens=out, estimated=estimated,
                     unpriced_tokens=inp + out)
    return Usage(input_tokens=inp, output_tokens=out, cost_usd=cost or 0.0, estimated=estimated)


def _warn_unpriced(model: str | None) -> None:
    name = model or "(the backend's default)"
    if name in _UNPRICED:
        return
    _UNPRICED.add(name)
    logger.warning("no price for model %r: its cost is unknown (shown as such, never $0); "
                   "add it under [tool.flowdsl.prices] (USD per million input/output tokens)",
                   name)


# -- schemas ----------------------------------------------------------------------------------
def validator_for(schema: dict[str, JSONValue]) -> Any:
    """The runtime's cached validator (:mod:`flowdsl._schema`); SchemaError for a bad one."""
    return schema_validator(schema)


def schema_errors(schema: dict[str, JSONValue], value: JSONValue, limit: int = 8) -> list[str]:
    """Readable validation errors (``$.path: message``), at most ``limit``; [] when valid.

    Capped like the runtime's own check (size, depth, steps) and never raises for the
    output: these lines go back to the model as a re-ask.
    """
    return output_errors(validator_for(schema), value, limit=limit)
