"""The simulate backend: deterministic, schema-valid outputs with realistic usage.

Dry runs use it to show how many agents a workflow starts and how many tokens it would
spend before any money is spent. Outputs are derived from a hash of the prompt, so the
same workflow always simulates the same way (:mod:`._fake_values`).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from .._types import AgentRequest, AgentResult, Usage
from ._fake_values import fake_value

__all__ = ["SimulateBackend", "estimate_tokens"]

_OUTPUT_TOKENS_TEXT = 120
_CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """A provider-neutral token estimate: about four UTF-8 bytes per token."""
    return max(1, math.ceil(len(text.encode("utf-8")) / _CHARS_PER_TOKEN))


class SimulateBackend:
    """Returns synthetic results at no cost; usage is estimated from the prompt."""

    opens_no_scope_before_waiting = True  # it never waits (see AgentBackend)

    def __init__(self, *, output_tokens: int = _OUTPUT_TOKENS_TEXT) -> None:
        self.output_tokens = output_tokens

    async def run(self, request: AgentRequest) -> AgentResult:
        """A fake output for ``request``.

        Raises:
            BackendError: the schema asks for more than a fake value may hold (a huge
                ``minItems`` or ``minLength``, too deep; :func:`._fake_values.fake_value`).
        """
        digest = hashlib.sha256(request.prompt.encode("utf-8")).hexdigest()
        if request.schema is not None:
            output: Any = fake_value(request.schema, digest)
            out_tokens = estimate_tokens(str(output))
        else:
            who = request.label or "agent"
            output = f"[simulated {who}] {digest[:12]}"
            out_tokens = self.output_tokens
        usage = Usage(
            input_tokens=estimate_tokens(request.prompt), output_tokens=out_tokens, estimated=True
        )
        return AgentResult(output=output, usage=usage)
