"""Scenario 2 — orchestration overhead per agent at zero latency, beside Node.

The same fan-out (N agents in one ``parallel``, concurrency 16, the js-oracle fake agent
with no latency) runs as:

- ``bare_anyio``: a task per agent, a ``CapacityLimiter``, the fake agent called directly —
  the floor any anyio runtime pays;
- ``flowdsl_unsandboxed``: the ``.flow.py`` text compiled without the sandbox, on the runtime;
- ``flowdsl_py``: the ``.flow.py`` through flowdsl's sandboxed frontend;
- ``flowdsl_py_scoped``: the same with a fake agent that does not promise to open no cancel
  scope before it waits, so every agent's timeout is filed with the run's watchdog (as an
  HTTP one's): on asyncio its task is then cancelled in place, elsewhere it runs in a
  cancel scope (the name is from when it was a scope everywhere);
- ``flowdsl_js``: the equivalent ``.js`` through the JS layer;
- ``node_reference``: the same ``.js`` in ``js-oracle/oracle.mjs``'s ``runScript``, timed
  in-process by ``oracle_bench.mjs`` (after warm-up: V8 needs a few runs to JIT).

Per-agent cost = (median CPU time of the N-agent run - median CPU time of the same script
with N = 0) / N, so fixed costs (globals, file read, vm context) cancel on both sides. CPU
time, not wall time: a 30 ms run's wall time moves by half under another process's load.
Every variant and Node are measured :data:`ROUNDS` times in turn, and each ratio is the
median of its ratios within a round.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

from flowdsl._frontends import CompiledWorkflow
from flowdsl._options import RunOptions
from flowdsl._types import AgentRequest
from flowdsl.testing import OracleBackend

from ._harness import REPO_ROOT, Skipped, progress, summarize
from ._workloads import FANOUT_JS, FANOUT_PY, Frontend, compile_workload, run_workflow

KEY = "overhead"
TITLE = "Per-agent orchestration overhead at zero latency (vs the Node reference)"

CONCURRENCY = 16
WARMUP = 3


def oracle_path() -> Path:
    """The JS reference runner the tests carry (or $FLOWDSL_JS_ORACLE)."""
    env = os.environ.get("FLOWDSL_JS_ORACLE")
    return Path(env) if env else REPO_ROOT / "tests" / "compat" / "js_oracle" / "oracle.mjs"


def _per_agent(full: list[float], empty: list[float], n: int) -> dict[str, Any]:
    f, e = summarize(full), summarize(empty)
    return {"per_agent_us": (f["median"] - e["median"]) / n * 1e6, "n": n, "repeats": len(full),
            "run_ms": _ms(f), "empty_run_ms": _ms(e)}


def _ms(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: (v * 1e3 if k != "n" else v) for k, v in stats.items()}


async def bare_fanout(n: int) -> float:
    """The floor: task + limiter + the same fake agent, no runtime."""
    limiter = anyio.CapacityLimiter(CONCURRENCY)
    fake = OracleBackend()
    results: list[Any] = [None] * n

    async def one(i: int) -> None:
        async with limiter:
            results[i] = (await fake.run(AgentRequest(prompt=f"item {i}"))).output

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(one, i)
    return time.perf_counter() - started


class ScopedOracleBackend(OracleBackend):
    """The same fake agent without the promise that it opens no cancel scope before it
    waits: each of its agents runs under its timeout's cancel scope from the start, as
    an agent of an HTTP or CLI backend does."""

    opens_no_scope_before_waiting = False


async def _flow_run(compiled: CompiledWorkflow, n: int,
                    backend: type[OracleBackend] = OracleBackend) -> float:
    options = RunOptions(concurrency=CONCURRENCY, max_agents=max(1000, n), isolation="inline")
    _, elapsed = await run_workflow(compiled, backend=backend(), options=options,
                                    args={"n": n})
    return elapsed


async def _measure_python(frontend: Frontend | None, n: int, repeats: int,
                          backend: type[OracleBackend] = OracleBackend) -> dict[str, Any]:
    compiled = None
    if frontend is not None:
        source = FANOUT_JS if frontend == "js" else FANOUT_PY
        compiled = compile_workload(source, "bench_fanout", frontend)

    async def once(count: int) -> float:
        """CPU seconds of one run: another process's load does not count (the wall
        time of a 30 ms run moves by half on this shared machine)."""
        started = time.process_time()
        if compiled is None:
            if count:
                await bare_fanout(count)
        else:
            await _flow_run(compiled, count, backend)
        return time.process_time() - started

    for _ in range(WARMUP):
        await once(n)
        await once(0)
    full: list[float] = []
    empty: list[float] = []
    for _ in range(repeats):
        full.append(await once(n))
        empty.append(await once(0))
    return _per_agent(full, empty, n)


def measure_node(n: int, repeats: int, workdir: Path) -> dict[str, Any]:
    """The Node reference, in-process timing through ``oracle_bench.mjs``.

    Raises:
        Skipped: node or the oracle is missing.
    """
    oracle = oracle_path()
    node = shutil.which("node")
    if node is None or not oracle.is_file():
        raise Skipped(f"node ({node or 'not on PATH'}) or {oracle} missing")
    script = workdir / "bench_fanout.js"
    script.write_text(FANOUT_JS, encoding="utf-8")
    harness = Path(__file__).with_name("oracle_bench.mjs")
    proc = subprocess.run([node, str(harness), str(oracle), str(script), str(n), str(repeats),
                           str(CONCURRENCY)], capture_output=True, text=True, timeout=300,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"oracle_bench.mjs failed: {proc.stderr.strip()[-300:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    result = _per_agent([t / 1e3 for t in data["ms"]], [t / 1e3 for t in data["empty_ms"]], n)
    result["node"] = subprocess.run([node, "--version"], capture_output=True, text=True,
                                    check=False).stdout.strip()
    return result


async def _all_python(n: int, repeats: int) -> dict[str, Any]:
    variants: dict[str, Any] = {}
    plan: list[tuple[str, Frontend | None]] = [
        ("bare_anyio", None), ("flowdsl_unsandboxed", "unsandboxed"),
        ("flowdsl_py", "sandboxed"), ("flowdsl_js", "js"),
    ]
    for name, frontend in plan:
        try:
            variants[name] = await _measure_python(frontend, n, repeats)
            if name == "flowdsl_py":
                variants["flowdsl_py_scoped"] = await _measure_python(
                    frontend, n, repeats, ScopedOracleBackend)
                progress(f"flowdsl_py_scoped: "
                         f"{variants['flowdsl_py_scoped']['per_agent_us']:.1f} µs/agent")
            progress(f"{name}: {variants[name]['per_agent_us']:.1f} µs/agent")
        except Skipped as exc:
            variants[name] = {"skipped": str(exc)}
            progress(f"{name}: skipped ({exc})")
    return variants


def _ratio(variants: dict[str, Any], a: str, b: str) -> float | None:
    x, y = variants.get(a, {}), variants.get(b, {})
    if "per_agent_us" not in x or "per_agent_us" not in y or y["per_agent_us"] <= 0:
        return None
    return float(x["per_agent_us"] / y["per_agent_us"])


async def _on_uvloop(n: int, repeats: int) -> dict[str, Any]:
    """The two flowdsl fan-outs again, on uvloop (what ``flowdsl[fast]`` runs on)."""
    variants: dict[str, Any] = {}
    for name, frontend in (("flowdsl_py_uvloop", "sandboxed"), ("flowdsl_js_uvloop", "js")):
        variants[name] = await _measure_python(frontend, n, repeats)
        progress(f"{name}: {variants[name]['per_agent_us']:.1f} µs/agent")
    return variants


RATIOS = {
    "py_vs_node": ("flowdsl_py", "node_reference"),
    "py_scoped_vs_node": ("flowdsl_py_scoped", "node_reference"),
    "js_vs_node": ("flowdsl_js", "node_reference"),
    "py_uvloop_vs_node": ("flowdsl_py_uvloop", "node_reference"),
    "js_uvloop_vs_node": ("flowdsl_js_uvloop", "node_reference"),
    "js_vs_py": ("flowdsl_js", "flowdsl_py"),
    "py_vs_unsandboxed": ("flowdsl_py", "flowdsl_unsandboxed"),
    "unsandboxed_vs_bare": ("flowdsl_unsandboxed", "bare_anyio"),
}
"""Each ratio: the median over rounds of the two variants' figures in the same round."""

ROUNDS = 5
"""Rounds of every variant and Node in turn: the load of this shared machine moves Node's
figure and Python's apart within minutes, so each ratio is taken within a round."""


def _one_round(n: int, repeats: int) -> dict[str, Any]:
    variants = anyio.run(_all_python, n, repeats)
    if importlib.util.find_spec("uvloop") is not None:
        variants.update(anyio.run(_on_uvloop, n, repeats, backend_options={"use_uvloop": True}))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            variants["node_reference"] = measure_node(n, repeats, Path(tmp))
            progress(f"node: {variants['node_reference']['per_agent_us']:.1f} µs/agent")
        except Skipped as exc:
            variants["node_reference"] = {"skipped": str(exc)}
    return variants


def _median_round(rounds: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """A variant's figures from the round of its median per-agent cost, with every
    round's figure beside them."""
    measured = sorted((r[name] for r in rounds if "per_agent_us" in r.get(name, {})),
                      key=lambda v: float(v["per_agent_us"]))
    if not measured:
        return rounds[0][name]  # type: ignore[no-any-return]
    return {**measured[(len(measured) - 1) // 2],
            "rounds_us": [round(float(v["per_agent_us"]), 2) for v in measured]}


def run(quick: bool) -> dict[str, Any]:
    n = 200 if quick else 1000
    repeats = 3 if quick else 9
    rounds = [_one_round(n, repeats) for _ in range(1 if quick else ROUNDS)]
    ratios: dict[str, float | None] = {}
    for key, (a, b) in RATIOS.items():
        each = [r for r in (_ratio(v, a, b) for v in rounds) if r is not None]
        ratios[key] = statistics.median(each) if each else None
    return {
        "conditions": {"n": n, "concurrency": CONCURRENCY, "latency": 0,
                       "backend": "OracleBackend (js-oracle fake agent)", "warmup_runs": WARMUP,
                       "repeats": repeats, "rounds": len(rounds), "event_loop": "asyncio",
                       "per_agent": "(median T(N) - median T(0)) / N, the median round's",
                       "ratios": "median over rounds of the ratio within a round"},
        "variants": {name: _median_round(rounds, name) for name in rounds[0]},
        "ratios": ratios,
    }
