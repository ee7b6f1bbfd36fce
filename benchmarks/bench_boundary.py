"""Scenario 8 — the process boundary: start cost, per-agent crossing cost, the memory cap.

Since ``RunOptions.isolation="process"`` is the default, every run starts a supervised
child for its script, and each ``agent()`` call crosses to the parent as a JSON message
(batched per event-loop turn). This scenario prices that against ``isolation="inline"``,
the two modes always interleaved within one invocation (the order alternates by round), so
drift on a shared machine hits both sides:

1. ``start``: the whole ``flowdsl run`` CLI (a fresh ``python -m flowdsl run`` process,
   ``--backend simulate --no-journal``) of a one-agent script, wall time and the CPU of
   the CLI and its script process (``RUSAGE_CHILDREN`` deltas); then ``flowdsl.run(...)``
   from Python in one warm process (imports and the compile cache already paid).
2. ``per_agent``: a fan-out of N agents (``FunctionBackend(lambda r: "x")``, zero latency,
   ``max_agents`` raised to N) in a fresh measuring process per round (warmed up first);
   CPU of that process plus its script process (``RUSAGE_SELF`` + ``RUSAGE_CHILDREN``
   deltas around each run), minus the same for N = 1, divided by N − 1: µs of CPU per agent
   in each mode, and the difference (the price of one crossing).
3. ``memory``: a script allocating 3 GB under the default 2 GiB address-space cap, run by
   the CLI's ``main()`` inside a fresh measuring process: the run must fail with "memory
   limit of 2 GiB exceeded" and that process's peak RSS (VmHWM: the parent side only; the
   script's process is reported apart, from ``RUSAGE_CHILDREN``) must stay where a
   trivial run's is.

Every figure has its medians and minimums; the ratios and differences are given for both.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from flowdsl._options import Isolation

from ._harness import load_average, peak_rss_mb, progress, run_child, summarize

KEY = "boundary"
TITLE = "The process boundary: start cost, per-agent crossing cost, the memory cap"

MODES: tuple[Isolation, ...] = ("process", "inline")

TRIVIAL_PY = """\
meta = {"name": "bench-trivial", "description": "one agent"}
return await agent("hello")
"""

FANOUT_PY = """\
meta = {"name": "bench-boundary-fanout", "description": "n agents across the boundary"}
outs = await parallel([agent("p" + str(i)) for i in range(args["n"])])
return len([o for o in outs if o is not None])
"""

ALLOC_PY = """\
meta = {"name": "bench-alloc", "description": "allocates 3 GB"}
x = "x".center(3 * 1024 * 1024 * 1024)
return len(x)
"""

MEMORY_ERROR = "memory limit of 2 GiB exceeded"

FULL = {"cli_rounds": 15, "api_rounds": 10, "fanout_n": 4000, "fanout_rounds": 4,
        "fanout_repeats": 2, "memory_rounds": 2}
QUICK = {"cli_rounds": 2, "api_rounds": 2, "fanout_n": 1500, "fanout_rounds": 1,
         "fanout_repeats": 1, "memory_rounds": 1}

JSON = dict[str, Any]


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its reaped descendants."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _order(round_index: int) -> tuple[Isolation, ...]:
    """process first on even rounds, inline first on odd ones."""
    return MODES if round_index % 2 == 0 else MODES[::-1]


def _stats_ms(samples: list[float]) -> JSON:
    return {k: (v * 1e3 if k != "n" else v) for k, v in summarize(samples).items()}


def _compare(process: list[float], inline: list[float], paired: list[float]) -> JSON:
    """Process vs inline: medians, minimums, their ratios and the median paired ratio."""
    p, i = summarize(process), summarize(inline)
    return {
        "process_ms": _stats_ms(process), "inline_ms": _stats_ms(inline),
        "samples_ms": {"process": [round(x * 1e3, 2) for x in process],
                       "inline": [round(x * 1e3, 2) for x in inline]},
        "ratio_median": p["median"] / i["median"], "ratio_min": p["min"] / i["min"],
        "ratio_paired_median": statistics.median(paired),
        "added_ms_median": (p["median"] - i["median"]) * 1e3,
        "added_ms_min": (p["min"] - i["min"]) * 1e3,
    }


# -- 1. start cost ---------------------------------------------------------------------

def _cli_once(script: Path, isolation: Isolation, cwd: Path) -> tuple[float, float, str]:
    """Wall and CPU (the CLI process and its script process) of one ``flowdsl run``."""
    cmd = [sys.executable, "-m", "flowdsl", "run", str(script), "--backend", "simulate",
           "--no-journal", "--isolation", isolation]
    _, kids_before = _cpu()
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)
    wall = time.perf_counter() - started
    _, kids_after = _cpu()
    if proc.returncode != 0:
        raise RuntimeError(f"flowdsl run --isolation {isolation}: exit {proc.returncode}: "
                           f"{proc.stderr.strip()[-500:]}")
    return wall, kids_after - kids_before, proc.stdout.strip()


def _interleaved(
    rounds: int, once: Callable[[Isolation], tuple[float, float]]
) -> tuple[dict[str, list[float]], dict[str, list[float]], list[float]]:
    """``once(mode) -> (wall, cpu)`` for both modes per round, the order alternating, after
    one warm-up each (the OS page cache, the on-disk compile cache): wall and CPU samples
    per mode, and each round's process / inline wall ratio."""
    for mode in MODES:
        once(mode)
    wall: dict[str, list[float]] = {m: [] for m in MODES}
    cpu: dict[str, list[float]] = {m: [] for m in MODES}
    paired: list[float] = []
    for r in range(rounds):
        this: dict[str, float] = {}
        for mode in _order(r):
            w, c = once(mode)
            wall[mode].append(w)
            cpu[mode].append(c)
            this[mode] = w
        paired.append(this["process"] / this["inline"])
    return wall, cpu, paired


def _cli_start(script: Path, cwd: Path, rounds: int) -> JSON:
    wall, cpu, paired = _interleaved(rounds, lambda mode: _cli_once(script, mode, cwd)[:2])
    cpu_p, cpu_i = summarize(cpu["process"]), summarize(cpu["inline"])
    return {
        "command": "python -m flowdsl run trivial.flow.py --backend simulate --no-journal "
                   "--isolation {process,inline}",
        "rounds": rounds,
        "wall": _compare(wall["process"], wall["inline"], paired),
        "cpu": {"process_ms": _stats_ms(cpu["process"]), "inline_ms": _stats_ms(cpu["inline"]),
                "ratio_median": cpu_p["median"] / cpu_i["median"],
                "ratio_min": cpu_p["min"] / cpu_i["min"],
                "added_ms_median": (cpu_p["median"] - cpu_i["median"]) * 1e3},
    }


def api_start_case(script: str, rounds: int) -> JSON:
    """``flowdsl.run(script)`` in this (warm) process, the two isolations interleaved."""
    import flowdsl

    def once(mode: Isolation) -> tuple[float, float]:
        me0, kids0 = _cpu()
        started = time.perf_counter()
        result = flowdsl.run(script, backend="simulate", isolation=mode, journal=False)
        wall = time.perf_counter() - started
        me1, kids1 = _cpu()
        if result.status != "completed":
            raise RuntimeError(f"flowdsl.run isolation={mode}: {result.status}: {result.error}")
        return wall, (me1 - me0) + (kids1 - kids0)

    wall, cpu, paired = _interleaved(rounds, once)
    return {"rounds": rounds, "wall": _compare(wall["process"], wall["inline"], paired),
            "cpu": {"process_ms": _stats_ms(cpu["process"]),
                    "inline_ms": _stats_ms(cpu["inline"])}}


# -- 2. per-agent crossing cost ------------------------------------------------------------

def fanout_case(n: int, repeats: int, first: str) -> JSON:
    """In a fresh process: warm both modes, then time fan-outs of ``n`` and of 1 agent.

    Each measurement is CPU of this process (the parent side, and all of an inline run)
    plus that of the script's process once reaped, around one ``execute``.
    """
    from flowdsl._frontends import compile_source
    from flowdsl._options import RunOptions
    from flowdsl._runtime import execute
    from flowdsl.testing import FunctionBackend

    compiled = compile_source(FANOUT_PY, "bench_boundary_fanout.flow.py")

    async def once(size: int, mode: Isolation) -> JSON:
        backend = FunctionBackend(lambda request: "x")
        options = RunOptions(isolation=mode, concurrency=16, max_agents=max(size, 1000),
                             max_items=max(size, 4096))
        me0, kids0 = _cpu()
        started = time.perf_counter()
        result = await execute(compiled, args={"n": size}, backend=backend, options=options)
        wall = time.perf_counter() - started
        me1, kids1 = _cpu()
        if result.status != "completed" or result.value != size:
            raise RuntimeError(f"fan-out of {size}, {mode}: {result.status} {result.error}")
        return {"wall": wall, "self": me1 - me0, "child": kids1 - kids0}

    order = MODES if first == MODES[0] else MODES[::-1]

    async def main() -> dict[str, dict[str, list[JSON]]]:
        for mode in order:  # warm-up: imports, caches, the allocator
            await once(min(n, 200), mode)
            await once(1, mode)
        samples: dict[str, dict[str, list[JSON]]] = {
            m: {"n": [], "one": []} for m in MODES}
        for rep in range(repeats):
            modes = order if rep % 2 == 0 else order[::-1]
            for mode in modes:
                samples[mode]["n"].append(await once(n, mode))
                samples[mode]["one"].append(await once(1, mode))
        return samples

    return {"n": n, "first": first, "samples": anyio.run(main)}


def _per_agent(rounds: list[JSON], n: int) -> JSON:
    out: JSON = {}
    for mode in MODES:
        big = [s for r in rounds for s in r["samples"][mode]["n"]]
        one = [s for r in rounds for s in r["samples"][mode]["one"]]

        def total(s: JSON) -> float:
            return float(s["self"] + s["child"])

        def per(pick: Callable[[list[float]], float], key: Callable[[JSON], float],
                big: list[JSON] = big, one: list[JSON] = one) -> float:
            return (pick([key(s) for s in big]) - pick([key(s) for s in one])) / (n - 1) * 1e6

        out[mode] = {
            "cpu_us_per_agent_median": per(statistics.median, total),
            "cpu_us_per_agent_min": per(min, total),
            "parent_cpu_us_per_agent": per(statistics.median, lambda s: float(s["self"])),
            "script_process_cpu_us_per_agent": per(statistics.median,
                                                   lambda s: float(s["child"])),
            "wall_us_per_agent": per(statistics.median, lambda s: float(s["wall"])),
            "cpu_ms_n": _stats_ms([total(s) for s in big]),
            "cpu_ms_one": _stats_ms([total(s) for s in one]),
            "wall_ms_n": _stats_ms([s["wall"] for s in big]),
            "wall_ms_one": _stats_ms([s["wall"] for s in one]),
            "samples": len(big),
        }
    p, i = out["process"], out["inline"]
    out["added_cpu_us_per_agent"] = p["cpu_us_per_agent_median"] - i["cpu_us_per_agent_median"]
    out["added_cpu_us_per_agent_min"] = p["cpu_us_per_agent_min"] - i["cpu_us_per_agent_min"]
    out["added_wall_us_per_agent"] = p["wall_us_per_agent"] - i["wall_us_per_agent"]
    out["cpu_ratio"] = p["cpu_us_per_agent_median"] / i["cpu_us_per_agent_median"]
    return out


# -- 3. the memory cap -----------------------------------------------------------------

def memory_case(script: str) -> JSON:
    """Run ``flowdsl run SCRIPT --json`` through the CLI's ``main()`` in this fresh process;
    its peak RSS (VmHWM) is the parent side's, the script's process is apart."""
    from flowdsl._cli import main

    os.chdir(Path(script).parent)  # no project configuration: the default 2 GiB cap
    baseline = peak_rss_mb()
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["run", script, "--backend", "simulate", "--no-journal", "--json"])
    elapsed = time.perf_counter() - started
    try:
        result = json.loads(out.getvalue())
    except json.JSONDecodeError:
        result = {"status": "?", "error": (out.getvalue() + err.getvalue()).strip()[-300:]}
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"exit_code": code, "status": result.get("status"), "error": result.get("error"),
            "time_s": elapsed, "peak_before_run_mb": baseline, "parent_peak_mb": peak_rss_mb(),
            "script_process_peak_mb": kids}


def _memory(trivial: Path, alloc: Path, rounds: int) -> JSON:
    runs: dict[str, list[JSON]] = {"trivial": [], "alloc_3gb": []}
    for r in range(rounds):
        kinds = ("alloc_3gb", "trivial") if r % 2 == 0 else ("trivial", "alloc_3gb")
        for kind in kinds:
            script = alloc if kind == "alloc_3gb" else trivial
            runs[kind].append(run_child(["--case", "benchmarks.bench_boundary:memory_case",
                                         json.dumps({"script": str(script)})], timeout=120))
    trivial_peak = statistics.median(r["parent_peak_mb"] for r in runs["trivial"])
    alloc_peak = statistics.median(r["parent_peak_mb"] for r in runs["alloc_3gb"])
    alloc_errors = [str(r["error"]) for r in runs["alloc_3gb"]]
    return {
        "memory_limit": "2 GiB (default)", "allocation": '"x".center(3 * 1024**3)',
        "runs": runs,
        "alloc_failed_with_memory_error": all(
            r["status"] == "failed" and MEMORY_ERROR in str(r["error"]) and r["exit_code"] == 1
            for r in runs["alloc_3gb"]) and all(r["status"] == "completed"
                                                for r in runs["trivial"]),
        "alloc_error": alloc_errors[0] if alloc_errors else None,
        "trivial_parent_peak_mb": trivial_peak,
        "alloc_parent_peak_mb": alloc_peak,
        "parent_peak_ratio": alloc_peak / trivial_peak,
        "parent_peak_added_mb": alloc_peak - trivial_peak,
        "trivial_script_process_peak_mb": statistics.median(
            r["script_process_peak_mb"] for r in runs["trivial"]),
        "alloc_script_process_peak_mb": statistics.median(
            r["script_process_peak_mb"] for r in runs["alloc_3gb"]),
    }


# -- the scenario ----------------------------------------------------------------------------

def run(quick: bool) -> JSON:
    plan = QUICK if quick else FULL
    load_start = load_average()
    with tempfile.TemporaryDirectory(prefix="flowdsl-bench-boundary-") as tmp:
        folder = Path(tmp)
        trivial = _write(folder, "trivial.flow.py", TRIVIAL_PY)
        alloc = _write(folder, "alloc.flow.py", ALLOC_PY)

        cli = _cli_start(trivial, folder, plan["cli_rounds"])
        w = cli["wall"]
        progress(f"CLI start: process {w['process_ms']['median']:.0f} ms, inline "
                 f"{w['inline_ms']['median']:.0f} ms (medians): paired ratio "
                 f"{w['ratio_paired_median']:.2f}, of medians {w['ratio_median']:.2f}, of minimums"
                 f" {w['ratio_min']:.2f}")

        api = run_child(["--case", "benchmarks.bench_boundary:api_start_case",
                         json.dumps({"script": str(trivial), "rounds": plan["api_rounds"]})],
                        timeout=300)
        w = api["wall"]
        progress(f"flowdsl.run (warm): process {w['process_ms']['median']:.1f} ms, inline "
                 f"{w['inline_ms']['median']:.1f} ms (medians)")

        n = plan["fanout_n"]
        rounds = []
        for r in range(plan["fanout_rounds"]):
            rounds.append(run_child(
                ["--case", "benchmarks.bench_boundary:fanout_case",
                 json.dumps({"n": n, "repeats": plan["fanout_repeats"], "first": _order(r)[0]})],
                timeout=300))
        per_agent = _per_agent(rounds, n)
        progress(f"per agent (N={n}): process {per_agent['process']['cpu_us_per_agent_median']:.1f}"
                 f" µs CPU, inline {per_agent['inline']['cpu_us_per_agent_median']:.1f} µs CPU: "
                 f"+{per_agent['added_cpu_us_per_agent']:.1f} µs")

        memory = _memory(trivial, alloc, plan["memory_rounds"])
        progress(f"memory cap: error ok={memory['alloc_failed_with_memory_error']}, parent peak "
                 f"{memory['alloc_parent_peak_mb']:.1f} MB vs trivial "
                 f"{memory['trivial_parent_peak_mb']:.1f} MB")
    return {
        "conditions": {
            "modes": "isolation=process vs isolation=inline, interleaved (order alternates by "
                     "round) in one invocation",
            "backend": "CLI and flowdsl.run: simulate; fan-out: FunctionBackend(lambda r: 'x')",
            "cpu": "user + system, RUSAGE_SELF + RUSAGE_CHILDREN deltas (the script's process "
                   "is reaped before a run returns)",
            "peak_rss": "VmHWM of the measuring process (parent side only)",
            "fanout": {"n": n, "rounds": plan["fanout_rounds"],
                       "repeats_per_round": plan["fanout_repeats"], "concurrency": 16,
                       "fresh_process_per_round": True},
            "python": sys.version.split()[0], "executable": sys.executable,
            "loadavg_start": load_start, "loadavg_end": load_average(),
            "cwd": "a temporary folder (no project configuration)",
        },
        "start": {"cli": cli, "api": api},
        "per_agent": per_agent,
        "memory": memory,
        "headline": {
            "cli_start_ratio": cli["wall"]["ratio_paired_median"],
            "cli_start_ratio_of_medians": cli["wall"]["ratio_median"],
            "cli_start_ratio_min": cli["wall"]["ratio_min"],
            "cli_process_s": cli["wall"]["process_ms"]["median"] / 1e3,
            "cli_inline_s": cli["wall"]["inline_ms"]["median"] / 1e3,
            "api_added_ms": api["wall"]["added_ms_median"],
            "api_process_ms": api["wall"]["process_ms"]["median"],
            "api_inline_ms": api["wall"]["inline_ms"]["median"],
            "per_agent_process_us": per_agent["process"]["cpu_us_per_agent_median"],
            "per_agent_inline_us": per_agent["inline"]["cpu_us_per_agent_median"],
            "per_agent_added_us": per_agent["added_cpu_us_per_agent"],
            "per_agent_added_us_min": per_agent["added_cpu_us_per_agent_min"],
            "per_agent_added_wall_us": per_agent["added_wall_us_per_agent"],
            "memory_error": memory["alloc_failed_with_memory_error"],
            "parent_peak_trivial_mb": memory["trivial_parent_peak_mb"],
            "parent_peak_alloc_mb": memory["alloc_parent_peak_mb"],
            "parent_peak_ratio": memory["parent_peak_ratio"],
        },
    }
