"""Frozen value types shared by the runtime, the backends, the store and the CLI.

They are plain data (JSON-compatible fields, but for the runtime's ``budget_gate``, which
is never stored); the store's row codec encodes them and a journal row round-trips
exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "AgentRecord",
    "AgentRequest",
    "AgentResult",
    "AgentStatus",
    "BudgetGate",
    "JSONValue",
    "RunResult",
    "RunStatus",
    "ToolCall",
    "Usage",
]

JSONValue = Any
"""A value that ``json.dumps`` accepts (dict, list, str, int, float, bool, None)."""

BudgetGate = Callable[["Usage"], bool]
"""Given the usage one agent has spent so far, may it spend more?"""

RunStatus = Literal["completed", "failed", "stopped", "paused", "running", "interrupted"]
AgentStatus = Literal["ok", "failed", "timeout", "replayed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """Tokens and money one agent (or a whole run) consumed, as the backend reported."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    estimated: bool = False
    """True when the backend did not report usage and the figures are an estimate."""

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            estimated=self.estimated or other.estimated,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRequest:
    """Everything a backend needs to run one subagent; also the journal's resume key."""

    prompt: str
    label: str | None = None
    phase: str | None = None
    model: str | None = None
    schema: dict[str, JSONValue] | None = None
    effort: str | None = None
    agent_type: str | None = None
    isolation: str | None = None
    timeout: float | None = None
    max_turns: int | None = None
    """Model turns a tool-using agent may take (None: the configured default). A limit,
    like ``timeout``: not part of the call's identity."""
    budget_gate: BudgetGate | None = field(default=None, compare=False, repr=False)
    """Set by the runtime when the run has a budget: given the usage this agent has spent
    so far, may it spend more (one more schema re-ask, one more model turn)? Backends call
    it after every response with the agent's cumulative usage; the run counts that usage
    against its budget at once, so every other agent sees it. Not part of the call's
    identity and never stored."""

    @classmethod
    def from_dict(cls, data: dict[str, JSONValue]) -> AgentRequest:
        """The request of a stored journal row (the store's codec)."""
        return cls(prompt=str(data["prompt"]),
                   **{k: data[k] for k in _REQUEST_FIELDS[1:] if k in data})

    def key_material(self) -> str:
        """Canonical text of the fields that identify a call (timeout excluded)."""
        return json.dumps(
            [self.prompt, self.label, self.phase, self.model, self.schema,
             self.effort, self.agent_type, self.isolation],
            sort_keys=True, separators=(",", ":"), ensure_ascii=False,
        )


_REQUEST_FIELDS = (
    "prompt", "label", "phase", "model", "schema", "effort", "agent_type", "isolation", "timeout",
    "max_turns",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """One tool call an agent made: what it asked for and how it went."""

    name: str
    arguments: JSONValue = None
    result_chars: int = 0
    """Length of the result the model read (0 when the call failed)."""
    error: str | None = None
    """The refusal or failure the model read instead of a result."""

    def to_json(self) -> dict[str, JSONValue]:
        return {"name": self.name, "arguments": self.arguments,
                "result_chars": self.result_chars, "error": self.error}

    @classmethod
    def from_json(cls, data: dict[str, JSONValue]) -> ToolCall:
        return cls(name=str(data["name"]), arguments=data.get("arguments"),
                   result_chars=int(data.get("result_chars") or 0),
                   error=None if data.get("error") is None else str(data["error"]))


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentResult:
    """What a backend returns: the final text (or the schema object) and its usage."""

    output: JSONValue
    usage: Usage = field(default_factory=Usage)
    tool_calls: tuple[ToolCall, ...] = ()
    """The tools the agent called, in order (API agents; empty for the CLI backends)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRecord:
    """One agent call as the run saw it: request, outcome, usage and wall time."""

    request: AgentRequest
    status: AgentStatus
    output: JSONValue = None
    usage: Usage = field(default_factory=Usage)
    duration: float = 0.0
    error: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "replayed")


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """The outcome of one run. ``status`` is never "completed" when the script raised."""

    status: RunStatus
    value: JSONValue = None
    error: str | None = None
    logs: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    agents: tuple[AgentRecord, ...] = ()
    usage: Usage = field(default_factory=Usage)
    duration: float = 0.0
    run_id: str | None = None

    @property
    def agents_failed(self) -> int:
        return sum(1 for a in self.agents if not a.ok)

    def __repr__(self) -> str:
        # Compact: asyncio formats task results with repr, and runs hold 1000s of records.
        return (f"RunResult(status={self.status!r}, value={self.value!r:.80}, "
                f"error={self.error!r}, agents={len(self.agents)}, "
                f"tokens={self.usage.total_tokens})")

    def to_json(self) -> dict[str, JSONValue]:
        """The CLI's ``--json`` object."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "result": self.value,
            "error": self.error,
            "usage": {
                "input_tokens": self.usage.input_tokens,
                "output_tokens": self.usage.output_tokens,
                "cost_usd": self.usage.cost_usd,
            },
            "agents": {"total": len(self.agents), "failed": self.agents_failed},
        }
