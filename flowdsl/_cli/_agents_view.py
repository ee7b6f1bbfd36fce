"""``flowdsl runs agents ID``: a run's journaled agents, one block each.

Per agent: its status, label (else the prompt's start), tokens, duration, the tools it
called (counts per tool, and how many calls were refused or failed), the branch an
isolated agent kept, and its error.
``--json`` gives every field, each tool call included. Text that came from the run goes
through :mod:`flowdsl._terminal_text`: never raw.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._terminal_text import indented, one_line, printable

if TYPE_CHECKING:
    from .._store import JournalEntry
    from .._types import AgentRecord, JSONValue

__all__ = ["agents_json", "format_agents", "tools_summary"]


def tools_summary(record: AgentRecord) -> str:
    """``read×4 grep×2 bash×1 (1 refused or failed)``; empty when it called none."""
    if not record.tool_calls:
        return ""
    counts = Counter(call.name for call in record.tool_calls)
    text = " ".join(f"{name}×{n}" for name, n in counts.items())
    failed = sum(1 for call in record.tool_calls if call.error is not None)
    return text + (f" ({failed} refused or failed)" if failed else "")


def format_agents(entries: Sequence[JournalEntry]) -> str:
    """The plain-text listing, in the order the agents finished."""
    if not entries:
        return "no agent has finished in this run yet"
    blocks = []
    for number, entry in enumerate(entries, 1):
        record = entry.record
        request = record.request
        title = one_line(request.label or request.prompt, 60)
        usage = record.usage
        line = (f"{number:>3}. {record.status:<8} {title}  "
                f"{usage.input_tokens:,} in / {usage.output_tokens:,} out, "
                f"{record.duration:.1f} s")
        details = []
        if request.agent_type:
            details.append(f"type:  {one_line(request.agent_type, 60)}")
        tools = tools_summary(record)
        if tools:
            details.append(f"tools: {tools}")
        if record.worktree is not None:
            details.append(f"branch: {record.worktree.branch} ({record.worktree.diffstat})")
        if record.error:
            details.append(f"error: {indented(record.error, '            ')}")
        blocks.append("\n".join([line, *(f"     {d}" for d in details)]))
    return printable("\n".join(blocks))


def agents_json(entries: Sequence[JournalEntry]) -> list[JSONValue]:
    """Every journaled agent with its request fields, usage and tool calls."""
    out: list[JSONValue] = []
    for entry in entries:
        record, request = entry.record, entry.record.request
        out.append({
            "key": entry.key, "status": record.status, "label": request.label,
            "phase": request.phase, "model": request.model, "agent_type": request.agent_type,
            "prompt": request.prompt,
            "usage": record.usage.to_json(),
            "duration": record.duration, "error": record.error,
            "tool_calls": [call.to_json() for call in record.tool_calls],
            "worktree": record.worktree.to_json() if record.worktree is not None else None,
        })
    return out
