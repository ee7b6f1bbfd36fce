"""The row codec: what the store's rows hold, and their encoding to and from the database.

The dataclasses here are what :class:`~flowdsl._store.Store` returns (a run, a journal
entry, an event); the functions turn an :class:`~flowdsl._types.AgentRecord` into the
parameters of :data:`INSERT_JOURNAL` and a selected row back into values. The SQL that
reads or writes these columns is written once, here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .._usage import Usage

# The value types load with the journal's codec, not with a run row: ``runs list`` reads
# runs only.
if TYPE_CHECKING:
    from .._types import AgentRecord, AgentRequest, JSONValue, RunStatus

__all__ = [
    "INSERT_EVENT",
    "INSERT_JOURNAL",
    "LIVE_STATUSES",
    "RECORD_COLUMNS",
    "RUNNING_SHOWN",
    "RUN_COLUMNS",
    "SELECT_TOTALS",
    "TERMINAL_STATUSES",
    "EventRow",
    "JournalEntry",
    "JournalTotals",
    "RunInfo",
    "StoredEventKind",
    "decode_record",
    "decode_run",
    "decode_totals",
    "encode_json",
    "encode_request",
    "journal_params",
]

LIVE_STATUSES = ("running", "paused")
TERMINAL_STATUSES = ("completed", "failed", "stopped")
StoredEventKind = Literal["phase", "log", "agent", "status"]
"""The kinds of stored events (``events.kind``)."""

INSERT_JOURNAL = (
    "INSERT INTO journal (run_id, key, status, prompt, request, output, "
    "output_json, input_tokens, output_tokens, cost_usd, estimated, duration, error, "
    "tool_calls, recorded_at, unpriced_tokens, worktree) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EVENT = "INSERT INTO events (run_id, at, kind, text) VALUES (?, ?, ?, ?)"
RECORD_COLUMNS = ("status, prompt, request, output, output_json, input_tokens, output_tokens, "
                  "cost_usd, estimated, duration, error, tool_calls, unpriced_tokens, worktree")
RUN_COLUMNS = (
    "id, name, status, script_path, script_text, args, options, background, pid, pid_start, "
    "boot_id, host, heartbeat, workers, result, error, agents_done, agents_failed, "
    "input_tokens, output_tokens, cost_usd, unpriced_tokens, created_at, updated_at, "
    "finished_at, resets_at, running"
)
RUNNING_SHOWN = 100
"""How many running agents' labels a run's row keeps (the count is exact elsewhere)."""
SELECT_TOTALS = (
    "SELECT count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status != 'ok'), "
    "coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), "
    "coalesce(sum(cost_usd), 0), coalesce(max(estimated), 0), "
    "coalesce(sum(unpriced_tokens), 0) FROM journal WHERE run_id = ?"
)
"""A run's journal totals, the row :func:`decode_totals` reads."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInfo:
    """One run as the store knows it; ``status`` is derived (a dead worker: interrupted)."""

    id: str
    name: str
    status: RunStatus
    script_path: str
    script_text: str = field(repr=False)
    args: JSONValue
    options: dict[str, JSONValue]
    background: bool
    pid: int | None
    heartbeat: float | None
    workers: int
    result: JSONValue
    error: str | None
    agents_done: int
    agents_failed: int
    usage: Usage
    created_at: float
    updated_at: float
    finished_at: float | None
    resets_at: float | None = None
    """A run paused for quota: the provider's reset time, if it gave one."""
    host: str | None = None
    """The host name of the machine its worker runs on (None: never claimed)."""
    running_since: tuple[tuple[str, float | None], ...] = ()
    """The agents running now, as ``(label, started at)`` in start order (as of the
    supervisor's last write; at most :data:`RUNNING_SHOWN`); empty once the run is not
    live. The start is epoch seconds, None in rows written before it was kept."""

    @property
    def running(self) -> tuple[str, ...]:
        """The labels of the agents running now, in start order."""
        return tuple(label for label, _ in self.running_since)

    @property
    def live(self) -> bool:
        """A worker is executing it (running or paused); a run paused for quota has
        finished executing (``finished_at`` is set) and waits for ``runs resume``."""
        return self.status in LIVE_STATUSES and self.finished_at is None

    @property
    def paused_for_quota(self) -> bool:
        return self.status == "paused" and self.finished_at is not None

    def to_json(self) -> dict[str, JSONValue]:
        """The ``--json`` object of ``runs status``."""
        from .._types import pause_json  # here: a run row alone loads no value types

        return {
            "run_id": self.id,
            "name": self.name,
            "status": self.status,
            "pid": self.pid if self.live else None,
            "background": self.background,
            "script_path": self.script_path,
            "args": self.args,
            "agents": {"done": self.agents_done, "failed": self.agents_failed,
                       "total": self.agents_done + self.agents_failed},
            "usage": self.usage.to_json(),
            "error": self.error,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "finished_at": self.finished_at,
            "heartbeat": self.heartbeat,
            "workers": self.workers,
            "paused": pause_json(self.resets_at) if self.paused_for_quota else None,
            "running": list(self.running),
            "running_since": [since for _, since in self.running_since],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntry:
    """One journal row: the call key and the finished agent's record."""

    key: str
    record: AgentRecord
    recorded_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRow:
    """One stored event: a phase, a log line, a failed agent, or a status change."""

    id: int
    at: float
    kind: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalTotals:
    """What a run's journal adds up to: agents done and failed, and their usage."""

    done: int
    failed: int
    usage: Usage


encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
"""One reusable encoder (``json.dumps`` with options builds a new one per call). A value
JSON cannot hold (a backend returning a set) is journaled as its ``str``."""


_REQUEST_TEXTS: dict[tuple[Any, ...], str] = {}
"""``encode_request`` of recent requests without a schema, by their fields: the agents
of a fan-out differ by their prompt only, so their other fields encode once."""
_REQUEST_TEXTS_KEPT = 1024


def encode_request(request: AgentRequest) -> str:
    """The request's fields other than the prompt, as JSON (None fields left out)."""
    schema = request.schema
    shape: tuple[Any, ...] | None = None
    if schema is None:  # a dict is not hashable; requests with a schema encode each time
        timeout, max_turns = request.timeout, request.max_turns
        shape = (request.label, request.phase, request.model, request.effort,
                 request.agent_type, request.isolation, timeout, type(timeout), max_turns,
                 type(max_turns))  # the types: 1 == 1.0 == True, but their JSON differs
        try:
            text = _REQUEST_TEXTS.get(shape)
        except TypeError:  # a field of an unhashable type (not from the runtime)
            shape = text = None
        if text is not None:
            return text
    fields = {
        "label": request.label, "phase": request.phase, "model": request.model,
        "schema": schema, "effort": request.effort, "agent_type": request.agent_type,
        "isolation": request.isolation, "timeout": request.timeout,
        "max_turns": request.max_turns,
    }
    text = encode_json({k: v for k, v in fields.items() if v is not None})
    if shape is not None:
        if len(_REQUEST_TEXTS) >= _REQUEST_TEXTS_KEPT:
            _REQUEST_TEXTS.clear()
        _REQUEST_TEXTS[shape] = text
    return text


def journal_params(run_id: str, key: str, record: AgentRecord,
                   recorded_at: float | None = None) -> tuple[Any, ...]:
    """The :data:`INSERT_JOURNAL` parameters for one finished agent.

    Text is the common output and the prompt is the largest field: both are stored as
    plain text (no JSON escaping, the hot path's main CPU cost); other outputs as JSON.
    ``recorded_at`` (default: now) is the commit's time, shared by the rows of a batch.
    """
    usage = record.usage
    output = record.output
    is_text = isinstance(output, str)
    return (
        run_id, key, record.status, record.request.prompt, encode_request(record.request),
        output if is_text else encode_json(output), 0 if is_text else 1,
        usage.input_tokens, usage.output_tokens, usage.cost_usd, int(usage.estimated),
        record.duration, record.error,
        encode_json([c.to_json() for c in record.tool_calls]) if record.tool_calls else None,
        time.time() if recorded_at is None else recorded_at, usage.unpriced_tokens,
        encode_json(record.worktree.to_json()) if record.worktree is not None else None,
    )


def decode_record(row: Sequence[Any]) -> AgentRecord:
    """The agent record of a row selected as :data:`RECORD_COLUMNS`."""
    from .._types import AgentRecord, AgentRequest, ToolCall, WorktreeResult

    (status, prompt, request, output, output_json, tin, tout, cost, est, duration, error,
     tools, unpriced, worktree) = row
    return AgentRecord(
        request=AgentRequest.from_dict({**json.loads(request), "prompt": prompt}),
        status=status,
        output=json.loads(output) if output_json else output,
        usage=Usage(input_tokens=tin, output_tokens=tout, cost_usd=cost, estimated=bool(est),
                    unpriced_tokens=unpriced),
        duration=duration,
        error=error,
        tool_calls=tuple(ToolCall.from_json(c) for c in json.loads(tools)) if tools else (),
        worktree=WorktreeResult.from_json(json.loads(worktree)) if worktree else None,
    )


def decode_totals(row: Sequence[Any]) -> JournalTotals:
    """The totals of a :data:`SELECT_TOTALS` row."""
    done, failed, tin, tout, cost, est, unpriced = row
    return JournalTotals(done=done, failed=failed, usage=Usage(
        input_tokens=tin, output_tokens=tout, cost_usd=cost, estimated=bool(est),
        unpriced_tokens=unpriced))


def decode_run(row: Sequence[Any], *, status: RunStatus,
               totals: JournalTotals | None) -> RunInfo:
    """The run of a row selected as :data:`RUN_COLUMNS`.

    Args:
        row: the selected row.
        status: the run's status as derived from its worker's liveness.
        totals: the journal's totals of a run not finished yet; None for a finished run,
            whose row stores its totals.
    """
    (run_id, name, _, script_path, script_text, args, options, background, pid,
     _pid_start, _boot, host, heartbeat, workers, result, error, done, failed,
     tin, tout, cost, unpriced, created, updated, finished, resets_at, running) = row
    if totals is None:
        totals = JournalTotals(done=done, failed=failed, usage=Usage(
            input_tokens=tin, output_tokens=tout, cost_usd=cost, unpriced_tokens=unpriced))
    return RunInfo(
        id=run_id, name=name, status=status, script_path=script_path,
        script_text=script_text, args=json.loads(args), options=json.loads(options),
        background=bool(background), pid=pid, heartbeat=heartbeat, workers=workers,
        result=json.loads(result) if result is not None else None, error=error,
        agents_done=totals.done, agents_failed=totals.failed, usage=totals.usage,
        created_at=created, updated_at=updated, finished_at=finished, resets_at=resets_at,
        host=host,
        running_since=_running_agents(running) if running and status in LIVE_STATUSES else (),
    )


def _running_agents(text: str) -> tuple[tuple[str, float | None], ...]:
    """``runs.running``: ``[[label, started at], ...]``; plain labels in rows of before."""
    return tuple((str(item[0]), float(item[1])) if isinstance(item, list) else (str(item), None)
                 for item in json.loads(text))
