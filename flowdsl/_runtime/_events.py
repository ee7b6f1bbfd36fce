"""Run events: what observers (the live view, the store) are told as a run progresses.

Each kind of event is its own frozen class with the fields it always has; ``kind`` is
the tag, so observers can ``match`` on the class or compare ``event.kind``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .._types import AgentRecord, AgentRequest, RunStatus

__all__ = [
    "AgentFinished",
    "AgentStarted",
    "EventKind",
    "LogLine",
    "Observer",
    "PhaseStarted",
    "RunEvent",
    "StatusChanged",
]

EventKind = Literal["phase", "log", "agent_started", "agent_finished", "status"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseStarted:
    """The script called ``phase(title)``."""

    title: str
    kind: Literal["phase"] = "phase"


@dataclass(frozen=True, slots=True, kw_only=True)
class LogLine:
    """A narrator line: ``log()``, or a note of the runtime (a failed fan-out item)."""

    text: str
    kind: Literal["log"] = "log"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStarted:
    """Agent number ``index`` (0-based, in start order) was dispatched to the backend."""

    index: int
    request: AgentRequest
    kind: Literal["agent_started"] = "agent_started"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentFinished:
    """Agent number ``index`` ended (ok, failed, timed out, or replayed from the journal)."""

    index: int
    record: AgentRecord
    kind: Literal["agent_finished"] = "agent_finished"


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusChanged:
    """The run's status changed (running, paused, and its final status)."""

    status: RunStatus
    kind: Literal["status"] = "status"


RunEvent = PhaseStarted | LogLine | AgentStarted | AgentFinished | StatusChanged
"""One thing that happened in a run."""

Observer = Callable[[RunEvent], None]
