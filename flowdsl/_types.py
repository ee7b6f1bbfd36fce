"""Frozen value types shared by the runtime, the backends, the store and the CLI.

They are plain data (JSON-compatible fields, but for the runtime's ``budget_gate``, which
is never stored); the store's row codec encodes them and a journal row round-trips
exactly.

The ones made for every agent (usage, request, result, record, tool call) are built by
:func:`_fast_frozen_init`'s ``__init__``: the same signature and the same frozen instance,
without the per-field guarded ``object.__setattr__`` of the one ``dataclass`` writes; the
runtime's hot path builds requests and records positionally (``build_agent_request``,
``build_agent_record``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

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


_Frozen = TypeVar("_Frozen")


class _Factory:
    """The default of a field that has a ``default_factory`` (shown as ``dataclass`` does)."""

    def __repr__(self) -> str:
        return "<factory>"


_NO_VALUE: Any = _Factory()


def _fast_frozen_init(cls: type[_Frozen]) -> type[_Frozen]:
    """Give the frozen slots dataclass ``cls`` a faster ``__init__`` of the same signature.

    ``dataclass`` makes a frozen class's ``__init__`` store every field through
    ``object.__setattr__`` (plain assignment is forbidden), a guarded call looked up per
    field: the request, result, usage and record of every agent built that way were
    about an eighth of the runtime's cost per agent. The ``__init__`` made here turns
    the new instance into one of a plain class with the very same slots, assigns the
    fields as ordinary attributes, and turns it back: a ``cls`` instance, frozen from
    then on, equal to what the original made. It is generated from the fields, as
    ``dataclass`` generates its own, so a new field is never forgotten.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if (not all(f.init and f.kw_only for f in fields) or hasattr(cls, "__post_init__")
            or "__slots__" not in cls.__dict__):
        raise TypeError(f"{cls.__name__}: only kw-only slots dataclasses without "
                        "__post_init__ are supported")
    namespace: dict[str, Any] = {"_NO_VALUE": _NO_VALUE}
    params, defaults = [], []
    for f in fields:
        if f.default is not dataclasses.MISSING:
            namespace[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_NO_VALUE")
            defaults.append(f"if {f.name} is _NO_VALUE: {f.name} = _factory_{f.name}()")
        else:
            params.append(f.name)
    swap_out = ["try: _set(self, '__class__', _assignable)",
                "except TypeError: raise RecursionError(_TOO_DEEP) from None"]
    init = _compile_assigning(cls, f"__init__(self, *, {', '.join(params)})",
                              [*defaults, *swap_out], [], namespace)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = cls.__init__.__annotations__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


def _positional_builder(cls: type[_Frozen]) -> Callable[..., _Frozen]:
    """``cls(...)`` taking every field positionally, in field order, none left out: three
    times as fast again as the fast ``__init__`` (no keywords to match, no ``type`` call),
    for the runtime's hot path."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    build: Callable[..., _Frozen] = _compile_assigning(
        cls, f"build_{cls.__name__}({', '.join(names)})", ["self = _assignable()"],
        ["return self"], {})
    return build


def _compile_assigning(cls: type, header: str, before: list[str], after: list[str],
                       namespace: dict[str, Any]) -> Any:
    """The function ``def <header>`` that runs ``before`` (``self`` is then a plain
    object with the slots of ``cls``), assigns every field, makes ``self`` a ``cls``
    and runs ``after``."""
    namespace.update(_set=object.__setattr__, _cls=cls, _assignable=type(
        f"_{cls.__name__}Fields", (), {"__slots__": cls.__dict__["__slots__"]}),
        _TOO_DEEP=f"maximum recursion depth exceeded building {cls.__name__}")
    # A class swap compares the two classes' slot names, a comparison that fails one
    # frame short of the recursion limit (a script may build a request that deep): the
    # TypeError it then raises is the RecursionError the original raises a call deeper.
    swap_in = ["try: self.__class__ = _cls",
               "except TypeError: raise RecursionError(_TOO_DEEP) from None"]
    assign = [f"self.{f.name} = {f.name}" for f in dataclasses.fields(cls)]
    body = "\n    ".join([*before, *assign, *swap_in, *after])
    exec(f"def {header}:\n    {body}", namespace)  # from the class's own fields
    return namespace[header.partition("(")[0]]


@_fast_frozen_init
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


@_fast_frozen_init
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


@_fast_frozen_init
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


@_fast_frozen_init
@dataclass(frozen=True, slots=True, kw_only=True)
class AgentResult:
    """What a backend returns: the final text (or the schema object) and its usage."""

    output: JSONValue
    usage: Usage = field(default_factory=Usage)
    tool_calls: tuple[ToolCall, ...] = ()
    """The tools the agent called, in order (API agents; empty for the CLI backends)."""


@_fast_frozen_init
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
     str | None, str | None, float | None, int | None, BudgetGate | None, str | None],
    AgentRequest] = _positional_builder(AgentRequest)
"""``AgentRequest(...)`` with every field positional, in field order (the hot path's)."""

build_agent_record: Callable[
    [AgentRequest, AgentStatus, JSONValue, Usage, float, str | None, tuple[ToolCall, ...],
     WorktreeResult | None],
    AgentRecord] = _positional_builder(AgentRecord)
"""``AgentRecord(...)`` with every field positional, in field order (the hot path's)."""


def _field_setter(cls: type[_Frozen], build: Callable[..., _Frozen],
                  changed: tuple[str, ...]) -> Callable[..., _Frozen]:
    """``dataclasses.replace(obj, **changed)`` for these fields, positionally: without
    ``replace``'s per-call look at every field (5.2 µs against 0.5 µs here, about a tenth
    of a CLI run's cost per agent when the runtime set each request's workspace).
    Generated from the fields, so a new field is never left behind."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    values = ", ".join(name if name in changed else f"obj.{name}" for name in names)
    namespace: dict[str, Any] = {"_build": build}
    exec(f"def set_{'_'.join(changed)}(obj, {', '.join(changed)}):\n"  # from the fields
         f"    return _build({values})", namespace)
    setter: Callable[..., _Frozen] = namespace[f"set_{'_'.join(changed)}"]
    return setter


request_with_workspace: Callable[[AgentRequest, str | None], AgentRequest] = _field_setter(
    AgentRequest, build_agent_request, ("workspace",))
"""``replace(request, workspace=...)``, fast: the runtime sets it on every request."""

request_with_budget_gate: Callable[[AgentRequest, BudgetGate | None], AgentRequest] = (
    _field_setter(AgentRequest, build_agent_request, ("budget_gate",)))
"""``replace(request, budget_gate=...)``, fast: every agent of a capped run gets one."""
