"""Frozen value types shared by the runtime, the backends, the store and the CLI.

They are plain data (JSON-compatible fields, but for the runtime's ``budget_gate``, which
is never stored); the store's row codec encodes them and a journal row round-trips
exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "OUTCOMES",
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
    "WorktreeResult",
    "outcome_of",
]

JSONValue = Any
"""A value that ``json.dumps`` accepts (dict, list, str, int, float, bool, None)."""

BudgetGate = Callable[["Usage"], bool]
"""Given the usage one agent has spent so far, may it spend more?"""

RunStatus = Literal["completed", "failed", "stopped", "paused", "running", "interrupted"]
AgentStatus = Literal["ok", "failed", "timeout", "replayed", "refused", "cancelled"]
"""How one ``agent()`` call ended: ``ok``; ``failed`` (``timeout`` is a failure by its
per-agent timeout); ``refused`` (never sent: the budget, the agent cap, the failure
policy, the run stopping first); ``cancelled`` (in flight when the run stopped, failed or
timed out); ``replayed`` (from the journal)."""

OUTCOMES = ("ok", "failed", "refused", "cancelled", "replayed")
"""The outcome counts a run reports (``timeout`` counts as ``failed``)."""


def outcome_of(status: str) -> str:
    """The outcome an agent status counts as."""
    return "failed" if status == "timeout" else status


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """Tokens and money one agent (or a whole run) consumed, as the backend reported."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    """The cost of the priced tokens; the whole cost only when :attr:`cost_complete`."""
    estimated: bool = False
    """True when the backend did not report usage and the figures are an estimate."""
    unpriced_tokens: int = 0
    """Tokens of responses whose model has no known price (and no reported cost): their
    cost is unknown, never $0."""

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def cost_complete(self) -> bool:
        """True when every token was priced, so ``cost_usd`` is the whole cost."""
        return self.unpriced_tokens == 0

    def known_cost(self) -> float | None:
        """``cost_usd``, or None when nothing was priced and some tokens were not."""
        if self.unpriced_tokens and self.unpriced_tokens >= self.total_tokens:
            return None
        return self.cost_usd

    def to_json(self) -> dict[str, JSONValue]:
        """The ``usage`` object of every ``--json`` output."""
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cost_usd": self.known_cost(), "cost_complete": self.cost_complete,
                "unpriced_tokens": self.unpriced_tokens}

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            estimated=self.estimated or other.estimated,
            unpriced_tokens=self.unpriced_tokens + other.unpriced_tokens,
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
    workspace: str | None = field(default=None, compare=False)
    """The directory the backend must use as the agent's working directory and tool root:
    the run's project directory, or a fresh git worktree for ``isolation="worktree"``.
    None: the backend's own (its ``cwd``). Set by the runtime; not part of the call's
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
class WorktreeResult:
    """What an ``isolation="worktree"`` agent left behind: its changes, committed on a
    branch of its own (the worktree itself is removed)."""

    branch: str
    commit: str
    """The full hash of the commit holding the agent's changes."""
    files_changed: tuple[str, ...]
    """Paths relative to the repository root, sorted."""
    diffstat: str
    """``git diff --stat``'s summary line: ``2 files changed, 10 insertions(+), 1 deletion(-)``."""

    def to_json(self) -> dict[str, JSONValue]:
        return {"branch": self.branch, "commit": self.commit,
                "files_changed": list(self.files_changed), "diffstat": self.diffstat}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorktreeResult:
        return cls(branch=str(data["branch"]), commit=str(data["commit"]),
                   files_changed=tuple(str(f) for f in data.get("files_changed") or ()),
                   diffstat=str(data.get("diffstat") or ""))


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
    worktree: WorktreeResult | None = None
    """An isolated agent that changed files: the branch its commit is on."""

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
    error_type: str | None = None
    """The class of the error that ended the run (``BackendConfigError``,
    ``FailurePolicyExceeded``, ``QuotaExhausted``, ...); None when it completed or was
    stopped."""
    resets_at: float | None = None
    """A run paused for quota: when the provider said the limit resets (epoch seconds),
    if it said."""

    @property
    def agents_failed(self) -> int:
        """Agents that did not end ok or replayed (failed, refused or cancelled)."""
        return sum(1 for a in self.agents if not a.ok)

    def outcomes(self) -> dict[str, int]:
        """``{total, ok, failed, refused, cancelled, replayed}``."""
        counts = dict.fromkeys(OUTCOMES, 0)
        for record in self.agents:
            counts[outcome_of(record.status)] += 1
        return {"total": len(self.agents), **counts}

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
            "error_type": self.error_type,
            "usage": self.usage.to_json(),
            "agents": self.outcomes(),
            "paused": pause_json(self.resets_at) if self.status == "paused" else None,
        }


def pause_json(resets_at: float | None) -> dict[str, JSONValue]:
    """The ``paused`` object of a run paused for quota: ``{reason, resets_at}`` (ISO 8601
    UTC, null when the provider gave no reset time)."""
    when = None
    if resets_at is not None:
        when = datetime.fromtimestamp(resets_at, UTC).isoformat(timespec="seconds")
    return {"reason": "quota", "resets_at": when}
