"""The scripts, fake agents and frontends the scenarios share.

Every workload is one ``.flow.py`` text. It runs through one of three frontends:

- ``sandboxed``: flowdsl's own ``.flow.py`` frontend (RestrictedPython guards, loop ticks) —
  what users run;
- ``unsandboxed``: the same text wrapped in ``async def`` and compiled with plain
  ``compile()``, run by the same runtime — the runtime's cost without the sandbox's, so the
  difference between the two is what the guards cost;
- ``js``: the equivalent JavaScript through the JS layer (``compat``).

The fake agents: :class:`flowdsl.testing.SleepBackend` (event-loop timer, overshoots by
the loop's timer granularity), :class:`PreciseSleepBackend` (sleeps to 2 ms before the
deadline, then yields until it: the agent's latency really is the nominal one),
:class:`HangBackend` (never answers) and :class:`flowdsl.testing.OracleBackend` (the
js-oracle fake agent, zero latency).
"""

from __future__ import annotations

import builtins
import heapq
import random
import textwrap
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio
import anyio.lowlevel

from flowdsl._frontends import ENTRY, CompiledWorkflow, compile_source
from flowdsl._options import RunOptions
from flowdsl._runtime import Journal, Observer, execute
from flowdsl._sandbox import ScriptHooks
from flowdsl._types import AgentRequest, AgentResult, RunResult, Usage
from flowdsl.backends import AgentBackend

from ._harness import Skipped

__all__ = [
    "BUDGET_PY",
    "FANOUT_JS",
    "FANOUT_PY",
    "PIPELINE_PY",
    "Frontend",
    "HangBackend",
    "PreciseSleepBackend",
    "best_python_frontend",
    "compile_workload",
    "delays",
    "frontend_missing",
    "ideal_makespan",
    "precise_sleep",
    "run_workflow",
]

Frontend = Literal["sandboxed", "unsandboxed", "js"]

FANOUT_PY = """\
meta = {"name": "bench-fanout", "description": "n independent agents at once"}
n = args["n"]
results = await parallel(agent(f"item {i}") for i in range(n))
return len([r for r in results if r is not None])
"""

FANOUT_JS = """\
export const meta = { name: "bench-fanout", description: "n independent agents at once" };
const n = args.n;
const results = await parallel(Array.from({ length: n }, (_, i) => () => agent(`item ${i}`)));
return results.filter((r) => r !== null).length;
"""

PIPELINE_PY = """\
meta = {"name": "bench-pipeline", "description": "n items through an agent and a check"}


async def draft(prev, item, index):
    return await agent(f"draft {item}")


def check(prev, item, index):
    return len(prev or "")


results = await pipeline(list(range(args["n"])), draft, check)
return len([r for r in results if r is not None])
"""

BUDGET_PY = """\
meta = {"name": "bench-budget", "description": "workers spend until the budget stops them"}


async def worker(w):
    step = 0
    while True:
        await agent(f"worker {w} step {step}")
        step += 1


await parallel(worker(w) for w in range(args["workers"]))
return budget.spent()
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class _UnsandboxedWorkflow(CompiledWorkflow):
    """A workflow compiled with plain ``compile()``: no guards, no loop ticks."""

    def start(self, dsl: Mapping[str, object], hooks: ScriptHooks) -> Coroutine[Any, Any, Any]:
        namespace: dict[str, Any] = {"__builtins__": builtins, **dsl}
        exec(self.code, namespace)
        entry: Callable[[], Coroutine[Any, Any, Any]] = namespace[ENTRY]
        return entry()


def _unsandboxed(source: str, path: str) -> CompiledWorkflow:
    wrapped = f"async def {ENTRY}():\n" + textwrap.indent(source, "    ")
    return _UnsandboxedWorkflow(
        path=path, language="python", meta={"name": Path(path).stem, "description": "bench"},
        source=source, python_source=wrapped, code=compile(wrapped, path, "exec"),
    )


def frontend_missing(frontend: Frontend) -> str | None:
    """Why ``frontend`` cannot run here, or None when it can."""
    if frontend == "unsandboxed":
        return None
    module = "flowdsl._sandbox" if frontend == "sandboxed" else "compat"
    try:
        compile_source(FANOUT_JS if frontend == "js" else FANOUT_PY,
                       "probe.js" if frontend == "js" else "probe.flow.py")
    except (ImportError, AttributeError) as exc:
        what = "the sandbox (flowdsl._sandbox)" if frontend == "sandboxed" else "the JS layer"
        return f"{what} is not available yet: {type(exc).__name__}: {exc}"
    except Exception as exc:  # a frontend that exists but cannot compile the workload
        return f"{module} cannot compile the benchmark workload: {type(exc).__name__}: {exc}"
    return None


def compile_workload(source: str, name: str, frontend: Frontend) -> CompiledWorkflow:
    """Compile a workload with ``frontend``.

    Raises:
        Skipped: that frontend is not available (yet).
    """
    if frontend == "unsandboxed":
        return _unsandboxed(source, f"{name}.flow.py")
    reason = frontend_missing(frontend)
    if reason is not None:
        raise Skipped(reason)
    suffix = ".js" if frontend == "js" else ".flow.py"
    return compile_source(source, f"{name}{suffix}")


def best_python_frontend() -> Frontend:
    """The sandboxed frontend when it exists, else the unsandboxed stand-in."""
    return "sandboxed" if frontend_missing("sandboxed") is None else "unsandboxed"


async def run_workflow(
    compiled: CompiledWorkflow,
    *,
    backend: AgentBackend,
    options: RunOptions,
    args: Any = None,
    journal: Journal | None = None,
    observers: Sequence[Observer] = (),
    expect: str = "completed",
) -> tuple[RunResult, float]:
    """Execute once; return the result and its wall time in seconds.

    Raises:
        RuntimeError: the run ended with another status than ``expect``.
    """
    started = time.perf_counter()
    result = await execute(compiled, args=args, backend=backend, options=options,
                           journal=journal, observers=observers)
    elapsed = time.perf_counter() - started
    if result.status != expect:
        raise RuntimeError(f"benchmark run {result.status} (expected {expect}): {result.error}")
    return result, elapsed


# -- fake agents ------------------------------------------------------------------------

GUARD = 0.002
"""How long before its deadline :func:`precise_sleep` stops trusting the timer."""


async def precise_sleep(seconds: float) -> None:
    """Sleep ``seconds`` to within a loop iteration.

    The event loop's timers fire late (epoll rounds the timeout up to a whole millisecond,
    then the wake-up itself costs): a 20 ms ``anyio.sleep`` lasts about 20.7 ms here. This
    sleeps to ``GUARD`` before the deadline, then yields with ``sleep(0)`` until it.
    """
    deadline = time.perf_counter() + seconds
    if seconds > GUARD:
        await anyio.sleep(seconds - GUARD)
    # A busy wait on purpose: yielding each turn keeps the other tasks running while this
    # one watches the clock more finely than the loop's timers can.
    while time.perf_counter() < deadline:
        await anyio.lowlevel.checkpoint()


def delays(count: int, latency: float, jitter: float, seed: int) -> list[float]:
    """The delays a seeded :class:`SleepBackend` draws for ``count`` calls, in order."""
    rng = random.Random(seed)
    if not jitter:
        return [latency] * count
    return [max(0.0, latency + rng.uniform(-jitter, jitter)) for _ in range(count)]


def ideal_makespan(durations: Sequence[float], concurrency: int) -> float:
    """Makespan of a zero-overhead runtime: FIFO dispatch onto ``concurrency`` slots.

    For equal durations this is ``ceil(N / C) * latency``.
    """
    slots = [0.0] * min(concurrency, max(1, len(durations)))
    for duration in durations:
        start = heapq.heappop(slots)
        heapq.heappush(slots, start + duration)
    return max(slots) if durations else 0.0


class PreciseSleepBackend:
    """Like :class:`flowdsl.testing.SleepBackend` but with timer-precise latency."""

    def __init__(self, latency: float, *, jitter: float = 0.0, seed: int = 0) -> None:
        self.latency = latency
        self.jitter = jitter
        self._rng = random.Random(seed)
        self.usage = Usage(input_tokens=10, output_tokens=10)

    async def run(self, request: AgentRequest) -> AgentResult:
        delay = self.latency
        if self.jitter:
            delay = max(0.0, delay + self._rng.uniform(-self.jitter, self.jitter))
        await precise_sleep(delay)
        return AgentResult(output=f"done: {request.prompt[:40]}", usage=self.usage)


class HangBackend:
    """An agent that never answers (until cancelled)."""

    def __init__(self) -> None:
        self.calls = 0

    async def run(self, request: AgentRequest) -> AgentResult:
        self.calls += 1
        await anyio.sleep_forever()
        raise AssertionError("unreachable")
