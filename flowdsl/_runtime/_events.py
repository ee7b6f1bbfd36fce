"""Run events: what observers (the live view, the store) are told as a run progresses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .._types import AgentRecord, AgentRequest

__all__ = ["EventKind", "Observer", "RunEvent"]

EventKind = Literal["phase", "log", "agent_started", "agent_finished", "status"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunEvent:
    """One thing that happened in a run. Only the fields of its ``kind`` are set."""

    kind: EventKind
    text: str | None = None
    """The phase title, the log line, or the new status."""
    request: AgentRequest | None = None
    record: AgentRecord | None = None
    index: int | None = None
    """Which agent of the run (0-based, in start order) an agent event is about."""


Observer = Callable[[RunEvent], None]
