"""Scenario 6 — the real HTTP path: the openai backend against a loopback fake server.

The fake server (``tests/backends/fakeserver.py``) runs in its own process, so its
threads do not share the benchmark's GIL (they do share the two cores). Three runs:

- ``zero_latency``: N agents at concurrency 16, the server answering at once: per-agent
  cost of the whole HTTP path (SDK, JSON, sockets, both processes' CPU) for a default
  agent — the tool-using loop (pydantic-ai) with the read-only tools, answering in one
  turn;
- ``zero_latency_no_tools``: the same with ``tools = []``: the single-completion path
  (no loop), measured in the same run so the loop's own cost is the difference;
- ``latency_20ms``: the server waits 20 ms per request: makespan efficiency against
  ``ceil(N/16) x 20 ms`` and against the same fan-out on the in-process SleepBackend;
- ``hang``: every request hangs, agent timeout 0.5 s: when the run ends, and how many
  connections the server saw closed (cancellation reaching the socket).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import anyio

from flowdsl._frontends import CompiledWorkflow
from flowdsl._options import RunOptions
from flowdsl.backends import AgentBackend
from flowdsl.testing import SleepBackend

from ._harness import REPO_ROOT, Skipped, progress, summarize
from ._workloads import FANOUT_PY, best_python_frontend, compile_workload, run_workflow

KEY = "http"
TITLE = "openai backend over loopback HTTP"

CONCURRENCY = 16
FAKESERVER = REPO_ROOT / "tests" / "backends" / "fakeserver.py"


def serve(mode: str) -> dict[str, Any]:
    """Child process: run the fake server until stdin closes; report what it saw."""
    sys.path.insert(0, str(FAKESERVER.parent))
    from fakeserver import FakeLLMServer, Step  # type: ignore[import-not-found]

    with FakeLLMServer(latency=0.02 if mode == "latency_20ms" else 0.0) as server:
        if mode == "hang":
            server.default = Step.hang()
        print(server.url, flush=True)
        sys.stdin.read()
        return {"requests": len(server.requests), "peak_in_flight": server.peak_in_flight,
                "disconnects": server.disconnects}


class _Server:
    """The fake server in a child process (``--case benchmarks.bench_http:serve``)."""

    def __init__(self, mode: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks", "--case", "benchmarks.bench_http:serve",
             json.dumps({"mode": mode})],
            cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.close()
            raise RuntimeError("the fake server did not start")

    def close(self) -> dict[str, Any]:
        try:
            out, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            return {"error": "the fake server did not stop within 30 s (killed)"}
        lines = out.strip().splitlines()
        stats: dict[str, Any] = json.loads(lines[-1]) if lines else {}
        return stats


def _prerequisites() -> None:
    if not FAKESERVER.is_file():
        raise Skipped(f"{FAKESERVER.relative_to(REPO_ROOT)} does not exist yet")
    try:
        from flowdsl.backends import _openai  # noqa: F401
    except ImportError as exc:
        raise Skipped(f"the openai backend is not available: {exc}") from None


def _backend(url: str, *, tools: bool) -> AgentBackend:
    from flowdsl._config import Config
    from flowdsl.backends._openai import create_backend

    config = Config() if tools else Config(tools=())
    return create_backend(base_url=url + "/v1", model="bench-model", api_key="bench",
                          config=config, cwd=str(REPO_ROOT))


async def _fanout(compiled: CompiledWorkflow, backend: AgentBackend, n: int,
                  agent_timeout: float = 600.0) -> float:
    _, elapsed = await run_workflow(
        compiled, backend=backend, args={"n": n},
        options=RunOptions(concurrency=CONCURRENCY, agent_timeout=agent_timeout,
                           isolation="inline"))
    return elapsed


async def _measure(mode: str, url: str, n: int, repeats: int) -> dict[str, Any]:
    compiled = compile_workload(FANOUT_PY, "bench_http", best_python_frontend())
    backend = _backend(url, tools=mode != "zero_latency_no_tools")
    try:
        if mode == "hang":
            elapsed = await _fanout(compiled, backend, n, agent_timeout=0.5)
            return {"agents": n, "timeout_s": 0.5, "run_end_s": elapsed,
                    "ideal_end_s": math.ceil(n / CONCURRENCY) * 0.5}
        await _fanout(compiled, backend, CONCURRENCY)  # warm-up: connections, imports
        times = [await _fanout(compiled, backend, n) for _ in range(repeats)]
    finally:
        await backend.aclose()  # type: ignore[attr-defined]
    stats = summarize(times)
    result: dict[str, Any] = {"agents": n, "repeats": repeats, "time_s": stats,
                              "per_agent_us": stats["median"] / n * 1e6}
    if mode == "latency_20ms":
        ideal = math.ceil(n / CONCURRENCY) * 0.02
        sleep_times = [await _fanout(compiled, SleepBackend(0.02), n) for _ in range(repeats)]
        result.update(ideal_s=ideal, efficiency=ideal / stats["median"],
                      sleep_backend_s=summarize(sleep_times),
                      vs_sleep_backend=stats["median"] / summarize(sleep_times)["median"])
    return result


def run(quick: bool) -> dict[str, Any]:
    _prerequisites()
    plan = {"zero_latency": 48 if quick else 320, "zero_latency_no_tools": 48 if quick else 320,
            "latency_20ms": 48 if quick else 320, "hang": 16}
    runs: dict[str, Any] = {}
    for mode, n in plan.items():
        server = _Server(mode)
        try:
            runs[mode] = anyio.run(_measure, mode, server.url, n, 1 if quick else 3)
        finally:
            runs.setdefault(mode, {})["server"] = server.close()
        progress(f"{mode}: {json.dumps(runs[mode])[:300]}")
    return {
        "conditions": {"backend": "openai (AsyncOpenAI, max_retries=0)",
                       "server": "tests/backends/fakeserver.py in a child process",
                       "concurrency": CONCURRENCY, "event_loop": "asyncio",
                       "frontend": best_python_frontend()},
        "runs": runs,
    }
