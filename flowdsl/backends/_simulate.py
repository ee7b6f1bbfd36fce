"""The simulate backend: deterministic, schema-valid outputs with realistic usage.

Dry runs use it to show how many agents a workflow starts and how many tokens it would
spend before any money is spent. Outputs are derived from a hash of the prompt, so the
same workflow always simulates the same way.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from .._types import AgentRequest, AgentResult, Usage

__all__ = ["SimulateBackend", "estimate_tokens", "synthesize"]

_OUTPUT_TOKENS_TEXT = 120
_CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """A provider-neutral token estimate: about four UTF-8 bytes per token."""
    return max(1, math.ceil(len(text.encode("utf-8")) / _CHARS_PER_TOKEN))


def _seed(digest: str, where: str) -> str:
    return hashlib.sha256(f"{digest}|{where}".encode()).hexdigest()


def synthesize(schema: Any, digest: str, where: str = "$") -> Any:
    """A deterministic value that satisfies the common JSON Schema keywords."""
    if not isinstance(schema, dict):
        schema = {}
    seed = _seed(digest, where)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][int(seed[:4], 16) % len(schema["enum"])]
    for combinator in ("anyOf", "oneOf", "allOf"):
        options = schema.get(combinator)
        if isinstance(options, list) and options:
            return synthesize(options[0], digest, where)
    kind = _schema_type(schema)
    if kind == "object":
        props = schema.get("properties") or {}
        return {key: synthesize(sub, digest, f"{where}.{key}") for key, sub in props.items()}
    if kind == "array":
        count = max(2, int(schema.get("minItems", 0)))
        if isinstance(schema.get("maxItems"), int):
            count = min(count, schema["maxItems"])
        items = schema.get("items") or {}
        return [synthesize(items, digest, f"{where}[{i}]") for i in range(count)]
    if kind in ("integer", "number"):
        lo = math.ceil(schema["minimum"]) if isinstance(schema.get("minimum"), int | float) else 0
        has_max = isinstance(schema.get("maximum"), int | float)
        hi = math.floor(schema["maximum"]) if has_max else lo + 9
        return lo + int(seed[:8], 16) % (hi - lo + 1)
    if kind == "boolean":
        return int(seed[0], 16) % 2 == 0
    if kind == "null":
        return None
    name = where.replace("[", ".").replace("]", "").rsplit(".", 1)[-1]
    text = f"{name}-{seed[:6]}"
    min_len = schema.get("minLength")
    if isinstance(min_len, int) and len(text) < min_len:
        text = text.ljust(min_len, "x")
    return text


def _schema_type(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


class SimulateBackend:
    """Returns synthetic results at no cost; usage is estimated from the prompt."""

    def __init__(self, *, output_tokens: int = _OUTPUT_TOKENS_TEXT) -> None:
        self.output_tokens = output_tokens

    async def run(self, request: AgentRequest) -> AgentResult:
        digest = hashlib.sha256(request.prompt.encode("utf-8")).hexdigest()
        if request.schema is not None:
            output: Any = synthesize(request.schema, digest)
            out_tokens = estimate_tokens(str(output))
        else:
            who = request.label or "agent"
            output = f"[simulated {who}] {digest[:12]}"
            out_tokens = self.output_tokens
        usage = Usage(
            input_tokens=estimate_tokens(request.prompt), output_tokens=out_tokens, estimated=True
        )
        return AgentResult(output=output, usage=usage)
