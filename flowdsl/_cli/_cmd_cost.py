"""``flowdsl runs cost [ID | --since DATE]``: tokens and dollars by run, workflow, phase, model.

Everything comes from the store's journal, summed by the database
(:func:`flowdsl._store.usage_groups`), so the tables of one report add up to the same
total. A model with no known price leaves its tokens unpriced: its cost is ``unknown``
(``$X + unknown`` where some tokens were priced), never $0; in ``--json`` ``cost_usd``
is null when nothing was priced, with ``cost_complete`` and ``unpriced_tokens``.

Import-light on purpose (a short command): the store and the standard library only.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .._terminal_text import one_line, printable
from .._types import Usage
from ._cost import format_cost
from ._store_args import EXIT_OK, has_store, open_store, print_json

if TYPE_CHECKING:
    from .._store import RunInfo, UsageGroup
    from .._types import JSONValue

__all__ = ["CostLine", "CostReport", "build_cost_report", "cmd_cost", "cost_cell",
           "format_cost_report"]

DEFAULT_MODEL = "(default)"
"""The model column of agents that named none and whose run stored no default model."""
NO_PHASE = "(no phase)"


@dataclass(frozen=True, slots=True, kw_only=True)
class CostLine:
    """One row of a table: what it groups by, and the agents and usage in it."""

    key: tuple[str, ...]
    runs: int
    agents: int
    not_ok: int
    usage: Usage
    unpriced_models: tuple[str, ...] = ()

    def to_json(self, names: Sequence[str]) -> dict[str, JSONValue]:
        return {**dict(zip(names, self.key, strict=True)), "runs": self.runs,
                "agents": self.agents, "not_ok": self.not_ok, "usage": self.usage.to_json(),
                "estimated": self.usage.estimated,
                "unpriced_models": list(self.unpriced_models)}


@dataclass(frozen=True, slots=True, kw_only=True)
class CostReport:
    """The tables of ``runs cost``: every row sums journal rows, so all share a total."""

    runs: tuple[CostLine, ...]
    workflows: tuple[CostLine, ...]
    phases: tuple[CostLine, ...]
    models: tuple[CostLine, ...]
    total: CostLine
    started: dict[str, float] = field(default_factory=dict)
    """Each run's creation time, by id."""

    def to_json(self) -> dict[str, JSONValue]:
        runs: list[JSONValue] = []
        for line in self.runs:
            runs.append({**line.to_json(("run_id", "workflow", "status")),
                         "created_at": self.started.get(line.key[0])})
        return {
            "runs": runs,
            "workflows": [line.to_json(("workflow",)) for line in self.workflows],
            "phases": [line.to_json(("workflow", "phase")) for line in self.phases],
            "models": [line.to_json(("model",)) for line in self.models],
            "total": self.total.to_json(()),
        }


class _Sum:
    """A row being added up (the report's rows are frozen once summed)."""

    __slots__ = ("agents", "not_ok", "run_ids", "unpriced", "usage")

    def __init__(self) -> None:
        self.run_ids: set[str] = set()
        self.agents = self.not_ok = 0
        self.usage = Usage()
        self.unpriced: set[str] = set()

    def add(self, group: UsageGroup, model: str) -> None:
        self.run_ids.add(group.run_id)
        self.agents += group.agents
        self.not_ok += group.not_ok
        self.usage = self.usage + group.usage
        if group.usage.unpriced_tokens:
            self.unpriced.add(model)

    def line(self, key: tuple[str, ...]) -> CostLine:
        return CostLine(key=key, runs=len(self.run_ids), agents=self.agents,
                        not_ok=self.not_ok, usage=self.usage,
                        unpriced_models=tuple(sorted(self.unpriced)))


def build_cost_report(runs: Sequence[RunInfo], groups: Iterable[UsageGroup]) -> CostReport:
    """Fold the store's (run, phase, model) sums into the tables, for ``runs``.

    Args:
        runs: the runs reported, newest first (one with no journaled agent gets a row).
        groups: the usage groups of those runs (others are ignored).
    """
    by_id = {info.id: info for info in runs}
    tables: tuple[dict[tuple[str, ...], _Sum], ...] = ({}, {}, {}, {})
    total = _Sum()
    for info in runs:
        tables[0][(info.id, info.name, info.status)] = _Sum()
        tables[1].setdefault((info.name,), _Sum()).run_ids.add(info.id)
    for group in groups:
        run = by_id.get(group.run_id)
        if run is None:
            continue
        model = group.model or _default_model(run)
        keys = ((run.id, run.name, run.status), (run.name,),
                (run.name, group.phase or NO_PHASE), (model,))
        for table, key in zip(tables, keys, strict=True):
            table.setdefault(key, _Sum()).add(group, model)
        total.add(group, model)
    total.run_ids.update(by_id)
    run_lines, workflow_lines, phase_lines, model_lines = (
        tuple(s.line(k) for k, s in table.items()) for table in tables)
    return CostReport(
        runs=run_lines, workflows=workflow_lines, phases=phase_lines,
        models=tuple(sorted(model_lines, key=lambda line: -line.usage.total_tokens)),
        total=total.line(()), started={info.id: info.created_at for info in runs})


def _default_model(info: RunInfo) -> str:
    model = info.options.get("model")
    return model if isinstance(model, str) and model else DEFAULT_MODEL


# -- text -------------------------------------------------------------------------------------


def cost_cell(usage: Usage) -> str:
    """``$0.0123``, ``unknown`` (nothing priced) or ``$0.0123 + unknown``."""
    if usage.cost_complete:
        return f"${usage.cost_usd:.4f}"
    known = usage.known_cost()
    return "unknown" if known is None else f"${known:.4f} + unknown"


def _tokens(line: CostLine) -> list[str]:
    mark = "*" if line.usage.estimated else ""
    return [f"{line.usage.input_tokens:,}{mark}", f"{line.usage.output_tokens:,}{mark}"]


def _agents(line: CostLine) -> str:
    return f"{line.agents}" + (f" ({line.not_ok} not ok)" if line.not_ok else "")


def _table(title: str, head: list[str], rows: list[list[str]]) -> str:
    rows = [head, *rows]
    right = {i for i, name in enumerate(head) if name in ("RUNS", "IN", "OUT")}
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [title]
    for row in rows:
        cells = [cell.rjust(w) if i in right else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines)


def format_cost_report(report: CostReport, title: str) -> str:
    """The plain-text tables (run data passed through :mod:`flowdsl._terminal_text`)."""
    def when(run_id: str) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(report.started[run_id]))

    sections = [title, _table("By run", ["RUN", "WORKFLOW", "STATUS", "STARTED", "AGENTS", "IN",
                                          "OUT", "COST"],
                              [[k[0], one_line(k[1], 40), k[2], when(k[0]), _agents(line),
                                *_tokens(line), cost_cell(line.usage)]
                               for line in report.runs for k in (line.key,)])]
    if len(report.runs) > 1:
        sections.append(_table("By workflow", ["WORKFLOW", "RUNS", "AGENTS", "IN", "OUT", "COST"],
                               [[one_line(line.key[0], 40), str(line.runs), _agents(line),
                                 *_tokens(line), cost_cell(line.usage)]
                                for line in report.workflows]))
    sections.append(_table("By phase", ["WORKFLOW", "PHASE", "AGENTS", "IN", "OUT", "COST"],
                           [[one_line(line.key[0], 40), one_line(line.key[1], 40),
                             _agents(line), *_tokens(line), cost_cell(line.usage)]
                            for line in report.phases]))
    sections.append(_table("By model", ["MODEL", "AGENTS", "IN", "OUT", "COST"],
                           [[one_line(line.key[0], 40), _agents(line), *_tokens(line),
                             cost_cell(line.usage)] for line in report.models]))
    total = report.total
    usage = total.usage
    not_ok = f" ({total.not_ok} not ok)" if total.not_ok else ""
    sections.append(f"Total: {total.runs} run{'s' if total.runs != 1 else ''}, "
                    f"{total.agents} agents{not_ok}, {usage.input_tokens:,} in / "
                    f"{usage.output_tokens:,} out tokens, "
                    f"{format_cost(usage, total.unpriced_models)}")
    if usage.estimated:
        sections.append("* estimated: the backend reported no usage (e.g. simulate)")
    return printable("\n\n".join(sections))


# -- the command ------------------------------------------------------------------------------


def cmd_cost(ns: argparse.Namespace) -> int:
    from .._store import usage_groups

    if ns.run_id is not None and ns.since is not None:
        from ..errors import UsageError

        raise UsageError("give a run ID or --since, not both")
    runs: list[RunInfo] = []
    groups: list[UsageGroup] = []
    if ns.run_id is not None or has_store(ns):
        with open_store(ns, read_only=True) as store:
            if ns.run_id is not None:
                runs = [store.get_run(ns.run_id)]
                groups = usage_groups(store, run_id=runs[0].id)
            else:
                runs = [info for info in store.list_runs()
                        if ns.since is None or info.created_at >= ns.since]
                groups = usage_groups(store, since=ns.since)
    report = build_cost_report(runs, groups)
    if ns.json:
        print_json(report.to_json())
        return EXIT_OK
    if not runs:
        print("no runs" + (" since then" if ns.since is not None else ""), file=sys.stderr)
        return EXIT_OK
    print(format_cost_report(report, _title(ns, runs)))
    return EXIT_OK


def _title(ns: argparse.Namespace, runs: Sequence[RunInfo]) -> str:
    if ns.run_id is not None:
        return f"Cost of run {runs[0].id} ({one_line(runs[0].name, 60)})"
    if ns.since is not None:
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(ns.since))
        return f"Cost of {len(runs)} run{'s' if len(runs) != 1 else ''} since {since}"
    return f"Cost of all {len(runs)} run{'s' if len(runs) != 1 else ''} in the store"
