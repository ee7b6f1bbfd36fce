"""``flowdsl runs ...``, ``flowdsl save`` and ``flowdsl workflows``: managing durable runs.

Every command takes ``--store DIR`` (default: ``store`` in the configuration, else
``$FLOWDSL_STORE``, else ``./.flowdsl``) and ``--json``. Exit codes: 0 ok, 1 the run
failed / has no result, 2 bad input (unknown run id, resuming a completed run, a newer
or corrupt store) with one line on stderr. What came from a run (names, paths, log
lines, errors, results) is printed through ``flowdsl._terminal_text``: never raw.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import _durable  # its names import on first use: `runs list` loads no runtime
from .._event_loop import run_loop
from .._terminal_text import indented, one_line, printable, printable_json
from ..errors import UsageError
from ._agents_view import agents_json, format_agents
from ._argtypes import seconds
from ._cmd_worktrees import cmd_worktrees
from ._cost import format_cost
from ._exit import quota_words
from ._store_args import EXIT_OK, common_options, has_store, open_store, print_json

if TYPE_CHECKING:
    from .._store import EventRow, RunInfo
    from .._types import JSONValue

__all__ = [
    "cmd_agents",
    "cmd_pause",
    "cmd_result",
    "cmd_resume",
    "cmd_rm",
    "cmd_status",
    "cmd_stop",
    "register",
]

EXIT_FAILED = 1


def register(subparsers: Any) -> None:
    """Add ``runs`` to the ``flowdsl`` parser."""
    runs = subparsers.add_parser("runs", help="list and manage durable runs")
    sub = runs.add_subparsers(dest="runs_command", metavar="ACTION")
    sub.required = True

    def leaf(name: str, handler: Callable[[argparse.Namespace], int], help_text: str,
             with_id: bool = True) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
        if with_id:
            p.add_argument("run_id", metavar="ID", help="run id (or a unique prefix)")
        common_options(p)
        p.set_defaults(handler=handler)
        return p

    p = leaf("list", cmd_list, "runs, newest first", with_id=False)
    p.add_argument("--limit", type=int, default=None, help="show at most N runs")
    leaf("status", cmd_status, "a run's status, agents and usage")
    leaf("agents", cmd_agents, "a run's finished agents: status, tokens, tools called, errors")
    p = leaf("logs", cmd_logs, "a run's phases, log lines, failed agents and status changes")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing until the run ends")
    p = leaf("result", cmd_result, "a finished run's result")
    p.add_argument("--wait", action="store_true", help="wait for the run to finish")
    p.add_argument("--timeout", type=seconds, default=None, help="with --wait: give up after S")
    p = leaf("stop", cmd_stop, "cancel a run's in-flight agents and end it (status stopped)")
    p.add_argument("--timeout", type=seconds, default=2.0,
                   help="seconds to wait for the worker before sending it SIGTERM, which it "
                        "also obeys mid-computation (default 2)")
    p = leaf("pause", cmd_pause, "dispatch no new agents; in-flight ones finish")
    p.add_argument("--timeout", type=seconds, default=10.0,
                   help="seconds to wait for the worker to acknowledge (default 10)")
    p = leaf("resume", cmd_resume, "continue a paused, stopped, failed or interrupted run")
    p.add_argument("--script", metavar="FILE",
                   help="an edited script: unchanged calls replay, changed ones run live")
    p.add_argument("--backend", help="run live calls on this backend instead of the stored one")
    p.add_argument("--foreground", action="store_true",
                   help="continue in this terminal instead of a background worker")
    p.add_argument("--rerun-missing", action="store_true",
                   help="run isolated agents again whose kept branch was deleted")
    p.add_argument("--otel", action=argparse.BooleanOptionalAction, default=None,
                   help="export an OpenTelemetry trace (or not) from now on, over what the "
                        "run was started with (see 'flowdsl run --otel')")
    p = leaf("rm", cmd_rm, "delete a finished run, its journal, its log and its leftover "
                           "worktrees (kept branches stay)")
    p = leaf("worktrees", cmd_worktrees, "an isolated run's kept branches and leftover "
                                         "worktrees")
    p.add_argument("--prune", action="store_true",
                   help="remove leftover worktrees and branches no journaled agent refers to")
    from . import _cmd_report

    _cmd_report.register(sub)  # runs report, runs cost


# -- helpers ----------------------------------------------------------------------------------


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


# -- runs list / status / logs / result ------------------------------------------------------


def _list_row(info: RunInfo, now: float) -> list[str]:
    agents = str(info.agents_done)
    if info.agents_failed:
        agents += f" ({info.agents_failed} not ok)"
    return [info.id, info.status, agents, f"{info.usage.total_tokens:,}",
            _age(now - info.created_at), one_line(info.name)]


def cmd_list(ns: argparse.Namespace) -> int:
    runs: list[RunInfo] = []
    if has_store(ns):
        with open_store(ns, read_only=True) as store:
            runs = store.list_runs(limit=ns.limit)
    if ns.json:
        print_json([_summary_json(info) for info in runs])
        return EXIT_OK
    if not runs:
        print("no runs", file=sys.stderr)
        return EXIT_OK
    now = time.time()
    rows = [["ID", "STATUS", "AGENTS", "TOKENS", "AGE", "NAME"]]
    rows += [_list_row(info, now) for info in runs]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return EXIT_OK


def _summary_json(info: RunInfo) -> dict[str, JSONValue]:
    data = info.to_json()
    return {k: data[k] for k in ("run_id", "name", "status", "pid", "background", "agents",
                                 "usage", "created_at", "finished_at", "error")}


def cmd_status(ns: argparse.Namespace) -> int:
    from ._run_watch import agent_lines, failure_lines, status_json

    with open_store(ns, read_only=True) as store:
        info = store.get_run(ns.run_id)
        log_path = store.log_path(info.id)
        outcomes = store.outcomes(info.id)
        if ns.json:
            print_json({**info.to_json(), "outcomes": outcomes, **status_json(store, info),
                         "log_path": str(log_path) if log_path.exists() else None})
            return EXIT_OK
        phase = store.last_event(info.id, "phase")
        agents, failures = agent_lines(info, outcomes), failure_lines(store, info.id)
    usage = info.usage
    lines = [
        f"run:      {info.id} ({one_line(info.name)})",
        f"status:   {info.status}" + (f" (pid {info.pid})" if info.live else "")
        + (f" ({quota_words(info.resets_at)})" if info.paused_for_quota else ""),
        *([f"phase:    {one_line(phase.text)}"] if phase is not None else []),
        f"script:   {info.script_path}",
        *agents,
        f"tokens:   {usage.input_tokens:,} in / {usage.output_tokens:,} out"
        + (f" ({format_cost(usage)})" if usage.cost_usd or not usage.cost_complete else ""),
        *failures,
        f"started:  {_age(time.time() - info.created_at)} ago"
        + (" in the background" if info.background else " in the foreground"),
    ]
    if info.error:
        lines.append(f"error:    {info.error}")
    if log_path.exists():
        lines.append(f"worker log: {log_path}")
    if info.status in ("paused", "stopped", "failed", "interrupted"):
        lines.append(f"resume:   flowdsl runs resume {info.id}")
    print(printable("\n".join(lines)))
    return EXIT_OK


def cmd_agents(ns: argparse.Namespace) -> int:
    with open_store(ns, read_only=True) as store:
        entries = store.journal(store.resolve_id(ns.run_id))
    if ns.json:
        print_json(agents_json(entries))
    else:
        print(format_agents(entries))
    return EXIT_OK


_MARKS = {"phase": "==", "log": "  ", "agent": "!!", "status": "--"}


def _print_event(event: EventRow, as_json: bool) -> None:
    if as_json:
        print_json({"id": event.id, "at": event.at, "kind": event.kind, "text": event.text})
        return
    head = f"{time.strftime('%H:%M:%S', time.localtime(event.at))} {_MARKS.get(event.kind, '  ')} "
    print(head + indented(event.text, " " * len(head)), flush=True)


def cmd_logs(ns: argparse.Namespace) -> int:
    from ._run_watch import RunningLine, follow

    line = None
    if ns.follow and not ns.json:  # --json: the event objects only
        line = RunningLine(sys.stdout, terminal=sys.stdout.isatty())
    with open_store(ns, read_only=True) as store:
        follow(store, store.resolve_id(ns.run_id), until_end=ns.follow, line=line,
               emit=lambda event: _print_event(event, ns.json))
    return EXIT_OK


def cmd_result(ns: argparse.Namespace) -> int:
    with open_store(ns, read_only=True) as store:
        info = store.get_run(ns.run_id)
        if ns.wait:
            info = _durable.wait_for(store, info.id, lambda i: not i.live, ns.timeout)
    if ns.json:
        print_json({"run_id": info.id, "status": info.status, "result": info.result,
                     "error": info.error})
    elif info.status == "completed":
        value = info.result
        print(printable(value) if isinstance(value, str) else printable_json(value, indent=2))
    elif info.live:
        print(f"flowdsl: run {info.id} is still {info.status}; no result yet "
              "(use --wait)", file=sys.stderr)
    else:
        reason = f": {printable(info.error)}" if info.error else ""
        print(f"flowdsl: run {info.id} {info.status}{reason}", file=sys.stderr)
    return EXIT_OK if info.status == "completed" else EXIT_FAILED


# -- control ----------------------------------------------------------------------------------


def _report(ns: argparse.Namespace, info: RunInfo, text: str) -> None:
    if ns.json:
        print_json({"run_id": info.id, "status": info.status})
    else:
        print(text)


def cmd_stop(ns: argparse.Namespace) -> int:
    with open_store(ns) as store:
        info = _durable.stop_run(store, ns.run_id, timeout=ns.timeout)
    _report(ns, info, f"run {info.id} {info.status}")
    return EXIT_OK


def cmd_pause(ns: argparse.Namespace) -> int:
    with open_store(ns) as store:
        info = _durable.pause_run(store, ns.run_id, timeout=ns.timeout)
    _report(ns, info, f"run {info.id} {info.status}; in-flight agents finish, no new ones "
                      f"start (continue with 'flowdsl runs resume {info.id}')")
    return EXIT_OK


def cmd_resume(ns: argparse.Namespace) -> int:
    if ns.otel:
        from ._cmd_run import check_otel

        check_otel()
    if ns.foreground:
        return _resume_foreground(ns)
    with open_store(ns) as store:
        if ns.otel is not None:  # the worker reads it from the run's options
            store.update_options(store.resolve_id(ns.run_id), {"otel": ns.otel})
        info = _durable.resume_run(store, ns.run_id, script=ns.script, backend=ns.backend,
                          rerun_missing=ns.rerun_missing)
    _report(ns, info, f"run {info.id} {info.status}"
            + (f" (worker pid {info.pid})" if info.pid and info.live else ""))
    return EXIT_OK


def _resume_foreground(ns: argparse.Namespace) -> int:
    import contextlib

    from ._exit import exit_code, exit_meaning
    from ._view import format_summary, format_value, make_view

    with open_store(ns) as store:
        run_id = store.resolve_id(ns.run_id)
        caps = store.get_run(run_id).options  # the live view draws the run's budget bars
        budget, max_cost = caps.get("budget"), caps.get("max_cost")
        view = None if ns.json else make_view(
            sys.stderr, budget=budget if isinstance(budget, int) else None,
            max_cost=float(max_cost) if isinstance(max_cost, int | float) else None)
        with view if view is not None else contextlib.nullcontext():
            result = _durable.resume(run_id, store=store, script=ns.script,
                                     backend=ns.backend, rerun_missing=ns.rerun_missing,
                                     otel=ns.otel,
                                     observers=[view] if view is not None else [])
    code = exit_code(result)
    if ns.json:
        print_json({**result.to_json(), "exit_code": code})
    else:
        print(format_summary(result) + "\n" + exit_meaning(code, result), file=sys.stderr)
        if result.status == "completed":
            print(format_value(result.value))
    return code


def cmd_rm(ns: argparse.Namespace) -> int:
    with open_store(ns) as store:
        info = store.get_run(ns.run_id)
        if info.live:
            raise UsageError(f"run {info.id} is {info.status}; stop it first "
                             f"(flowdsl runs stop {info.id})")
        run_loop(_durable.remove_run_worktrees, info)
        store.delete_run(info.id)
    if ns.json:
        print_json({"run_id": info.id, "deleted": True})
    else:
        print(f"deleted run {info.id}")
    return EXIT_OK
