"""The one-line text beside each tool's ``structuredContent`` (hosts that show only
text still see what happened; the structured result holds everything)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._terminal_text import one_line

__all__ = ["summary"]


def _tokens(usage: dict[str, Any]) -> str:
    total = int(usage.get("input_tokens", 0)) + int(usage.get("output_tokens", 0))
    cost = usage.get("cost_usd")
    return f"{total:,} tokens" + (f", ${cost:.4f}" if cost else "")


def _validate(d: dict[str, Any]) -> str:
    if not d["ok"]:
        return f"invalid: {d['errors'][0]['text']}"
    dry = d["dry_run"]
    cost = dry.get("cost_usd")
    price = f"${cost:.4f}" if cost is not None else "cost unknown"
    phases = ", ".join(d["phases"]) or "none"
    return (f"ok: {d['name']!r} ({d['language']}; phases: {phases}); dry run {dry['status']}: "
            f"{dry['agents']} agents, ~{dry['input_tokens'] + dry['output_tokens']:,} tokens, "
            f"{price} on {dry['backend'] or 'no backend configured'}")


def _run(d: dict[str, Any]) -> str:
    return (f"run {d['run_id']} {d['status']} ({d['script_path']}); follow it with "
            f"workflow_status {{\"run_id\": \"{d['run_id']}\", \"wait_seconds\": 30}}")


def _status(d: dict[str, Any]) -> str:
    agents = d["agents"]
    counts = ", ".join(f"{n} {k}" for k, n in agents.items()
                       if k != "total" and (n or k == "ok"))
    text = f"run {d['run_id']} {d['status']}"
    if d["phase"]:
        text += f", phase {d['phase']!r}"
    text += f"; agents: {counts}; {_tokens(d['usage'])}; {d['elapsed_seconds']:.1f} s"
    if d["error"]:
        text += f"; error: {d['error']}"
    if not d["settled"]:
        text += "; still running: call workflow_status again with wait_seconds"
    return text


def _events(d: dict[str, Any]) -> str:
    more = "; more after it" if d["more"] else ""
    return f"{len(d['events'])} events; next_cursor {d['next_cursor']}{more}"


def _result(d: dict[str, Any]) -> str:
    text = f"run {d['run_id']} {d['status']}"
    if d["failed_agents"]:
        text += f"; {d['failed_agents']} agents did not finish ok"
    if d.get("error"):
        text += f"; error: {d['error']}"
    if d.get("next_offset") is not None:
        text += (f"; result page {d['offset']}..{d['next_offset']} of {d['total_chars']:,} "
                 f"characters (next offset {d['next_offset']})")
    elif "result" in d and d["status"] == "completed":
        text += f"; result: {one_line(repr(d['result']), 300)}"
    return text


def _control(d: dict[str, Any]) -> str:
    return f"run {d['run_id']} {d['status']}"


def _list(d: dict[str, Any]) -> str:
    runs = d["runs"]
    return f"{len(runs)} runs" + (": " + ", ".join(f"{r['run_id']} {r['status']}"
                                                   for r in runs[:10]) if runs else "")


def _saved(d: dict[str, Any]) -> str:
    names = [w["name"] for w in d["workflows"]]
    return f"{len(names)} workflows" + (": " + ", ".join(names) if names else "")


_BY_TOOL: dict[str, Callable[[dict[str, Any]], str]] = {
    "workflow_validate": _validate, "workflow_run": _run, "workflow_status": _status,
    "workflow_events": _events, "workflow_result": _result, "workflow_stop": _control,
    "workflow_pause": _control, "workflow_resume": _control, "workflow_list": _list,
    "workflows_saved": _saved,
}


def summary(tool: str, data: dict[str, Any]) -> str:
    """The text of ``tool``'s result ``data``: one line, no control characters."""
    return one_line(_BY_TOOL[tool](data), 2000)
