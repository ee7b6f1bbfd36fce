"""Backends for the outcome and exit-code tests (loaded as ``module:factory``).

The prompt decides: ``fail ...`` fails like an HTTP 500, ``config ...`` fails like a bad
key, ``slow ...`` takes 5 s, ``priced ...`` costs $0.01, anything else answers at once with
100 + 20 tokens.
"""

from __future__ import annotations

import anyio

from flowdsl import AgentRequest, AgentResult, Usage
from flowdsl.errors import BackendConfigError, BackendError


class OutcomeBackend:
    def __init__(self) -> None:
        self.calls = 0

    async def run(self, request: AgentRequest) -> AgentResult:
        self.calls += 1
        if request.prompt.startswith("fail"):
            raise BackendError("HTTP 500: the server had an error")
        if request.prompt.startswith("config"):
            raise BackendConfigError("HTTP 401: check the API key, model and base URL")
        if request.prompt.startswith("slow"):
            await anyio.sleep(5)
        if request.prompt.startswith("priced"):
            return AgentResult(output="ok", usage=Usage(input_tokens=100, output_tokens=20,
                                                        cost_usd=0.01))
        return AgentResult(output="ok", usage=Usage(input_tokens=100, output_tokens=20))


def create() -> OutcomeBackend:
    return OutcomeBackend()
