"""Frozen value types shared by the runtime, the backends, the store and the CLI.

They are plain data (JSON-compatible fields, but for the runtime's ``budget_gate``, which
is never stored); the store's row codec encodes them and a journal row round-trips
exactly.

The ones made for every agent (usage, request, result, record, tool call) are built by
:func:`._frozen.fast_frozen_init`'s ``__init__``: the same signature and the same frozen instance,
without the per-field guarded ``object.__setattr__`` of the one ``dataclass`` writes; the
runtime's hot path builds requests and records positionally (``build_agent_request``,
``build_agent_record``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from ._frozen import fast_frozen_init, field_setter, positional_builder
from ._usage import Usage

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
    "build_agent_record",
    "build_agent_request",
    "outcome_of",
    "request_with_budget_gate",
    "request_with_call_key",
    "request_with_workspace",
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


@fast_frozen_init
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
    call_key: str | None = field(default=None, compare=False)
    """The journal's content key of this call (``<hash>:<occurrence>``), for a backend
    that names its work by it (``needs_call_key``: the distributed queue). Set by the
    runtime on journaled runs; not part of the call's identity and never stored."""

    @classmethod
    def from_dict(cls, data: dict[str, JSONValue]) -> AgentRequest:
        """The request of a stored journal row (the store's codec)."""
        return cls(prompt=str(data["prompt"]),
                   **{k: data[k] for k in _REQUEST_FIELDS[1:] if k in data})

    def key_material(self) -> str:
        """Canonical text of the fields that identify a call (timeout excluded).

        The agents of a fan-out differ by their prompt only: without a schema, the text
        after the prompt is encoded once per combination of the other fields, and the
        prompt is encoded as the whole list's encoder encodes it (the same text)."""
        if self.schema is None:
            shape = (self.label, self.phase, self.model, self.effort, self.agent_type,
                     self.isolation)
            rest = _KEY_RESTS.get(shape)
            if rest is None:
                if len(_KEY_RESTS) >= _KEY_RESTS_KEPT:
                    _KEY_RESTS.clear()
                rest = _KEY_RESTS[shape] = _encode_key_material(
                    ["", *shape[:3], None, *shape[3:]])[4:]  # after '["",'
            return f'[{_encode_key_string(self.prompt)},{rest}'
        return _encode_key_material(
            [self.prompt, self.label, self.phase, self.model, self.schema,
             self.effort, self.agent_type, self.isolation])


_encode_key_material = json.JSONEncoder(sort_keys=True, separators=(",", ":"),
                                        ensure_ascii=False).encode
"""``json.dumps`` with these options, its encoder built once (not per call): the text,
and so every journal key, is the same."""
_encode_key_string = json.encoder.encode_basestring
"""How that encoder encodes a string (``ensure_ascii=False``)."""
_KEY_RESTS: dict[tuple[str | None, ...], str] = {}
"""The key material after the prompt, by the other fields of requests without a schema."""
_KEY_RESTS_KEPT = 1024


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


@fast_frozen_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """One tool call an agent made: what it asked for and how it went."""

    name: str
    arguments: JSONValue = None
    result_chars: int = 0
    """Length of the result the model read (0 when the call failed)."""
    error: str | None = None
    """The refusal or failure the model read instead of a result."""
    started: float | None = field(default=None, compare=False)
    """Seconds after the agent started that the tool began; None when not measured (the
    CLI backends, arguments refused before any tool ran). Timing is not part of what a
    call was: equal calls compare equal however long they took."""
    duration: float | None = field(default=None, compare=False)
    """Seconds the tool ran; None when not measured."""

    def to_json(self) -> dict[str, JSONValue]:
        data: dict[str, JSONValue] = {"name": self.name, "arguments": self.arguments,
                                      "result_chars": self.result_chars, "error": self.error}
        if self.started is not None:  # rows without timing stay as they were
            data["started"] = self.started
        if self.duration is not None:
            data["duration"] = self.duration
        return data

    @classmethod
    def from_json(cls, data: dict[str, JSONValue]) -> ToolCall:
        started, duration = data.get("started"), data.get("duration")
        return cls(name=str(data["name"]), arguments=data.get("arguments"),
                   result_chars=int(data.get("result_chars") or 0),
                   error=None if data.get("error") is None else str(data["error"]),
                   started=float(started) if isinstance(started, int | float) else None,
                   duration=float(duration) if isinstance(duration, int | float) else None)


@fast_frozen_init
@dataclass(frozen=True, slots=True, kw_only=True)
class AgentResult:
    """What a backend returns: the final text (or the schema object) and its usage."""

    output: JSONValue
    usage: Usage = field(default_factory=Usage)
    tool_calls: tuple[ToolCall, ...] = ()
    """The tools the agent called, in order (API agents; empty for the CLI backends)."""


@fast_frozen_init
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


build_agent_request: Callable[
    [str, str | None, str | None, str | None, dict[str, JSONValue] | None, str | None,
     str | None, str | None, float | None, int | None, BudgetGate | None, str | None,
     str | None],
    AgentRequest] = positional_builder(AgentRequest)
"""``AgentRequest(...)`` with every field positional, in field order (the hot path's)."""

build_agent_record: Callable[
    [AgentRequest, AgentStatus, JSONValue, Usage, float, str | None, tuple[ToolCall, ...],
     WorktreeResult | None],
    AgentRecord] = positional_builder(AgentRecord)
"""``AgentRecord(...)`` with every field positional, in field order (the hot path's)."""


request_with_workspace: Callable[[AgentRequest, str | None], AgentRequest] = field_setter(
    AgentRequest, build_agent_request, ("workspace",))
"""``replace(request, workspace=...)``, fast: the runtime sets it on every request."""

request_with_budget_gate: Callable[[AgentRequest, BudgetGate | None], AgentRequest] = (
    field_setter(AgentRequest, build_agent_request, ("budget_gate",)))
"""``replace(request, budget_gate=...)``, fast: every agent of a capped run gets one."""

request_with_call_key: Callable[[AgentRequest, str | None], AgentRequest] = field_setter(
    AgentRequest, build_agent_request, ("call_key",))
"""``replace(request, call_key=...)``, fast: every journaled agent of a backend that asks."""
