"""Scenario 3 — behaviour at the limits: 4096 items, the agent cap, the budget.

Each case runs in its own process (``python -m benchmarks --case ...``) so its peak RSS
(VmHWM) is its own; ``baseline_mb`` is the RSS after imports and compiling the script,
``peak_mb`` the high-water mark at the end of the run.

- ``parallel_4096`` / ``pipeline_4096``: 4096 agents pending at once (concurrency 16), the
  agent cap raised to 4096 so the item cap is what is exercised; time and peak memory.
- ``agent_cap``: 1,200 agents in one ``parallel`` (each call made as its item starts)
  under the default cap of 1,000: the 1,001st call raises (its item becomes None);
  exactly 1,000 reach the backend.
- ``budget``: 16 workers call agents in a loop (20 ms, 20 tokens each) until the budget
  (8,000 tokens) is spent: time from the moment the budget is exhausted to the end of the
  run, and how many tokens in-flight agents added past it.
"""

from __future__ import annotations

import json
import time
from typing import Any

import anyio

from flowdsl._options import RunOptions
from flowdsl._runtime import RunEvent
from flowdsl.backends import AgentBackend
from flowdsl.testing import SleepBackend

from ._harness import peak_rss_mb, progress, rss_mb, run_child
from ._workloads import (
    BUDGET_PY,
    FANOUT_PY,
    PIPELINE_PY,
    best_python_frontend,
    compile_workload,
    run_workflow,
)

KEY = "limits"
TITLE = "Limits: 4096 items, the 1000-agent cap, budget exhaustion"

ITEMS = 4096
BUDGET = 8000
CASES = ("parallel_4096", "pipeline_4096", "agent_cap", "budget")


def _items_case(kind: str, quick: bool) -> dict[str, Any]:
    source = FANOUT_PY if kind == "parallel_4096" else PIPELINE_PY
    frontend = best_python_frontend()
    compiled = compile_workload(source, f"bench_{kind}", frontend)
    latency = 0.0 if quick else 0.005
    backend = SleepBackend(latency)
    baseline = rss_mb()

    async def main() -> float:
        result, elapsed = await run_workflow(
            compiled, backend=backend,
            options=RunOptions(concurrency=16, max_agents=ITEMS, isolation="inline"),
            args={"n": ITEMS})
        if result.value != ITEMS:
            raise RuntimeError(f"{kind}: {result.value} of {ITEMS} items succeeded")
        return elapsed

    elapsed = anyio.run(main)
    peak = peak_rss_mb()
    return {"items": ITEMS, "concurrency": 16, "latency_s": latency, "frontend": frontend,
            "time_s": elapsed, "baseline_mb": baseline, "peak_mb": peak,
            "kb_per_item": (peak - baseline) * 1024 / ITEMS,
            "backend_peak_in_flight": backend.peak_in_flight, "agents": backend.calls}


CAP_PY = """\
meta = {"name": "bench-cap", "description": "n agents, each made when its item starts"}
results = await parallel([lambda i=i: agent(f"item {i}") for i in range(args["n"])])
return len([r for r in results if r is not None])
"""
"""Calls made only as items start: made all at once, calls past the cap would fail the
script when made (never-awaited calls count against the cap), before any is paid for."""


def _cap_case() -> dict[str, Any]:
    frontend = best_python_frontend()
    compiled = compile_workload(CAP_PY, "bench_cap", frontend)
    backend = SleepBackend(0.0)
    attempted = 1200

    async def main() -> tuple[Any, float]:
        result, elapsed = await run_workflow(compiled, backend=backend,
                                             options=RunOptions(concurrency=16, max_agents=1000,
                                                                isolation="inline"),
                                             args={"n": attempted})
        return result.value, elapsed

    value, elapsed = anyio.run(main)
    return {"attempted": attempted, "max_agents": 1000, "succeeded": value,
            "backend_calls": backend.calls, "cap_enforced": backend.calls == 1000 == value,
            "time_s": elapsed, "frontend": frontend}


def _budget_case() -> dict[str, Any]:
    frontend = best_python_frontend()
    compiled = compile_workload(BUDGET_PY, "bench_budget", frontend)
    backend: AgentBackend = SleepBackend(0.020)
    spent = 0
    exhausted_at: float | None = None

    def observe(event: RunEvent) -> None:
        nonlocal spent, exhausted_at
        if event.kind == "agent_finished" and event.record is not None:
            spent += event.record.usage.total_tokens
            if exhausted_at is None and spent >= BUDGET:
                exhausted_at = time.perf_counter()

    async def main() -> tuple[Any, float, float]:
        started = time.perf_counter()
        result, elapsed = await run_workflow(
            compiled, backend=backend, args={"workers": 16}, observers=[observe],
            options=RunOptions(concurrency=16, budget=BUDGET, isolation="inline"))
        return result, started, elapsed

    result, started, elapsed = anyio.run(main)
    ended = started + elapsed
    if exhausted_at is None:
        raise RuntimeError("the budget was never exhausted")
    return {"budget_tokens": BUDGET, "tokens_per_agent": 20, "latency_s": 0.02,
            "workers": 16, "agents": len(result.agents), "spent": result.usage.total_tokens,
            "overshoot_tokens": result.usage.total_tokens - BUDGET,
            "exhausted_after_s": exhausted_at - started,
            "time_to_stop_s": ended - exhausted_at, "time_s": elapsed, "frontend": frontend}


def case(kind: str, quick: bool) -> dict[str, Any]:
    """One case, in the calling process (meant to be a fresh child)."""
    if kind in ("parallel_4096", "pipeline_4096"):
        return _items_case(kind, quick)
    if kind == "agent_cap":
        return _cap_case()
    if kind == "budget":
        return _budget_case()
    raise ValueError(kind)


def run(quick: bool) -> dict[str, Any]:
    cases: dict[str, Any] = {}
    for kind in CASES:
        kwargs = json.dumps({"kind": kind, "quick": quick})
        cases[kind] = run_child(["--case", "benchmarks.bench_limits:case", kwargs], timeout=300)
        shown = {k: round(v, 3) if isinstance(v, float) else v for k, v in cases[kind].items()}
        progress(f"{kind}: {shown}")
    return {
        "conditions": {"isolation": "one process per case; RSS from /proc/self/status",
                       "backend": "SleepBackend", "event_loop": "asyncio"},
        "cases": cases,
    }
