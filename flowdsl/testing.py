"""Fakes for testing workflows and backends without a model.

- :class:`FunctionBackend` wraps a plain function (sync or async) as a backend.
- :class:`OracleBackend` is the exact port of ``js-oracle``'s deterministic fake agent,
  so flowdsl's traces can be compared with real JavaScript's.
- :class:`SleepBackend` injects latency (and optional jitter) for benchmarks and timeout tests.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import random
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from ._types import AgentRequest, AgentResult, Usage

__all__ = ["FunctionBackend", "OracleBackend", "SleepBackend", "oracle_value"]


class FunctionBackend:
    """A backend that calls ``fn(request)``; fn may be sync or async.

    ``fn`` returns the output (usage is then zero) or a full :class:`AgentResult`.
    Every request is appended to :attr:`requests`, so tests can assert what ran.
    """

    def __init__(self, fn: Callable[[AgentRequest], Any | Awaitable[Any]]) -> None:
        self.fn = fn
        self.requests: list[AgentRequest] = []

    async def run(self, request: AgentRequest) -> AgentResult:
        self.requests.append(request)
        out = self.fn(request)
        if inspect.isawaitable(out):
            out = await out
        if isinstance(out, AgentResult):
            return out
        return AgentResult(output=out)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def oracle_value(schema: Any, seed_text: str, where: str) -> Any:
    """``fakeValue`` of ``js-oracle/oracle.mjs``, ported exactly."""
    seed = _sha256(f"{seed_text}|{where}")
    schema = schema if isinstance(schema, dict) else None
    if schema is not None and "const" in schema:
        return schema["const"]
    if schema is not None and isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][int(seed[0:4], 16) % len(schema["enum"])]
    kind = schema.get("type") if schema is not None else None
    if isinstance(kind, list):
        kind = next((t for t in kind if t != "null"), "null")
    if not kind:
        kind = "object" if schema and schema.get("properties") else (
            "array" if schema and schema.get("items") else "string")
    if kind == "object":
        props = (schema or {}).get("properties") or {}
        return {k: oracle_value(v, seed_text, f"{where}.{k}") for k, v in props.items()}
    if kind == "array":
        assert schema is not None
        count = 2
        if _is_number(schema.get("minItems")):
            count = max(count, schema["minItems"])
        if _is_number(schema.get("maxItems")):
            count = min(count, schema["maxItems"])
        items = schema.get("items") or {}
        return [oracle_value(items, seed_text, f"{where}[{i}]") for i in range(int(count))]
    if kind in ("integer", "number"):
        assert schema is not None
        lo = math.ceil(schema["minimum"]) if _is_number(schema.get("minimum")) else 0
        hi = math.floor(schema["maximum"]) if _is_number(schema.get("maximum")) else lo + 9
        return lo + int(seed[0:8], 16) % (hi - lo + 1)
    if kind == "boolean":
        return int(seed[0:1], 16) % 2 == 0
    if kind == "null":
        return None
    parts = [p for p in where.replace("[", ".").split(".") if p]
    name = parts[-1].removesuffix("]")
    return f"{name}-{seed[:6]}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class OracleBackend:
    """The js-oracle fake agent: output from sha256(prompt), usage ceil(bytes/4) + 50."""

    def __init__(self) -> None:
        self.requests: list[AgentRequest] = []

    async def run(self, request: AgentRequest) -> AgentResult:
        self.requests.append(request)
        digest = _sha256(request.prompt)
        if request.schema:
            output: Any = oracle_value(request.schema, digest, "$")
        else:
            output = "agent:" + digest[:12]
        tokens_in = math.ceil(len(request.prompt.encode("utf-8")) / 4)
        return AgentResult(output=output, usage=Usage(input_tokens=tokens_in, output_tokens=50))


class SleepBackend:
    """Sleeps ``latency`` seconds (± ``jitter``, seeded) then answers; counts calls."""

    def __init__(
        self,
        latency: float = 0.0,
        *,
        jitter: float = 0.0,
        seed: int = 0,
        usage: Usage | None = None,
    ) -> None:
        self.latency = latency
        self.jitter = jitter
        self._rng = random.Random(seed)
        self.usage = usage or Usage(input_tokens=10, output_tokens=10)
        self.calls = 0
        self.in_flight = 0
        self.peak_in_flight = 0

    async def run(self, request: AgentRequest) -> AgentResult:
        self.calls += 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            delay = self.latency
            if self.jitter:
                delay = max(0.0, delay + self._rng.uniform(-self.jitter, self.jitter))
            await anyio.sleep(delay)
        finally:
            self.in_flight -= 1
        return AgentResult(output=f"done: {request.label or request.prompt[:40]}", usage=self.usage)
