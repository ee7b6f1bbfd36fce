"""A backend for the report and cost tests (loaded as ``tests.cli.priced_backend:create``).

It prices each answer the way the API backends do when the provider reports no cost: by
genai-prices (the real price database), as an OpenAI model; a model genai-prices does not
know leaves its tokens unpriced. Tokens grow with the prompt, so sums are not trivial.
The prompt decides the outcome: ``fail ...`` fails like an HTTP 500, ``slow ...`` takes
0.2 s, anything else answers at once.
"""

from __future__ import annotations

import anyio

from flowdsl import AgentRequest, AgentResult, Usage
from flowdsl.backends._prices import catalog_cost
from flowdsl.errors import BackendError

DEFAULT_MODEL = "gpt-4.1-mini"
"""The model of a request that names none."""


def usage_for(request: AgentRequest) -> Usage:
    """What one answer to ``request`` consumed: tokens by prompt length, priced if known."""
    tin, tout = 50 + 3 * len(request.prompt), 10 + len(request.prompt)
    cost = catalog_cost(request.model or DEFAULT_MODEL, "openai", input_tokens=tin,
                        output_tokens=tout)
    if cost is None:
        return Usage(input_tokens=tin, output_tokens=tout, unpriced_tokens=tin + tout)
    return Usage(input_tokens=tin, output_tokens=tout, cost_usd=cost)


class PricedBackend:
    async def run(self, request: AgentRequest) -> AgentResult:
        if request.prompt.startswith("fail"):
            raise BackendError("HTTP 500: the server had an error")
        if request.prompt.startswith("slow"):
            await anyio.sleep(0.2)
        return AgentResult(output=f"done: {request.prompt[:40]}", usage=usage_for(request))


def create() -> PricedBackend:
    return PricedBackend()
