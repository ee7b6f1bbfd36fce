"""The targets, the markdown table, and the generated section of ``benchmarks/README.md``."""

from __future__ import annotations

import operator
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["TARGETS", "Target", "markdown", "update_readme"]

BEGIN = "<!-- BEGIN GENERATED RESULTS (python -m benchmarks rewrites this section) -->"
END = "<!-- END GENERATED RESULTS -->"

Doc = dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """One figure of the results table: where it is, how to show it, what it must reach."""

    label: str
    scenario: str
    path: tuple[str, ...]
    unit: str = ""
    scale: float = 1.0
    digits: int = 3
    goal: float | bool | None = None
    compare: Callable[[Any, Any], bool] = operator.le
    source: str = ""
    """Where the goal comes from (issue, DESIGN, ...)."""

    def value(self, doc: Doc) -> Any:
        node: Any = doc.get("scenarios", {}).get(self.scenario, {})
        for part in self.path:
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def goal_text(self) -> str:
        if self.goal is None:
            return "—"
        if isinstance(self.goal, bool):
            return "yes"
        sign = "≤" if self.compare is operator.le else "≥"
        return f"{sign} {self._fmt(self.goal)}"

    def _fmt(self, value: Any) -> str:
        if isinstance(value, bool) or value is None:
            return {True: "yes", False: "no", None: "—"}[value]
        if isinstance(value, int | float):
            shown = value * self.scale
            text = f"{shown:,.{self.digits}f}"
            return f"{text} {self.unit}".strip()
        return str(value)

    def row(self, doc: Doc) -> tuple[str, str, str, str]:
        scenario = doc.get("scenarios", {}).get(self.scenario, {})
        value = self.value(doc)
        if scenario.get("status") != "ok" or value is None:
            why = scenario.get("reason") or scenario.get("error") or "not measured"
            why = _variant_reason(scenario, self.path) or why
            return self.label, "—", self._goal_with_source(), f"skipped: {_short(why)}"
        if self.goal is None:
            verdict = "info"
        else:
            raw = value if isinstance(self.goal, bool) else float(value) * self.scale
            goal = self.goal if isinstance(self.goal, bool) else float(self.goal) * self.scale
            ok = raw == goal if isinstance(self.goal, bool) else self.compare(raw, goal)
            verdict = "pass" if ok else "**MISS**"
        return self.label, self._fmt(value), self._goal_with_source(), verdict

    def _goal_with_source(self) -> str:
        return f"{self.goal_text()} ({self.source})" if self.source else self.goal_text()


def _variant_reason(scenario: Doc, path: tuple[str, ...]) -> str | None:
    """The skip reason of the sub-figure a target points into, if it has one."""
    node: Any = scenario
    for part in path:
        if not isinstance(node, dict):
            return None
        if "skipped" in node:
            return str(node["skipped"])
        node = node.get(part)
    return None


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_GE = operator.ge
TARGETS: tuple[Target, ...] = (
    Target(label="Efficiency, 1000 agents × 20 ms, C=16 (loop timer)", scenario="efficiency",
           path=("headline", "efficiency"), goal=0.97, compare=_GE, source="issue"),
    Target(label="… same, bare anyio fan-out in the same process", scenario="efficiency",
           path=("headline", "bare_efficiency")),
    Target(label="… flowdsl makespan / bare anyio makespan (task per agent)",
           scenario="efficiency", path=("headline", "vs_bare"), goal=1.01, source="DESIGN"),
    Target(label="… same, bare worker pool (C tasks) efficiency", scenario="efficiency",
           path=("headline", "bare_pool_efficiency")),
    Target(label="… flowdsl makespan / bare worker pool makespan", scenario="efficiency",
           path=("headline", "vs_bare_pool"), goal=1.01, source="DESIGN"),
    Target(label="… same, as issue 16 asks: ≥ 0.98 of the pool's efficiency",
           scenario="efficiency", path=("headline", "vs_bare_pool"), goal=1 / 0.98,
           source="issue 16"),
    Target(label="Efficiency, 1000 × 20 ms × 16, precise-timer agent", scenario="efficiency",
           path=("headline", "precise_efficiency"), goal=0.97, compare=_GE, source="issue"),
    Target(label="… precise timer, bare worker pool efficiency", scenario="efficiency",
           path=("headline", "precise_bare_pool_efficiency")),
    Target(label="… precise timer: flowdsl / bare worker pool", scenario="efficiency",
           path=("headline", "precise_vs_bare_pool"), goal=1.01, source="DESIGN"),
    Target(label="… same, as issue 16 asks: ≥ 0.98 of the pool's efficiency",
           scenario="efficiency", path=("headline", "precise_vs_bare_pool"), goal=1 / 0.98,
           source="issue 16"),
    Target(label="Overhead per agent, .flow.py, zero latency", scenario="overhead",
           path=("variants", "flowdsl_py", "per_agent_us"), unit="µs", digits=1, goal=150,
           source="core issue"),
    Target(label="… needed for the efficiency goal", scenario="overhead",
           path=("variants", "flowdsl_py", "per_agent_us"), unit="µs", digits=1, goal=40,
           source="DESIGN"),
    Target(label="Overhead per agent, Node reference (oracle.mjs)", scenario="overhead",
           path=("variants", "node_reference", "per_agent_us"), unit="µs", digits=1),
    Target(label="Overhead .flow.py / Node reference", scenario="overhead",
           path=("ratios", "py_vs_node"), digits=2, goal=3.0, source="issue 16"),
    Target(label="… same on uvloop (flowdsl[fast])", scenario="overhead",
           path=("ratios", "py_uvloop_vs_node"), digits=2, goal=3.0, source="issue 16"),
    Target(label="… same, a backend without the no-scope promise (a timeout filed per agent)",
           scenario="overhead", path=("ratios", "py_scoped_vs_node"), digits=2, goal=3.0,
           source="issue 16"),
    Target(label="Overhead per agent, .flow.py, timeout filed per agent", scenario="overhead",
           path=("variants", "flowdsl_py_scoped", "per_agent_us"), unit="µs", digits=1),
    Target(label="Overhead per agent, .js fan-out", scenario="overhead",
           path=("variants", "flowdsl_js", "per_agent_us"), unit="µs", digits=1, goal=150,
           source="core issue"),
    Target(label="Overhead .js / Node reference", scenario="overhead",
           path=("ratios", "js_vs_node"), digits=2, goal=4.0, source="issue 16"),
    Target(label="… same on uvloop (flowdsl[fast])", scenario="overhead",
           path=("ratios", "js_uvloop_vs_node"), digits=2, goal=4.0, source="issue 16"),
    Target(label="Overhead .js / .flow.py", scenario="overhead",
           path=("ratios", "js_vs_py"), digits=2),
    Target(label="Overhead, sandboxed / unsandboxed .flow.py", scenario="overhead",
           path=("ratios", "py_vs_unsandboxed"), digits=2),
    Target(label="JS parse + transpile + compile, 1,500-line script", scenario="js_compile",
           path=("compile_s", "median"), unit="s", goal=0.5, source="JS issue"),
    Target(label="… of which parse (tree-sitter; esprima where it is not sure)",
           scenario="js_compile",
           path=("stages_s", "parse"), unit="s"),
    Target(label="… of which transpile", scenario="js_compile",
           path=("stages_s", "transpile"), unit="s"),
    Target(label="… of which sandbox compile (RestrictedPython)", scenario="js_compile",
           path=("stages_s", "sandbox_compile"), unit="s"),
    Target(label="… same script again (on-disk compile cache)", scenario="js_compile",
           path=("warm_cached_s", "median"), unit="s", digits=3),
    Target(label="Peak RSS, 4096-item parallel", scenario="limits",
           path=("cases", "parallel_4096", "peak_mb"), unit="MB", digits=1, goal=200,
           source="issue (DESIGN: 100)"),
    Target(label="Peak RSS, 4096-item pipeline", scenario="limits",
           path=("cases", "pipeline_4096", "peak_mb"), unit="MB", digits=1, goal=200,
           source="issue (DESIGN: 100)"),
    Target(label="Time, 4096-item parallel (16 × 5 ms)", scenario="limits",
           path=("cases", "parallel_4096", "time_s"), unit="s"),
    Target(label="1000-agent cap enforced (1,200 asked)", scenario="limits",
           path=("cases", "agent_cap", "cap_enforced"), goal=True, source="issue"),
    Target(label="Budget exhausted → run ended", scenario="limits",
           path=("cases", "budget", "time_to_stop_s"), unit="ms", scale=1e3, digits=1),
    Target(label="Journal write cost per agent, N=1000", scenario="resume",
           path=("headline", "write_us_per_agent_at_1000"), unit="µs", digits=1, goal=50,
           source="DESIGN"),
    Target(label="Journal write cost, N=4096 / N=125 (flat)", scenario="resume",
           path=("headline", "write_growth_largest_over_smallest"), digits=2, goal=1.5,
           source="issue: must stay flat"),
    Target(label="Journal CPU per agent, CLI-style run − --no-journal, worst N of 125…4096",
           scenario="resume", path=("headline", "cli_us_per_agent_max"), unit="µs", digits=1,
           goal=30, source="issue 16"),
    Target(label="… same, net of the per-run fixed cost", scenario="resume",
           path=("headline", "cli_net_us_per_agent_max"), unit="µs", digits=1, goal=30,
           source="issue 16"),
    Target(label="… per agent: the slope of the line through N = 0 … 4096 (minimums)",
           scenario="resume", path=("headline", "cli_marginal_us_per_agent"), unit="µs",
           digits=1, goal=30, source="issue 16"),
    Target(label="… per run: its intercept (store open, create, claim, finish, close)",
           scenario="resume", path=("headline", "cli_fixed_ms"), unit="ms", digits=2),
    Target(label="… N=4096 / N=125 (flat)", scenario="resume",
           path=("headline", "cli_growth_largest_over_smallest"), digits=2, goal=1.5,
           source="issue 16"),
    Target(label="… rows per journal commit (group commit)", scenario="resume",
           path=("headline", "rows_per_commit"), digits=1),
    Target(label="Replay of a 1000-agent journal", scenario="resume",
           path=("headline", "replay_1000_s"), unit="s", goal=1.0, source="issue"),
    Target(label="Resume end to end, 1000 agents", scenario="resume",
           path=("headline", "resume_1000_s"), unit="s", goal=1.0, source="store issue"),
    Target(label="100 hung agents: latest cancel after its timeout", scenario="timeouts",
           path=("headline", "max_lateness_s"), unit="ms", scale=1e3, digits=1, goal=1.0,
           source="issue"),
    Target(label="100 hung agents (timeout 0.5 s): run ended at", scenario="timeouts",
           path=("headline", "run_end_s"), unit="s", goal=1.5, source="issue"),
    Target(label="HTTP (openai, loopback): cost per agent, zero latency, tool loop "
           "(default read-only tools, one turn)", scenario="http",
           path=("runs", "zero_latency", "per_agent_us"), unit="ms", scale=1e-3, digits=2),
    Target(label="… same, single completion (tools = [])", scenario="http",
           path=("runs", "zero_latency_no_tools", "per_agent_us"), unit="ms", scale=1e-3,
           digits=2),
    Target(label="HTTP: efficiency, 20 ms server latency, C=16", scenario="http",
           path=("runs", "latency_20ms", "efficiency"), digits=3),
    Target(label="HTTP: hung requests (timeout 0.5 s): run ended at", scenario="http",
           path=("runs", "hang", "run_end_s"), unit="s"),
    Target(label="Start, `flowdsl run` of a 1-agent script: process / inline (wall, "
           "median of paired rounds)",
           scenario="boundary", path=("headline", "cli_start_ratio"), digits=2, goal=1.3,
           source="issue"),
    Target(label="… same, ratio of the minimums", scenario="boundary",
           path=("headline", "cli_start_ratio_min"), digits=2),
    Target(label="… `flowdsl run`, isolation=process", scenario="boundary",
           path=("headline", "cli_process_s"), unit="s"),
    Target(label="… `flowdsl run`, isolation=inline", scenario="boundary",
           path=("headline", "cli_inline_s"), unit="s"),
    Target(label="… `flowdsl.run()` in a warm process: time the child adds", scenario="boundary",
           path=("headline", "api_added_ms"), unit="ms", digits=0),
    Target(label="Per-agent CPU, process − inline (fan-out, parent + script process)",
           scenario="boundary", path=("headline", "per_agent_added_us"), unit="µs", digits=1,
           goal=15, source="issue"),
    Target(label="… per-agent CPU, isolation=process", scenario="boundary",
           path=("headline", "per_agent_process_us"), unit="µs", digits=1),
    Target(label="… per-agent CPU, isolation=inline", scenario="boundary",
           path=("headline", "per_agent_inline_us"), unit="µs", digits=1),
    Target(label="3 GB allocation, 2 GiB cap: run fails \"memory limit of 2 GiB exceeded\"",
           scenario="boundary", path=("headline", "memory_error"), goal=True, source="issue"),
    Target(label="… parent peak RSS, 3 GB script / trivial script (flat)", scenario="boundary",
           path=("headline", "parent_peak_ratio"), digits=2, goal=1.1,
           source="issue: must stay flat"),
    Target(label="… parent peak RSS, 3 GB script", scenario="boundary",
           path=("headline", "parent_peak_alloc_mb"), unit="MB", digits=1),
    Target(label="… parent peak RSS, trivial script", scenario="boundary",
           path=("headline", "parent_peak_trivial_mb"), unit="MB", digits=1),
    Target(label="Worktree creation, one at a time (2,000-file repository, median)",
           scenario="worktree", path=("headline", "create_ms"), unit="ms", digits=0,
           goal=500, source="Claude Code: 200–500 ms"),
    Target(label="… plain `git worktree add` of the same tree", scenario="worktree",
           path=("headline", "git_add_ms"), unit="ms", digits=0),
    Target(label="… flowdsl's creation / plain `git worktree add` (same tree, same disk)",
           scenario="worktree", path=("headline", "create_vs_git"), digits=2, goal=1.1,
           source="git itself is the floor"),
    Target(label="… finish, nothing changed (worktree and branch removed)",
           scenario="worktree", path=("headline", "finish_unchanged_ms"), unit="ms", digits=0),
    Target(label="… finish, a file changed (commit, diffstat, worktree removed)",
           scenario="worktree", path=("headline", "finish_changed_ms"), unit="ms", digits=0),
    Target(label="… 64 created at once (runtime limit 4): wall per worktree",
           scenario="worktree", path=("headline", "fanout_create_per_worktree_ms"), unit="ms",
           digits=0),
    Target(label="… time an isolated agent adds end to end (64-agent fan-out)",
           scenario="worktree", path=("headline", "added_per_agent_ms"), unit="ms", digits=0),
    Target(label="Startup CPU, `flowdsl --version` / `python -c pass` (medians)",
           scenario="startup", path=("headline", "version_ratio"), digits=2, goal=3.0,
           source="issue 16"),
    Target(label="… `flowdsl runs list`, empty folder / `python -c pass`", scenario="startup",
           path=("headline", "runs_list_empty_ratio"), digits=2, goal=3.0, source="issue 16"),
    Target(label="… `flowdsl runs list`, beside a small store / `python -c pass`",
           scenario="startup", path=("headline", "runs_list_store_ratio"), digits=2, goal=3.0,
           source="issue 16"),
    Target(label="… `flowdsl check x.flow.py` / `python -c pass`", scenario="startup",
           path=("headline", "check_ratio"), digits=2, goal=3.0, source="issue 16"),
    Target(label="… `import flowdsl` / `python -c pass`", scenario="startup",
           path=("headline", "import_ratio"), digits=2),
    Target(label="… `python -c pass` itself (CPU)", scenario="startup",
           path=("headline", "python_ms"), unit="ms", digits=1),
    Target(label="Distributed: 200 agents × 1 s on 3 workers × 8, makespan efficiency",
           scenario="distributed", path=("headline", "efficiency_3_workers"), digits=3),
    Target(label="… the same fan-out in-process at concurrency 24", scenario="distributed",
           path=("headline", "in_process_efficiency"), digits=3),
    Target(label="… one agent at a time: wall per zero-latency agent on the queue",
           scenario="distributed", path=("headline", "queue_ms_per_agent"), unit="ms",
           digits=0),
)


def _machine_line(doc: Doc) -> str:
    m = doc.get("machine", {})
    load = m.get("loadavg_at_start")
    load_text = f", load {load[0]:.2f} at start" if load else ""
    return (f"{m.get('cores')} cores ({m.get('cpu')}), Python {m.get('python')}, "
            f"anyio {m.get('anyio')}, Node {m.get('node')}, {m.get('platform')}{load_text}")


def _code_line(doc: Doc) -> str:
    code = doc.get("code") or {}
    return (f"git {code.get('git_head')} + working tree, sources sha256 "
            f"{code.get('sources_sha256')} ({code.get('files')} files of flowdsl/ and compat/)")


def _efficiency_table(doc: Doc) -> list[str]:
    eff = doc.get("scenarios", {}).get("efficiency", {})
    points = [p for p in eff.get("points", []) if "efficiency" in p]
    if not points:
        return []
    lines = ["", "Makespan efficiency grid (medians; *task* = bare anyio, one task per agent "
             "through a limiter; *pool* = bare anyio worker pool of C tasks; `vs` = flowdsl "
             "makespan / bare makespan):", "",
             "| N | C | latency | timer | repeats | ideal s | flowdsl s | efficiency | "
             "task eff. | pool eff. | vs task | vs pool |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in points:
        pool_eff, vs_pool = p.get("bare_pool_efficiency"), p.get("vs_bare_pool")
        lines.append(
            f"| {p['n']} | {p['concurrency']} | {p['latency']} | {p['timer']} | {p['repeats']} "
            f"| {p['ideal_s']:.3f} | {p['flowdsl_s']['median']:.3f} | {p['efficiency']:.3f} "
            f"| {p['bare_efficiency']:.3f} | {_num(pool_eff)} | {p['vs_bare']:.3f} "
            f"| {_num(vs_pool)} |")
    zero = [p for p in eff.get("points", []) if "flowdsl_us_per_agent" in p]
    if zero:
        lines += ["", "Latency 0 (makespan / N): " + "; ".join(
            f"N={p['n']} C={p['concurrency']}: flowdsl {p['flowdsl_us_per_agent']:.0f} µs, "
            f"task {p['bare_us_per_agent']:.0f} µs, pool {_num(p.get('bare_pool_us_per_agent'), 0)}"
            " µs" for p in zero) + "."]
    for p in eff.get("other_event_loops", []):
        if "efficiency" in p:
            lines.append(f"Headline point on {p['event_loop']}: efficiency "
                         f"{p['efficiency']:.3f}, task {p['bare_efficiency']:.3f}, pool "
                         f"{_num(p.get('bare_pool_efficiency'))}, vs pool "
                         f"{_num(p.get('vs_bare_pool'))}.")
    return lines


def _num(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _overhead_table(doc: Doc) -> list[str]:
    over = doc.get("scenarios", {}).get("overhead", {})
    variants = over.get("variants")
    if not variants:
        return []
    conditions = over["conditions"]
    rounds = conditions.get("rounds", 1)
    lines = ["", f"Per-agent overhead at zero latency ({conditions['n']} agents, C=16, "
             f"(T(N) − T(0)) / N, the median of {rounds} round(s); every round's figure "
             "beside it):", "", "| variant | µs / agent | rounds |", "|---|---|---|"]
    for name, v in variants.items():
        shown = f"{v['per_agent_us']:.1f}" if "per_agent_us" in v else (
            f"skipped: {_short(v.get('skipped', '?'), 70)}")
        each = ", ".join(f"{x:.1f}" for x in v.get("rounds_us", []))
        lines.append(f"| {name} | {shown} | {each} |")
    return lines


def _boundary_lines(doc: Doc) -> list[str]:
    b = doc.get("scenarios", {}).get("boundary", {})
    if b.get("status") != "ok":
        return []
    cli, api = b["start"]["cli"], b["start"]["api"]["wall"]
    pa, mem = b["per_agent"], b["memory"]
    p, i = pa["process"], pa["inline"]
    return ["", (
        f"Process boundary ({cli['rounds']} interleaved rounds; medians, minimums in "
        f"brackets): `flowdsl run` wall {cli['wall']['process_ms']['median']:.0f} "
        f"({cli['wall']['process_ms']['min']:.0f}) ms process vs "
        f"{cli['wall']['inline_ms']['median']:.0f} ({cli['wall']['inline_ms']['min']:.0f}) ms "
        f"inline, ratio of medians {cli['wall']['ratio_median']:.2f}; CPU "
        f"{cli['cpu']['process_ms']['median']:.0f} vs {cli['cpu']['inline_ms']['median']:.0f} ms "
        f"(ratio {cli['cpu']['ratio_median']:.2f}). `flowdsl.run()` warm: "
        f"{api['process_ms']['median']:.0f} ms process vs {api['inline_ms']['median']:.1f} ms "
        f"inline. Fan-out of {b['conditions']['fanout']['n']}: CPU per agent "
        f"{p['cpu_us_per_agent_median']:.1f} ({p['cpu_us_per_agent_min']:.1f}) µs process = "
        f"{p['parent_cpu_us_per_agent']:.1f} parent + "
        f"{p['script_process_cpu_us_per_agent']:.1f} script process, vs "
        f"{i['cpu_us_per_agent_median']:.1f} ({i['cpu_us_per_agent_min']:.1f}) µs inline; wall "
        f"per agent +{pa['added_wall_us_per_agent']:.1f} µs. Memory cap: script process peak "
        f"{mem['alloc_script_process_peak_mb']:.1f} MB (3 GB script) vs "
        f"{mem['trivial_script_process_peak_mb']:.1f} MB (trivial).")]


def _worktree_lines(doc: Doc) -> list[str]:
    w = doc.get("scenarios", {}).get("worktree", {})
    if w.get("status") != "ok":
        return []
    c = w["conditions"]
    rows = [f"| {f['concurrency']} | {f['create_wall_s']['median']:.2f} s "
            f"({f['create_per_worktree_ms']:.0f} ms each) | {f['finish_wall_s']['median']:.2f} s "
            f"({f['finish_per_worktree_ms']:.0f} ms each) |" for f in w["fanout"]]
    n = w["fanout"][0]["n"] if w["fanout"] else 0
    return ["", f"Worktrees: {c['files']} files, {c['repo_mb']} MB, on {c['filesystem']}; "
            f"{n} worktrees created at once, then finished at once (nothing changed):", "",
            "| creation concurrency | create all | finish all |", "|---|---|---|", *rows]


def _distributed_lines(doc: Doc) -> list[str]:
    d = doc.get("scenarios", {}).get("distributed", {})
    if d.get("status") != "ok":
        return []
    rows = [f"| {f['workers']} | {f['slots']} | {f['ideal_s']:.2f} s | "
            f"{f['distributed_s']:.2f} s | {f['efficiency']:.3f} | {f['in_process_s']:.2f} s | "
            f"{f['in_process_efficiency']:.3f} |" for f in d["fanout"]]
    lat = d["latency"]
    return ["", f"Distributed: {d['conditions']['n']} agents × {d['conditions']['sleep']} s; "
            "workers, coordinator and PostgreSQL on this machine; a zero-agent run's wall "
            "(process start, connections) subtracted:", "",
            "| workers | slots | ideal | distributed | efficiency | in-process | efficiency |",
            "|---|---|---|---|---|---|---|", *rows, "",
            f"One agent at a time ({lat['agents']} zero-latency agents): "
            f"{lat['distributed_ms_per_agent']:.0f} ms per agent through the queue, "
            f"{lat['in_process_ms_per_agent']:.1f} ms in-process."]


def _plots(doc: Doc, plots_dir: Path, relative_to: Path | None) -> list[str]:
    names = doc.get("plots") or []
    base = relative_to or plots_dir
    lines = []
    for name in names:
        rel = os.path.relpath(plots_dir / name, base)
        lines.append(f"![{name}]({rel})")
    return ["", *lines] if lines else []


def markdown(doc: Doc, *, plots_dir: Path, json_name: str,
             relative_to: Path | None = None) -> str:
    """The results table (pass/miss per target) plus the detail tables and plots."""
    kind = "quick subset" if doc.get("quick") else "full suite"
    lines = [
        f"Run of {doc.get('started_at')} ({kind}, {doc.get('duration_s')} s), "
        f"results file `{json_name}`.",
        f"Machine: {_machine_line(doc)}.",
        f"Code: {_code_line(doc)}.",
        *[f"Re-run later: {', '.join(u['scenarios'])} at {u['at']} (sources sha256 "
          f"{u['code'].get('sources_sha256')})." for u in doc.get("updates", [])],
        "",
        "| figure | measured | target | result |",
        "|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(t.row(doc)) + " |" for t in TARGETS]
    statuses = {k: v.get("status") for k, v in doc.get("scenarios", {}).items()}
    skipped = {k: v.get("reason") or v.get("error") for k, v in doc.get("scenarios", {}).items()
               if v.get("status") != "ok"}
    lines += ["", "Scenarios: " + ", ".join(f"{k} {s}" for k, s in statuses.items()) + "."]
    lines += [f"- {k}: {_short(str(why), 200)}" for k, why in skipped.items()]
    lines += _efficiency_table(doc) + _overhead_table(doc) + _boundary_lines(doc)
    lines += _worktree_lines(doc) + _distributed_lines(doc)
    lines += _plots(doc, plots_dir, relative_to)
    return "\n".join(lines) + "\n"


def update_readme(readme: Path, section: str) -> None:
    """Replace the text between the markers of ``readme`` with ``section``."""
    text = readme.read_text(encoding="utf-8") if readme.exists() else f"{BEGIN}\n{END}\n"
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"{readme}: the generated-results markers are missing")
    readme.write_text(f"{head}{BEGIN}\n{section}{END}{tail}", encoding="utf-8")
