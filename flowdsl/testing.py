"""Fakes for testing workflows and backends without a model.

- :class:`FunctionBackend` wraps a plain function (sync or async) as a backend.
- :class:`OracleBackend` is the exact port of ``js-oracle``'s deterministic fake agent,
  so flowdsl's traces can be compared with real JavaScript's.
- :class:`SleepBackend` injects latency (and optional jitter) for benchmarks and timeout tests.
- :class:`TurnsBackend` plays a tool-using agent: several model turns, each reported to
  the run's budget as it happens, with a recorded tool call per turn.
- :func:`postgres_cluster` starts a throwaway PostgreSQL cluster on 127.0.0.1 (for a
  PostgreSQL store or distributed runs under test).
"""

from __future__ import annotations

import hashlib
import inspect
import math
import random
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from ._postgres_cluster import PostgresCluster, postgres_cluster
from ._types import AgentRequest, AgentResult, ToolCall, Usage
from .backends._fake_values import fake_value
from .errors import BackendError

__all__ = ["FunctionBackend", "OracleBackend", "PostgresCluster", "SleepBackend", "TurnsBackend",
           "oracle_value", "postgres_cluster"]


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
    """``fakeValue`` of ``js-oracle/oracle.mjs``, exactly (:mod:`.backends._fake_values`)."""
    return fake_value(schema, seed_text, where, oracle=True)


class OracleBackend:
    """The js-oracle fake agent: output from sha256(prompt), usage ceil(bytes/4) + 50."""

    opens_no_scope_before_waiting = True  # it never waits (see AgentBackend)

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


class TurnsBackend:
    """An agent of ``turns`` model turns, each costing ``per_turn`` and calling one tool.

    After every turn it reports its usage so far to ``request.budget_gate`` (as the API
    agents do) and stops - a failed agent carrying that usage - when the gate says no.
    ``request.max_turns`` below ``turns`` stops it the same way. :attr:`turns_taken`
    counts every turn of every agent.
    """

    def __init__(self, turns: int = 3, *, per_turn: Usage | None = None,
                 delay: float = 0.0) -> None:
        self.turns = turns
        self.per_turn = per_turn or Usage(input_tokens=100, output_tokens=20)
        self.delay = delay
        self.turns_taken = 0

    async def run(self, request: AgentRequest) -> AgentResult:
        used = Usage()
        calls: list[ToolCall] = []
        for turn in range(1, self.turns + 1):
            if request.max_turns is not None and turn > request.max_turns:
                raise BackendError(f"stopped at max_turns={request.max_turns} without a "
                                   "final answer", usage=used, tool_calls=tuple(calls))
            await anyio.sleep(self.delay)
            self.turns_taken += 1
            used = used + self.per_turn
            if turn < self.turns:
                calls.append(ToolCall(name="read", arguments={"path": f"file{turn}.txt"},
                                      result_chars=42))
            may_go_on = request.budget_gate is None or request.budget_gate(used)
            if not may_go_on and turn < self.turns:  # the last turn's answer is paid for
                raise BackendError(f"stopped: the run's token budget was reached after "
                                   f"{turn} model turn(s)", usage=used, tool_calls=tuple(calls))
        return AgentResult(output=f"done in {self.turns} turns", usage=used,
                           tool_calls=tuple(calls))
