"""Cold start — the CPU a short ``flowdsl`` command costs, against ``python -c pass``.

Goal (issue 16): ``flowdsl --version``, ``flowdsl runs list`` and ``flowdsl check
x.flow.py`` each use at most 3× the CPU of ``python -c pass``. What a command imports is
what it costs: the CLI builds every command's parser from light modules and imports a
command's machinery (runtime, backends, ``jsonschema``, ``rich``, the JS layer, the MCP
SDK) only when that command needs it.

Each sample is one fresh process; its CPU is user + system time from ``RUSAGE_CHILDREN``
deltas, so it counts interpreter start, imports, the work and interpreter exit. Every case
runs once per round, all in one invocation, the starting case rotating by round so that
drift on a shared machine hits every case alike; one warm-up round first (the OS page
cache, the bytecode caches, the on-disk compile cache). The cases:

- ``python``: ``python -c pass``, the floor every ratio is against;
- ``import``: ``python -c "import flowdsl"``;
- ``version``: ``flowdsl --version``;
- ``runs_list_empty``: ``flowdsl runs list`` in an empty folder (no store);
- ``runs_list_store``: ``flowdsl runs list`` beside a store of three finished runs;
- ``check``: ``flowdsl check x.flow.py``, a small Python workflow (compiled through the
  sandbox; the compile cache answers after the warm-up, as it does for a user).

``flowdsl`` is the console script next to ``sys.executable`` (``python -m flowdsl`` when
there is none). The children run in temporary folders with no project configuration, no
``$FLOWDSL_STORE``, their own compile cache, and ``PYTHONDONTWRITEBYTECODE`` unset, so
the warm-up writes bytecode caches as an installed package has them.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._harness import load_average, progress, summarize

KEY = "startup"
TITLE = "Cold start: CPU of short flowdsl commands against python -c pass"

GOAL_RATIO = 3.0
FULL = {"rounds": 15, "store_runs": 3}
QUICK = {"rounds": 3, "store_runs": 1}

WORKFLOW_PY = """\
meta = {"name": "bench-startup", "description": "one phase, one agent",
        "phases": [{"title": "Ask"}]}
phase("Ask")
return await agent("Say hello", label="hello")
"""

JSON = dict[str, Any]


def _flowdsl() -> list[str]:
    """The ``flowdsl`` command as a user runs it: the console script, else ``-m``."""
    script = Path(sys.executable).with_name("flowdsl")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "flowdsl"]


def _env(cache: Path) -> dict[str, str]:
    from flowdsl._frontends._compile_cache import CACHE_ENV
    from flowdsl._store import ENV_STORE

    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", ENV_STORE)}
    env[CACHE_ENV] = str(cache)
    return env


def _cases(empty: Path, with_store: Path, workflow: Path) -> dict[str, tuple[list[str], Path]]:
    flowdsl = _flowdsl()
    return {
        "python": ([sys.executable, "-c", "pass"], empty),
        "import": ([sys.executable, "-c", "import flowdsl"], empty),
        "version": ([*flowdsl, "--version"], empty),
        "runs_list_empty": ([*flowdsl, "runs", "list"], empty),
        "runs_list_store": ([*flowdsl, "runs", "list"], with_store),
        "check": ([*flowdsl, "check", str(workflow)], with_store),
    }


def _children_cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def _once(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """CPU and wall seconds of one process running ``cmd``, and what it printed."""
    before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    wall = time.perf_counter() - started
    cpu = _children_cpu() - before
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[-3:])}: exit {proc.returncode}: "
                           f"{proc.stderr.strip()[-500:]}")
    return cpu, wall, proc.stdout + proc.stderr


def _make_store(folder: Path, workflow: Path, runs: int, env: dict[str, str]) -> None:
    """``runs`` finished runs of ``workflow`` in ``folder/.flowdsl`` (simulate backend)."""
    for _ in range(runs):
        _once([*_flowdsl(), "run", str(workflow), "--backend", "simulate", "--isolation",
               "inline", "--json"], folder, env)


def _check_outputs(outputs: dict[str, str], store_runs: int) -> None:
    """The commands did their work (a fast wrong answer is no start-up figure)."""
    from flowdsl import __version__

    if f"flowdsl {__version__}" not in outputs["version"]:
        raise RuntimeError(f"flowdsl --version printed {outputs['version']!r}")
    if "no runs" not in outputs["runs_list_empty"]:
        raise RuntimeError(f"runs list (empty) printed {outputs['runs_list_empty']!r}")
    listed = outputs["runs_list_store"].count("bench-startup")
    if listed != store_runs:
        raise RuntimeError(f"runs list showed {listed} of the store's {store_runs} runs")
    if ": ok" not in outputs["check"]:
        raise RuntimeError(f"flowdsl check printed {outputs['check']!r}")


def run(quick: bool) -> JSON:
    plan = QUICK if quick else FULL
    load_start = load_average()
    with tempfile.TemporaryDirectory(prefix="flowdsl-bench-startup-") as tmp:
        root = Path(tmp)
        empty, with_store, cache = root / "empty", root / "store", root / "cache"
        for folder in (empty, with_store, cache):
            folder.mkdir()
        workflow = with_store / "x.flow.py"
        workflow.write_text(WORKFLOW_PY, encoding="utf-8")
        env = _env(cache)
        _make_store(with_store, workflow, plan["store_runs"], env)
        cases = _cases(empty, with_store, workflow)
        names = list(cases)

        outputs = {name: _once(cmd, cwd, env)[2] for name, (cmd, cwd) in cases.items()}
        _check_outputs(outputs, plan["store_runs"])  # the warm-up round
        cpu: dict[str, list[float]] = {name: [] for name in names}
        wall: dict[str, list[float]] = {name: [] for name in names}
        for r in range(plan["rounds"]):
            for name in names[r % len(names):] + names[:r % len(names)]:
                c, w, _ = _once(*cases[name], env)
                cpu[name].append(c)
                wall[name].append(w)

    base = statistics.median(cpu["python"])
    ratios = {name: statistics.median(cpu[name]) / base for name in names if name != "python"}
    paired = {name: statistics.median(c / p for c, p in zip(cpu[name], cpu["python"],
                                                            strict=True))
              for name in names if name != "python"}
    progress("startup CPU (median): " + ", ".join(
        f"{name} {statistics.median(cpu[name]) * 1e3:.0f} ms" for name in names))
    progress("ratios to python -c pass: " + ", ".join(
        f"{name} {ratio:.2f}" for name, ratio in ratios.items()))
    return {
        "conditions": {
            "rounds": plan["rounds"], "store_runs": plan["store_runs"],
            "cpu": "user + system of each process (RUSAGE_CHILDREN deltas), medians",
            "order": "every case once per round, the first case rotating by round; one "
                     "warm-up round first",
            "flowdsl": " ".join(_flowdsl()), "python": sys.version.split()[0],
            "cwd": "temporary folders (no configuration, no $FLOWDSL_STORE); own compile "
                   "cache; bytecode caches written in the warm-up",
            "loadavg_start": load_start, "loadavg_end": load_average(),
        },
        "cpu_ms": {name: {k: (v * 1e3 if k != "n" else v) for k, v in summarize(s).items()}
                   for name, s in cpu.items()},
        "wall_ms": {name: statistics.median(s) * 1e3 for name, s in wall.items()},
        "ratio_to_python": ratios,
        "paired_ratio_to_python": paired,
        "headline": {
            "python_ms": base * 1e3,
            "import_ratio": ratios["import"],
            "version_ratio": ratios["version"],
            "runs_list_empty_ratio": ratios["runs_list_empty"],
            "runs_list_store_ratio": ratios["runs_list_store"],
            "check_ratio": ratios["check"],
            "all_within_goal": all(ratios[k] <= GOAL_RATIO for k in (
                "version", "runs_list_empty", "runs_list_store", "check")),
        },
    }
