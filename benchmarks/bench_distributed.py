"""Scenario 11 — distributed runs: efficiency with 1, 2 and 3 workers, and the queue's
per-agent latency against in-process.

A throwaway PostgreSQL cluster (``flowdsl.testing.postgres_cluster``) on 127.0.0.1, real
``flowdsl worker`` processes (concurrency 8 each) and real ``flowdsl run`` coordinators,
all on this machine; the agent sleeps (``sleeper:make`` in the project folder):

1. ``fanout``: 200 agents × 1 s at once with 1, 2 and 3 workers: makespan efficiency =
   ideal (200 × 1 s / (8 × workers)) / the run's wall time less a zero-agent run's (the
   process start, the database connection, DBOS's setup: fixed costs, cancelled as in
   the overhead scenario); beside it the same fan-out in-process at concurrency 8 × workers.
   The distributed run sends all its agents at once (``--concurrency 200``): the queue's
   limits hold them, and a worker's free slot takes the next agent at its next poll,
   without a round trip through the coordinator.
2. ``latency``: 20 zero-latency agents one after another, distributed (one worker) and
   in-process: the wall time per agent. Each distributed agent waits for a worker's queue
   poll (every 0.1 s) and for the coordinator's poll of outcomes (every 0.1 s): the
   latency the queue adds to an agent, which a 1 s agent pays as ~10 %.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._harness import Skipped, progress, summarize

KEY = "distributed"
TITLE = "Distributed runs: efficiency with 1-3 workers, the queue's latency per agent"

JSON = dict[str, Any]
FULL = {"n": 200, "sleep": 1.0, "workers": [1, 2, 3], "concurrency": 8, "sequential": 20,
        "repeats": 2}
QUICK = {"n": 24, "sleep": 0.2, "workers": [1, 2], "concurrency": 4, "sequential": 5,
         "repeats": 1}

SLEEPER = """\
import json

import anyio

from flowdsl._types import AgentResult, Usage


class Sleeper:
    async def run(self, request):
        await anyio.sleep(float(json.loads(request.prompt)["sleep"]))
        return AgentResult(output="ok", usage=Usage(input_tokens=1, output_tokens=1))


def make():
    return Sleeper()
"""

FAN = """\
meta = {"name": "bench-distributed", "description": "n sleeping agents at once"}
import json
outs = await parallel(agent(json.dumps({"i": i, "sleep": args["sleep"]}))
                      for i in range(args["n"]))
return len([o for o in outs if o is not None])
"""

SEQUENTIAL = """\
meta = {"name": "bench-sequential", "description": "n agents one after another"}
import json
for i in range(args["n"]):
    await agent(json.dumps({"i": i, "sleep": 0}))
return args["n"]
"""


class _Bench:
    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url
        (root / "sleeper.py").write_text(SLEEPER, encoding="utf-8")
        (root / "fan.flow.py").write_text(FAN, encoding="utf-8")
        (root / "seq.flow.py").write_text(SEQUENTIAL, encoding="utf-8")
        self.env = {k: v for k, v in os.environ.items() if k != "FLOWDSL_STORE"}
        self.workers: list[subprocess.Popen[bytes]] = []

    def start_workers(self, count: int, concurrency: int) -> None:
        for i in range(count):
            log = self.root / f"worker{len(self.workers)}.log"
            with log.open("wb") as out:
                self.workers.append(subprocess.Popen(
                    [sys.executable, "-m", "flowdsl", "worker", "--store", self.url,
                     "--concurrency", str(concurrency)], cwd=self.root, env=self.env,
                    stdout=out, stderr=subprocess.STDOUT))
            deadline = time.monotonic() + 90
            while "serving" not in log.read_text(errors="replace"):
                if time.monotonic() > deadline or self.workers[-1].poll() is not None:
                    raise RuntimeError(f"worker {i} did not start: {log.read_text()[-500:]}")
                time.sleep(0.1)

    def stop_workers(self) -> None:
        for proc in self.workers:
            proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            proc.wait(timeout=30)
        self.workers.clear()

    def run(self, script: str, args: JSON, *, distributed: bool, concurrency: int) -> float:
        """Wall seconds of one ``flowdsl run`` (distributed or in-process)."""
        store = self.url if distributed else str(self.root / "local-store")
        argv = [sys.executable, "-m", "flowdsl", "run", script, "--backend", "sleeper:make",
                "--store", store, "--concurrency", str(concurrency), "--isolation", "inline",
                "--args", json.dumps(args), "--json"]
        if distributed:
            argv.append("--distributed")
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=self.root, env=self.env, capture_output=True,
                              text=True, timeout=900, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"run failed: {done.stderr[-800:]}")
        return wall


def _fanout(bench: _Bench, p: JSON) -> list[JSON]:
    out = []
    n, sleep, per_worker = p["n"], p["sleep"], p["concurrency"]
    for count in p["workers"]:
        bench.start_workers(count - len(bench.workers), per_worker)
        slots = count * per_worker
        ideal = n * sleep / slots
        dist, local, dist0, local0 = [], [], [], []
        for _ in range(p["repeats"]):
            # the run sends every agent at once; the queue's limits hold them
            dist0.append(bench.run("fan.flow.py", {"n": 0, "sleep": 0}, distributed=True,
                                   concurrency=n))
            dist.append(bench.run("fan.flow.py", {"n": n, "sleep": sleep}, distributed=True,
                                  concurrency=n))
            local0.append(bench.run("fan.flow.py", {"n": 0, "sleep": 0}, distributed=False,
                                    concurrency=slots))
            local.append(bench.run("fan.flow.py", {"n": n, "sleep": sleep},
                                   distributed=False, concurrency=slots))
        d = summarize(dist)["median"] - summarize(dist0)["median"]
        lo = summarize(local)["median"] - summarize(local0)["median"]
        row = {"workers": count, "slots": slots, "ideal_s": ideal, "distributed_s": d,
               "in_process_s": lo, "efficiency": ideal / d, "in_process_efficiency": ideal / lo,
               "fixed_s": summarize(dist0)["median"], "runs": len(dist)}
        progress(f"{count} worker(s): {d:.2f} s for {n} × {sleep} s (ideal {ideal:.2f} s, "
                 f"efficiency {ideal / d:.3f}; in-process {ideal / lo:.3f})")
        out.append(row)
    return out


def _latency(bench: _Bench, p: JSON) -> JSON:
    n = p["sequential"]
    dist = bench.run("seq.flow.py", {"n": n}, distributed=True, concurrency=1)
    dist0 = bench.run("seq.flow.py", {"n": 0}, distributed=True, concurrency=1)
    local = bench.run("seq.flow.py", {"n": n}, distributed=False, concurrency=1)
    local0 = bench.run("seq.flow.py", {"n": 0}, distributed=False, concurrency=1)
    row = {"agents": n, "distributed_ms_per_agent": (dist - dist0) / n * 1e3,
           "in_process_ms_per_agent": (local - local0) / n * 1e3}
    progress(f"one agent at a time: {row['distributed_ms_per_agent']:.0f} ms per agent "
             f"distributed, {row['in_process_ms_per_agent']:.1f} ms in-process")
    return row


def run(quick: bool) -> JSON:
    try:
        import dbos  # noqa: F401

        from flowdsl.testing import postgres_cluster
    except ImportError as exc:
        raise Skipped(f"the distributed extra is not installed ({exc.name})") from None
    p = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="flowdsl-bench-dist-") as tmp:
        try:
            cluster = postgres_cluster()
        except RuntimeError as exc:
            raise Skipped(str(exc)) from None
        with cluster as pg:
            bench = _Bench(Path(tmp), pg.database("bench"))
            try:
                fanout = _fanout(bench, p)
                bench.stop_workers()
                bench.start_workers(1, p["concurrency"])
                latency = _latency(bench, p)
            finally:
                bench.stop_workers()
    headline = next((row for row in fanout if row["workers"] == max(p["workers"])), fanout[-1])
    return {
        "conditions": {**p, "machine": "all processes on this machine (workers, coordinator, "
                       "PostgreSQL)", "queue_poll_s": 0.1, "outcome_poll_s": 0.1},
        "fanout": fanout,
        "latency": latency,
        "headline": {"efficiency_3_workers": headline["efficiency"],
                     "in_process_efficiency": headline["in_process_efficiency"],
                     "queue_ms_per_agent": latency["distributed_ms_per_agent"]},
    }
