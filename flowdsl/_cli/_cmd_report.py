"""``flowdsl runs report ID [-o FILE]`` and ``flowdsl runs cost [ID | --since DATE]``.

``report`` writes one self-contained HTML file (``_report_html``) from what the store
holds, for a finished run or a running one (a snapshot); ``cost`` prints tokens and
dollars by run, workflow, phase and model (``_cmd_cost``). An unknown run id is the
store's one-line error, exit 2, as for every ``runs`` command.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import time
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ._store_args import EXIT_OK, common_options, open_store, print_json

# Only what building the parser needs is imported here (every `flowdsl` command builds
# it, `--version` included); the commands import their modules when they run.

__all__ = ["cmd_cost", "cmd_report", "register", "since_time"]

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def register(runs_sub: Any) -> None:
    """Add ``report`` and ``cost`` to the ``runs`` subcommands (``runs_sub``)."""
    p = runs_sub.add_parser("report", help="write a run's self-contained HTML report: "
                                           "timeline, totals, failures, logs, result")
    p.add_argument("run_id", metavar="ID", help="run id (or a unique prefix)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write it (default: ./flowdsl-report-ID.html)")
    common_options(p)
    p.set_defaults(handler=cmd_report)
    p = runs_sub.add_parser("cost", help="tokens and $ by run, workflow, phase and model")
    p.add_argument("run_id", metavar="ID", nargs="?", default=None,
                   help="one run (id or unique prefix); default: every run in the store")
    p.add_argument("--since", metavar="DATE", type=since_time, default=None,
                   help="only runs started since DATE: 2026-12-01, 2026-12-01T10:00 (local "
                        "time) or an age like 7d, 24h, 30m")
    common_options(p)
    p.set_defaults(handler=cmd_cost)


def since_time(text: str) -> float:
    """``--since``: ``2026-12-01``, ``2026-12-01T10:00`` (local time unless it names a
    zone) or ``7d`` / ``24h`` / ``30m`` / ``2w`` ago -> epoch seconds."""
    match = _RELATIVE.match(text)
    if match is not None:
        return time.time() - float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    from datetime import datetime

    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(
            "expected a date like 2026-12-01, 2026-12-01T10:00, or an age like 7d or 24h, "
            f"got {text!r}") from None


def cmd_cost(ns: argparse.Namespace) -> int:
    from ._cmd_cost import cmd_cost as run

    return run(ns)


def cmd_report(ns: argparse.Namespace) -> int:
    from ._report_data import build_report
    from ._report_html import render_report

    with open_store(ns, read_only=True) as store:
        run = store.get_run(ns.run_id)
        entries = store.journal(run.id)
        events = store.events(run.id)
    data = build_report(run, entries, events)
    path = Path(ns.output) if ns.output else Path.cwd() / f"flowdsl-report-{run.id}.html"
    _write(path, render_report(data))
    if ns.json:
        print_json({"run_id": run.id, "path": str(path), "agents": data.agents})
    else:
        print(path)
    return EXIT_OK


def _write(path: Path, text: str) -> None:
    """Write the file whole or not at all (a temporary file renamed over it)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot write the report ({exc.strerror or exc})") from None
