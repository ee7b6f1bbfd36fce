"""Scenario 1 — makespan efficiency: ideal makespan / actual, against a bare fan-out.

For each N (agents), C (concurrency) and latency, the same fan-out runs three times a
repeat, interleaved (the order rotates): as a bare anyio fan-out (one task per agent through
a ``CapacityLimiter(C)``, the agent a plain sleep), as a bare worker pool (C tasks pulling
the next sleep from a shared queue — the event loop's floor for this schedule), and as a
flowdsl workflow with a latency-injecting backend. The numbers per point:

- ``efficiency`` = ideal / flowdsl makespan, the ideal being ``ceil(N/C) * latency``
  (with jitter: FIFO list scheduling of the very delays the seeded backend draws);
- ``bare_efficiency`` = ideal / bare makespan: what the event loop itself allows;
- ``vs_bare`` = flowdsl / bare makespan: the runtime's own cost (DESIGN: ≤ 1.01);
- ``bare_pool_efficiency`` and ``vs_bare_pool``: the same against the worker pool.

``timer="loop"`` uses ``anyio.sleep`` (the agent lasts ~0.7 ms longer than asked: the
loop's timer granularity); ``timer="precise"`` uses :func:`precise_sleep` on both sides, so
the fake agent's latency is the nominal one and the rest is orchestration. At latency 0
efficiency is undefined and the point reports time per agent instead.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio

from flowdsl._frontends import CompiledWorkflow
from flowdsl._options import RunOptions
from flowdsl.backends import AgentBackend
from flowdsl.testing import SleepBackend

from ._harness import progress, summarize
from ._workloads import (
    FANOUT_PY,
    PreciseSleepBackend,
    best_python_frontend,
    compile_workload,
    delays,
    ideal_makespan,
    precise_sleep,
    run_workflow,
)

KEY = "efficiency"
TITLE = "Makespan efficiency (ideal / actual) vs a bare anyio fan-out"

SEED = 1
JITTER = 0.005
LATENCIES: dict[str, tuple[float, float]] = {
    "0": (0.0, 0.0),
    "20ms": (0.020, 0.0),
    "20ms±5ms": (0.020, JITTER),
}
HEAD_N = 1000
HEAD_C = 16
HEAD_LATENCY = "20ms"
POOL_MAX_IDEAL = 6.0
"""The pool baseline is skipped where one run takes longer than this (C=1, N=1000)."""

Sleep = Callable[[float], Awaitable[None]]
Point = dict[str, Any]


def _grid(quick: bool) -> Iterator[tuple[int, int, str, str]]:
    """(N, C, latency name, timer) in the order they are measured."""
    if quick:
        for c in (16, 64):
            for lat in ("0", "20ms"):
                yield 100, c, lat, "loop"
        yield 1000, 16, "20ms", "loop"
        yield 1000, 16, "20ms", "precise"
        return
    for n in (100, 1000):
        for c in (1, 4, 16, 64):
            for lat in LATENCIES:
                yield n, c, lat, "loop"
            if c >= 16:
                yield n, c, "20ms", "precise"
                yield n, c, "20ms±5ms", "precise"


def _repeats(ideal: float, quick: bool) -> int:
    if quick:
        return 1
    if ideal <= 1.5:
        return 5
    return 3 if ideal <= 3 else 1  # the long points (C <= 4, N = 1000) once: the suite < 10 min


async def bare_fanout(durations: list[float], concurrency: int, sleep: Sleep) -> float:
    """Makespan of the bare fan-out: a task per agent, a limiter, a sleep as the agent."""
    limiter = anyio.CapacityLimiter(concurrency)
    queue = iter(durations)  # drawn in dispatch order, as the seeded backend draws them

    async def one() -> None:
        async with limiter:
            await sleep(next(queue))

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in durations:
            tg.start_soon(one)
    return time.perf_counter() - started


async def bare_pool_fanout(durations: list[float], concurrency: int, sleep: Sleep) -> float:
    """Makespan of a worker pool: C tasks pulling the next delay from a shared queue.

    The same schedule as :func:`bare_fanout` without a task per agent: the floor of what
    the event loop allows for this schedule (flowdsl's ``parallel`` also runs a pool).
    """
    queue = iter(durations)

    async def worker() -> None:
        for delay in queue:
            await sleep(delay)

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(min(concurrency, len(durations))):
            tg.start_soon(worker)
    return time.perf_counter() - started


def _backend(latency: float, jitter: float, timer: str) -> AgentBackend:
    if timer == "precise":
        return PreciseSleepBackend(latency, jitter=jitter, seed=SEED)
    return SleepBackend(latency, jitter=jitter, seed=SEED)


async def measure_point(
    compiled: CompiledWorkflow, n: int, c: int, lat_name: str, timer: str, quick: bool
) -> Point:
    """Interleaved bare / flowdsl repeats of one grid point."""
    latency, jitter = LATENCIES[lat_name]
    durations = delays(n, latency, jitter, SEED)
    ideal = ideal_makespan(durations, c)
    repeats = _repeats(ideal, quick)
    sleep: Sleep = precise_sleep if timer == "precise" else anyio.sleep
    options = RunOptions(concurrency=c, max_agents=max(1000, n), isolation="inline")
    samples: dict[str, list[float]] = {"bare": [], "pool": [], "flow": []}
    sides = ["bare", "pool", "flow"] if ideal <= POOL_MAX_IDEAL else ["bare", "flow"]
    for r in range(repeats):
        for side in sides[r % len(sides):] + sides[:r % len(sides)]:  # rotate the order
            if side == "bare":
                samples["bare"].append(await bare_fanout(durations, c, sleep))
            elif side == "pool":
                samples["pool"].append(await bare_pool_fanout(durations, c, sleep))
            else:
                _, elapsed = await run_workflow(compiled, backend=_backend(latency, jitter, timer),
                                                options=options, args={"n": n})
                samples["flow"].append(elapsed)
    return _point(n, c, lat_name, timer, ideal, samples)


def _point(n: int, c: int, lat_name: str, timer: str, ideal: float,
           samples: dict[str, list[float]]) -> Point:
    latency, jitter = LATENCIES[lat_name]
    b, f = summarize(samples["bare"]), summarize(samples["flow"])
    p = summarize(samples["pool"]) if samples["pool"] else None
    point: Point = {
        "n": n, "concurrency": c, "latency": lat_name, "latency_s": latency, "jitter_s": jitter,
        "timer": timer, "repeats": len(samples["flow"]), "ideal_s": ideal, "bare_s": b,
        "bare_pool_s": p, "flowdsl_s": f, "vs_bare": f["median"] / b["median"],
        "vs_bare_pool": f["median"] / p["median"] if p else None,
    }
    if ideal > 0:
        point["efficiency"] = ideal / f["median"]
        point["bare_efficiency"] = ideal / b["median"]
        point["bare_pool_efficiency"] = ideal / p["median"] if p else None
    else:
        point["flowdsl_us_per_agent"] = f["median"] / n * 1e6
        point["bare_us_per_agent"] = b["median"] / n * 1e6
        point["bare_pool_us_per_agent"] = p["median"] / n * 1e6 if p else None
    return point


def _describe(p: Point) -> str:
    eff = p.get("efficiency")
    pool = p["vs_bare_pool"]
    shown = f"eff {eff:.3f} (bare {p['bare_efficiency']:.3f})" if eff is not None else (
        f"{p['flowdsl_us_per_agent']:.0f} µs/agent (bare {p['bare_us_per_agent']:.0f})")
    return (f"N={p['n']} C={p['concurrency']} {p['latency']} {p['timer']}: {shown}, "
            f"vs bare {p['vs_bare']:.3f}" + (f", vs pool {pool:.3f}" if pool else ""))


async def _grid_points(quick: bool) -> tuple[list[Point], str]:
    frontend = best_python_frontend()
    compiled = compile_workload(FANOUT_PY, "bench_fanout", frontend)
    points = []
    for n, c, lat, timer in _grid(quick):
        point = await measure_point(compiled, n, c, lat, timer, quick)
        progress(_describe(point))
        points.append(point)
    return points, frontend


def _headline_on(backend: str) -> Point:
    """The headline point (timer "loop") measured on another event loop."""
    options: dict[str, Any] = {"use_uvloop": True} if backend == "uvloop" else {}
    name = "trio" if backend == "trio" else "asyncio"

    async def main() -> Point:
        compiled = compile_workload(FANOUT_PY, "bench_fanout", best_python_frontend())
        return await measure_point(compiled, HEAD_N, HEAD_C,
                                   "20ms", "loop", quick=False)

    point: Point = anyio.run(main, backend=name, backend_options=options)
    point["event_loop"] = backend
    progress(f"[{backend}] {_describe(point)}")
    return point


def run(quick: bool) -> dict[str, Any]:
    points, frontend = anyio.run(_grid_points, quick)
    other_loops: list[Point] = []
    if not quick:
        for loop in ("uvloop", "trio"):
            try:
                other_loops.append(_headline_on(loop))
            except (ImportError, LookupError) as exc:  # anyio: LookupError when missing
                other_loops.append({"event_loop": loop, "skipped": str(exc)})
    headline = next(p for p in points if p["n"] == HEAD_N
                    and p["concurrency"] == HEAD_C
                    and p["latency"] == HEAD_LATENCY and p["timer"] == "loop")
    precise = [p for p in points if p["n"] == HEAD_N and p["latency"] == "20ms"
               and p["concurrency"] == HEAD_C and p["timer"] == "precise"]
    return {
        "conditions": {
            "frontend": frontend, "backend": "SleepBackend / PreciseSleepBackend",
            "event_loop": "asyncio", "jitter": f"uniform ±{JITTER * 1e3:.0f} ms, seed {SEED}",
            "ideal": "ceil(N/C) x latency (jitter: FIFO list schedule of the same delays)",
        },
        "headline": {
            "efficiency": headline["efficiency"],
            "bare_efficiency": headline["bare_efficiency"],
            "vs_bare": headline["vs_bare"],
            "bare_pool_efficiency": headline["bare_pool_efficiency"],
            "vs_bare_pool": headline["vs_bare_pool"],
            "precise_efficiency": precise[0]["efficiency"] if precise else None,
            "precise_bare_pool_efficiency": precise[0]["bare_pool_efficiency"] if precise else None,
            "precise_vs_bare": precise[0]["vs_bare"] if precise else None,
            "precise_vs_bare_pool": precise[0]["vs_bare_pool"] if precise else None,
            "ideal_s": headline["ideal_s"],
            "flowdsl_s": headline["flowdsl_s"]["median"],
            "bare_s": headline["bare_s"]["median"],
            "deficit_ms_per_round": (headline["flowdsl_s"]["median"] - headline["ideal_s"])
            / math.ceil(HEAD_N / HEAD_C) * 1e3,
        },
        "points": points,
        "other_event_loops": other_loops,
    }
