"""The anyio runtime: one run, split in two sides that talk through a port.

The run's side — ``_run`` (agents through the limiter, caps, budget, timeouts, journal,
events, outcome), ``_ledger`` (records, usage, budget and cost cap, failure policy),
``_control`` (stop, pause, halt, the quota pause), ``_agent_call`` (one agent on its
backend under its timeout), ``_deadlines`` (the one watchdog that enforces every agent's
timeout), ``_backend_start`` (model names checked and the backend entered before the
script). The script's side — ``_script`` (the sandboxed script, its
tick and outcome), ``_scheduler`` (work started at once: JS promises, queued agent
calls), ``_dispatch`` (``agent()`` and its call object), ``_replay_order`` (replayed
results in completion order), ``_fanout`` (``parallel``/``pipeline``), ``_context``
(the script's globals, ``workflow()``). Between them ``_port``: in-process
(``isolation="inline"``) or across the process boundary of ``_process`` (the default).
``_execute`` joins them; ``_journal`` is the durability protocol, ``_events`` what
observers are told. The runtime knows no store, CLI or JavaScript layer.
"""

from __future__ import annotations

import typing as _typing

from .._lazy import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
    from ._events import AgentFinished as AgentFinished
    from ._events import AgentStarted as AgentStarted
    from ._events import EventKind as EventKind
    from ._events import LogLine as LogLine
    from ._events import Observer as Observer
    from ._events import PhaseStarted as PhaseStarted
    from ._events import RunEvent as RunEvent
    from ._events import StatusChanged as StatusChanged
    from ._execute import execute as execute
    from ._halt import Halt as Halt
    from ._journal import GroupCommitJournal as GroupCommitJournal
    from ._journal import Journal as Journal
    from ._journal import KeyCounter as KeyCounter
    from ._process import ScriptProcess as ScriptProcess
    from ._process import prestart as prestart
    from ._run import Run as Run
    from ._run import Supervisor as Supervisor
    from ._run import WorkflowFinder as WorkflowFinder
    from ._scheduler import Scheduler as Scheduler
    from ._scheduler import Task as Task

_LAZY: dict[str, tuple[str, str]] = {
    "AgentFinished": ("._events", "AgentFinished"),
    "AgentStarted": ("._events", "AgentStarted"),
    "EventKind": ("._events", "EventKind"),
    "LogLine": ("._events", "LogLine"),
    "Observer": ("._events", "Observer"),
    "PhaseStarted": ("._events", "PhaseStarted"),
    "RunEvent": ("._events", "RunEvent"),
    "StatusChanged": ("._events", "StatusChanged"),
    "execute": ("._execute", "execute"),
    "Halt": ("._halt", "Halt"),
    "GroupCommitJournal": ("._journal", "GroupCommitJournal"),
    "Journal": ("._journal", "Journal"),
    "KeyCounter": ("._journal", "KeyCounter"),
    "ScriptProcess": ("._process", "ScriptProcess"),
    "prestart": ("._process", "prestart"),
    "Run": ("._run", "Run"),
    "Supervisor": ("._run", "Supervisor"),
    "WorkflowFinder": ("._run", "WorkflowFinder"),
    "Scheduler": ("._scheduler", "Scheduler"),
    "Task": ("._scheduler", "Task"),
}


__getattr__ = _lazy_exports(__name__, _LAZY)


__all__ = (
    "AgentFinished",
    "AgentStarted",
    "EventKind",
    "GroupCommitJournal",
    "Halt",
    "Journal",
    "KeyCounter",
    "LogLine",
    "Observer",
    "PhaseStarted",
    "Run",
    "RunEvent",
    "Scheduler",
    "ScriptProcess",
    "StatusChanged",
    "Supervisor",
    "Task",
    "WorkflowFinder",
    "execute",
    "prestart",
)
