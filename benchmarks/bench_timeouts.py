"""Scenario 5 — timeouts that really cancel: 100 hung agents, timeout 0.5 s.

The backend never answers. With concurrency 100 every agent starts at once, so the run
should end just after 0.5 s: ``lateness`` is how long after its own deadline each agent
was cancelled (its recorded duration minus the timeout), ``run_end_s`` when the whole run
returned. The full suite also runs them at concurrency 16 (seven waves: ideal 3.5 s), where
each wave's slot must be freed the moment its agent is cancelled.
"""

from __future__ import annotations

import math
import time
from typing import Any

import anyio

from flowdsl._options import RunOptions
from flowdsl._runtime import RunEvent

from ._harness import progress, summarize
from ._workloads import FANOUT_PY, HangBackend, best_python_frontend, compile_workload, run_workflow

KEY = "timeouts"
TITLE = "Hung agents: time until all are cancelled"

AGENTS = 100
TIMEOUT = 0.5


async def hung_run(concurrency: int) -> dict[str, Any]:
    frontend = best_python_frontend()
    compiled = compile_workload(FANOUT_PY, "bench_hang", frontend)
    backend = HangBackend()
    finished: list[float] = []

    def observe(event: RunEvent) -> None:
        if event.kind == "agent_finished":
            finished.append(time.perf_counter())

    started = time.perf_counter()
    result, elapsed = await run_workflow(
        compiled, backend=backend, args={"n": AGENTS}, observers=[observe],
        options=RunOptions(concurrency=concurrency, agent_timeout=TIMEOUT,
                           isolation="inline"))
    lateness = [r.duration - TIMEOUT for r in result.agents]
    ideal = math.ceil(AGENTS / concurrency) * TIMEOUT
    return {
        "agents": AGENTS, "concurrency": concurrency, "timeout_s": TIMEOUT,
        "frontend": frontend, "timed_out": sum(r.status == "timeout" for r in result.agents),
        "succeeded": result.value, "ideal_end_s": ideal, "run_end_s": elapsed,
        "last_cancel_s": max(finished) - started if finished else None,
        "run_end_after_ideal_s": elapsed - ideal,
        "lateness_s": summarize(lateness) if lateness else None,
    }


async def _all(quick: bool) -> list[dict[str, Any]]:
    runs = []
    for concurrency in (AGENTS,) if quick else (AGENTS, 16):
        r = await hung_run(concurrency)
        progress(f"C={concurrency}: run ended at {r['run_end_s']:.3f} s (ideal {r['ideal_end_s']}),"
                 f" max lateness {r['lateness_s']['max'] * 1e3:.1f} ms")
        runs.append(r)
    return runs


def run(quick: bool) -> dict[str, Any]:
    runs = anyio.run(_all, quick)
    return {
        "conditions": {"backend": "HangBackend (anyio.sleep_forever)", "event_loop": "asyncio",
                       "agents": AGENTS, "timeout_s": TIMEOUT},
        "runs": runs,
        "headline": {"run_end_s": runs[0]["run_end_s"],
                     "max_lateness_s": runs[0]["lateness_s"]["max"],
                     "all_cancelled": runs[0]["timed_out"] == AGENTS},
    }
