"""What ``flowdsl runs report`` shows, read from the store into frozen data.

One pass over a run's journal and events: a bar per journaled agent (its start is its
row's ``recorded_at`` minus its duration: rows are written when agents finish), packed
into lanes per phase so that overlapping agents do not hide each other; totals by phase
and by model; failures grouped by reason; the events; the result. A running run gives a
snapshot (its bars so far, its span up to now).

Agents refused before they were sent are not journaled (no call happened), but the run
told its events about them: the report counts those events and says how many refused
agents the journal lacks.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .._store import EventRow, JournalEntry, RunInfo
from .._types import Usage
from ._cmd_cost import DEFAULT_MODEL, NO_PHASE

__all__ = ["AgentBar", "FailureGroup", "PhaseLanes", "ReportData", "TotalRow", "build_report"]

PROMPT_HEAD = 120
"""Characters of the prompt a bar's tooltip shows."""
ERROR_HEAD = 400
_REFUSED_EVENT = re.compile(r" refused: ")


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentBar:
    """One journaled agent on the timeline (times in seconds from the run's start)."""

    number: int
    """Its place in completion order, from 1."""
    label: str
    phase: str
    model: str
    status: str
    start: float
    duration: float
    lane: int
    usage: Usage
    prompt_head: str
    error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseLanes:
    """One phase's row of the timeline: its agents, in lanes that do not overlap."""

    title: str
    lanes: int
    bars: tuple[AgentBar, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TotalRow:
    """A row of the totals tables (by phase, by model)."""

    key: str
    agents: int
    not_ok: int
    duration: float
    usage: Usage


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureGroup:
    """Agents that ended the same way for the same reason."""

    status: str
    reason: str
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportData:
    """Everything the HTML report shows."""

    run: RunInfo
    made_at: float
    span: float
    """Seconds from the run's start to its end (or to now, for a run not finished)."""
    phases: tuple[PhaseLanes, ...]
    by_phase: tuple[TotalRow, ...]
    by_model: tuple[TotalRow, ...]
    outcomes: dict[str, int]
    failures: tuple[FailureGroup, ...]
    events: tuple[EventRow, ...]
    refused_unjournaled: int
    """Agents the run refused (its events say) that the journal has no row for."""
    unpriced_models: tuple[str, ...]

    @property
    def agents(self) -> int:
        return sum(len(p.bars) for p in self.phases)


def build_report(run: RunInfo, entries: Sequence[JournalEntry], events: Sequence[EventRow],
                 *, now: float | None = None) -> ReportData:
    """The report of ``run`` from its journal ``entries`` and ``events``."""
    made_at = time.time() if now is None else now
    origin = min([run.created_at, *(e.recorded_at - e.record.duration for e in entries)])
    if run.live:
        end = made_at
    elif run.finished_at is not None:
        end = run.finished_at
    else:  # interrupted: its worker died; what it wrote last is as far as it got
        end = max([run.updated_at, *(e.at for e in events[-1:])])
    end = max([end, *(e.recorded_at for e in entries)])
    default_model = run.options.get("model")
    bars = [_bar(n, entry, origin, default_model if isinstance(default_model, str) else None)
            for n, entry in enumerate(entries, 1)]
    refused_events = sum(1 for e in events if e.kind == "agent" and _REFUSED_EVENT.search(e.text))
    refused_rows = sum(1 for b in bars if b.status == "refused")
    outcomes = {"ok": 0, "failed": 0, "timeout": 0, "refused": 0, "cancelled": 0, "replayed": 0}
    for bar in bars:
        outcomes[bar.status] = outcomes.get(bar.status, 0) + 1
    return ReportData(
        run=run, made_at=made_at, span=max(end - origin, 1e-3), phases=_lanes(bars),
        by_phase=_totals(bars, lambda b: b.phase), by_model=_totals(bars, lambda b: b.model),
        outcomes=outcomes, failures=_failures(bars), events=tuple(events),
        refused_unjournaled=max(0, refused_events - refused_rows),
        unpriced_models=tuple(sorted({b.model for b in bars if b.usage.unpriced_tokens})))


def _bar(number: int, entry: JournalEntry, origin: float, default_model: str | None) -> AgentBar:
    record = entry.record
    request = record.request
    error = record.error
    return AgentBar(
        number=number, label=request.label or f"agent #{number}",
        phase=request.phase or NO_PHASE, model=request.model or default_model or DEFAULT_MODEL,
        status=record.status, start=max(0.0, entry.recorded_at - record.duration - origin),
        duration=max(0.0, record.duration), lane=0, usage=record.usage,
        prompt_head=_head(request.prompt, PROMPT_HEAD),
        error=None if error is None else _head(error, ERROR_HEAD))


def _head(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lanes(bars: Sequence[AgentBar]) -> tuple[PhaseLanes, ...]:
    """Bars by phase (phases in order of their first start), each in the first lane free
    when it starts (greedy interval partitioning: as few lanes as the peak overlap)."""
    by_phase: dict[str, list[AgentBar]] = {}
    for bar in sorted(bars, key=lambda b: (b.start, b.number)):
        by_phase.setdefault(bar.phase, []).append(bar)
    rows = []
    for title, members in by_phase.items():
        lane_ends: list[float] = []
        placed = []
        for bar in members:
            lane = next((i for i, end in enumerate(lane_ends) if end <= bar.start + 1e-9),
                        len(lane_ends))
            if lane == len(lane_ends):
                lane_ends.append(0.0)
            lane_ends[lane] = bar.start + bar.duration
            placed.append(_with_lane(bar, lane))
        rows.append(PhaseLanes(title=title, lanes=max(1, len(lane_ends)), bars=tuple(placed)))
    return tuple(rows)


def _with_lane(bar: AgentBar, lane: int) -> AgentBar:
    return AgentBar(number=bar.number, label=bar.label, phase=bar.phase, model=bar.model,
                    status=bar.status, start=bar.start, duration=bar.duration, lane=lane,
                    usage=bar.usage, prompt_head=bar.prompt_head, error=bar.error)


def _totals(bars: Sequence[AgentBar],
            key_of: Callable[[AgentBar], str]) -> tuple[TotalRow, ...]:
    sums: dict[str, tuple[int, int, float, Usage]] = {}
    for bar in bars:
        key = key_of(bar)
        agents, not_ok, duration, usage = sums.get(key, (0, 0, 0.0, Usage()))
        sums[key] = (agents + 1, not_ok + (bar.status != "ok"), duration + bar.duration,
                     usage + bar.usage)
    return tuple(TotalRow(key=k, agents=a, not_ok=n, duration=d, usage=u)
                 for k, (a, n, d, u) in sums.items())


def _failures(bars: Sequence[AgentBar]) -> tuple[FailureGroup, ...]:
    """Agents not ok grouped by (status, error), the biggest group first."""
    groups: dict[tuple[str, str], list[str]] = {}
    for bar in bars:
        if bar.status == "ok":
            continue
        reason = bar.error or "no error recorded"
        groups.setdefault((bar.status, reason), []).append(bar.label)
    ordered = sorted(groups.items(), key=lambda item: -len(item[1]))
    return tuple(FailureGroup(status=s, reason=r, labels=tuple(labels))
                 for (s, r), labels in ordered)

