"""Scenario 4 — durability: journal write cost per agent as N grows, and resume replay.

All on the SQLite store (``flowdsl._store``) in a temporary directory, zero-latency
agents (the js-oracle fake), concurrency 16:

- ``write_cost``: the same N-agent fan-out with and without a :class:`StoreJournal`,
  interleaved; (median journaled - median plain) / N is the durable bookkeeping each agent
  costs (wall time). It must stay flat as N grows (the seed rewrote its whole JSON after
  every agent). ``bytes_per_agent`` is the growth of the database + WAL files.
- ``cli_cost`` (issue 16's definition): the CPU (``RUSAGE_SELF``, user + system) of a
  CLI-style run — ``execute_compiled`` with ``journal=True``: store opened, run created,
  claimed, supervised, finished, closed — minus the same run with ``journal=False``, per
  agent, N = 125 … 4096, the two interleaved round by round; the figure is the median
  of the rounds' paired differences (and, less noisy on a shared machine, the
  difference of the minimums). ``fixed_ms`` + N x ``marginal_us`` is the least-squares
  line through the minimums' differences (N = 0 included): the per-run cost (store
  open, create, claim, finish, close) and the per-agent one; ``net_us`` is each N's
  median figure without that fixed part.
  ``rows_per_commit`` is the journal's mean group-commit batch.
- ``record_only``: ``StoreJournal.record`` alone, timed per block of 250 rows of one run:
  the INSERT + commit without the runtime around it.
- ``dict_journal``: the same fan-out with an in-memory dict journal: what the runtime's
  own side of durability (content keys: JSON + sha256 per call) costs.
- ``replay``: a 1000-agent run's journal loaded (one query) and replayed by re-running the
  script: every call answered from the journal, none reaches the backend.
- ``resume_end_to_end``: ``flowdsl._durable.resume_async`` of a 1000-agent run that crashed
  after its fan-out (open store, compile, claim, load, replay, finish).
"""

from __future__ import annotations

import importlib
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

from flowdsl._durable import StoreJournal, resume_async, run_journaled
from flowdsl._durable._execute_stored import execute_compiled
from flowdsl._frontends import CompiledWorkflow
from flowdsl._options import RunOptions
from flowdsl._runtime import KeyCounter
from flowdsl._store import Store
from flowdsl._types import AgentRecord, AgentRequest, Usage
from flowdsl.testing import OracleBackend

from ._harness import load_average, progress, summarize
from ._workloads import FANOUT_PY, best_python_frontend, compile_workload, run_workflow

KEY = "resume"
TITLE = "Durability: journal write cost per agent, resume replay"

CRASHING_FANOUT_PY = FANOUT_PY.replace(
    "return len(", 'if args.get("crash"):\n    raise RuntimeError("crash after the fan-out")\n'
    "return len(")
REPLAY_N = 1000
CLI_ROUNDS = 9


class DictJournal:
    """An in-memory journal: the runtime's share of durability, no storage at all."""

    def __init__(self) -> None:
        self.rows: dict[str, AgentRecord] = {}
        self.order: dict[str, int] = {}

    @property
    def size(self) -> int:
        return len(self.rows)

    def replay(self, key: str) -> tuple[AgentRecord, int] | None:
        record = self.rows.get(key)
        return None if record is None else (record, self.order[key])

    def record(self, key: str, record: AgentRecord) -> None:
        self.order.setdefault(key, len(self.order))
        self.rows[key] = record


def _cpu() -> float:
    """CPU seconds (user + system) this process has used, all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _db_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.glob("*.db*") if p.is_file())


class _Bench:
    def __init__(self, directory: Path, compiled: CompiledWorkflow) -> None:
        self.directory = directory
        self.compiled = compiled
        self.store = Store.open(directory)

    def new_journal(self, n: int) -> Any:
        run_id = self.store.create_run(name="bench", script_path="bench.flow.py",
                                       script_text=self.compiled.source, args={"n": n},
                                       options={}, background=False)
        return StoreJournal(self.store, run_id)

    async def fanout(self, n: int, journal: Any = None, backend: Any = None) -> float:
        _, elapsed = await run_workflow(
            self.compiled, backend=backend or OracleBackend(), args={"n": n}, journal=journal,
            options=RunOptions(concurrency=16, max_agents=max(1000, n), isolation="inline"))
        return elapsed

    async def write_cost(self, n: int, repeats: int) -> dict[str, Any]:
        plain: list[float] = []
        journaled: list[float] = []
        in_memory: list[float] = []
        size_before = _db_bytes(self.directory)
        for _ in range(repeats):
            plain.append(await self.fanout(n))
            journal = self.new_journal(n)
            journaled.append(await self.fanout(n, journal))
            if journal.recorded != n:
                raise RuntimeError(f"journal recorded {journal.recorded} of {n} agents")
            in_memory.append(await self.fanout(n, DictJournal()))
        growth = _db_bytes(self.directory) - size_before
        p, j, d = (summarize(x)["median"] for x in (plain, journaled, in_memory))
        return {"n": n, "repeats": repeats, "plain_s": p, "journaled_s": j, "dict_journal_s": d,
                "per_agent_us": (j - p) / n * 1e6, "dict_per_agent_us": (d - p) / n * 1e6,
                "bytes_per_agent": growth / (n * repeats)}

    async def cli_run(self, n: int, *, journal: bool) -> float:
        """CPU seconds of one CLI-style run of the N-agent fan-out (journaled or not)."""
        # resolved as the CLI does (``cwd`` set), in an empty project folder: no
        # configuration to read, no worktrees to sweep — the journal's cost alone
        project = self.directory / "project"
        project.mkdir(exist_ok=True)
        options = RunOptions.resolve(project, concurrency=16, max_agents=max(1000, n),
                                     isolation="inline", store=str(self.directory))
        before = _cpu()
        result = await execute_compiled(self.compiled, args={"n": n}, backend=OracleBackend(),
                                        options=options, journal=journal)
        cpu = _cpu() - before
        if result.status != "completed":
            raise RuntimeError(f"benchmark run {result.status}: {result.error}")
        return cpu

    async def cli_cost(self, sizes: tuple[int, ...], rounds: int) -> dict[str, Any]:
        """Issue 16's figure: journaled minus unjournaled CPU per agent, paired rounds."""
        runs: dict[tuple[int, bool], list[float]] = {
            (n, journal): [] for n in (0, *sizes) for journal in (False, True)}
        rows_before = self._journal_counts()
        for r in range(rounds):
            for n in (0, *sizes):
                # alternate which goes first, so a drift in load hits both alike
                for journal in ((True, False) if r % 2 else (False, True)):
                    runs[n, journal].append(await self.cli_run(n, journal=journal))
        rows, commits = (a - b for a, b in zip(self._journal_counts(), rows_before,
                                               strict=True))

        def added(n: int) -> tuple[float, float]:
            """The median paired difference, and the difference of the minimums."""
            j, p = runs[n, True], runs[n, False]
            return statistics.median([a - b for a, b in zip(j, p, strict=True)]), min(j) - min(p)

        # added CPU = fixed + N x marginal: the least-squares line through every N's figure,
        # the minimums' (one disturbed round moves a median of a few; the load here only
        # ever adds CPU time) and the medians'
        ns = [float(n) for n in (0, *sizes)]
        marginal, fixed = statistics.linear_regression(ns, [added(n)[1] for n in (0, *sizes)])
        marginal_median, fixed_median = statistics.linear_regression(
            ns, [added(n)[0] for n in (0, *sizes)])
        out = []
        for n in sizes:
            d, d_min = added(n)
            out.append({"n": n, "rounds": rounds, "per_agent_us": d / n * 1e6,
                        "per_agent_us_of_minimums": d_min / n * 1e6,
                        "net_us": (d - fixed) / n * 1e6,
                        "unjournaled_us_per_agent": statistics.median(runs[n, False]) / n * 1e6})
            progress(f"CLI-style journal CPU N={n}: {out[-1]['per_agent_us']:.1f} µs/agent "
                     f"(of the minimums {out[-1]['per_agent_us_of_minimums']:.1f}; without the "
                     f"fixed cost {out[-1]['net_us']:.1f}; unjournaled run "
                     f"{out[-1]['unjournaled_us_per_agent']:.1f} µs/agent)")
        progress(f"CLI-style journal CPU: {fixed * 1e3:.2f} ms per run + {marginal * 1e6:.1f} µs "
                 f"per agent (minimums; medians: {fixed_median * 1e3:.2f} ms + "
                 f"{marginal_median * 1e6:.1f} µs); "
                 f"{rows / commits if commits else 0:.1f} rows per commit")
        return {"sizes": out, "fixed_ms": fixed * 1e3, "marginal_us": marginal * 1e6,
                "fixed_ms_of_medians": fixed_median * 1e3,
                "marginal_us_of_medians": marginal_median * 1e6,
                "rows_per_commit": rows / commits if commits else None,
                "statistic": "median over rounds of (journaled - unjournaled CPU) / N; also "
                             "(min journaled - min unjournaled) / N; fixed_ms + N x "
                             "marginal_us: the least-squares line through the minimums' "
                             "differences at N = 0 … 4096 (…_of_medians: through the medians')"}

    def _journal_counts(self) -> tuple[int, int]:
        """Journal rows and journal commits so far (from the rows' ``recorded_at``)."""
        rows = self.store.conn.execute(
            "SELECT count(*), count(DISTINCT recorded_at) FROM journal").fetchone()
        return int(rows[0]), int(rows[1])

    def record_only(self, n: int, block: int = 250) -> dict[str, Any]:
        journal = self.new_journal(n)
        keys = KeyCounter()
        per_block: list[float] = []
        for start in range(0, n, block):
            rows = []
            for i in range(start, min(n, start + block)):
                request = AgentRequest(prompt=f"item {i}")
                rows.append((keys.key(request), AgentRecord(
                    request=request, status="ok", output=f"agent:{i:012d}",
                    usage=Usage(input_tokens=2, output_tokens=50), duration=0.0)))
            times = []
            for key, record in rows:
                started = time.perf_counter()
                journal.record(key, record)
                times.append(time.perf_counter() - started)
            per_block.append(statistics.median(times) * 1e6)
        return {"n": n, "block": block, "us_per_record_by_block": per_block,
                "statistic": "median of the block's rows",
                "last_over_first": per_block[-1] / per_block[0]}

    async def replay(self, repeats: int) -> dict[str, Any]:
        journal = self.new_journal(REPLAY_N)
        await self.fanout(REPLAY_N, journal)
        run_id = journal.run_id
        times: list[float] = []
        for _ in range(repeats):
            backend = OracleBackend()
            started = time.perf_counter()
            fresh = StoreJournal(self.store, run_id)  # one query loads the journal
            await self.fanout(REPLAY_N, fresh, backend)
            times.append(time.perf_counter() - started)
            if fresh.replayed != REPLAY_N or backend.requests:
                raise RuntimeError(f"replayed {fresh.replayed}, ran {len(backend.requests)} live")
        live = [await self.fanout(REPLAY_N) for _ in range(repeats)]
        return {"n": REPLAY_N, "repeats": repeats, "replay_s": summarize(times),
                "live_run_s": summarize(live)["median"]}

    async def resume_end_to_end(self, repeats: int) -> dict[str, Any]:
        crashing = compile_workload(CRASHING_FANOUT_PY, "bench_crash", best_python_frontend())
        edited = self.directory / "bench_fixed.flow.py"
        edited.write_text(FANOUT_PY, encoding="utf-8")
        times: list[float] = []
        for _ in range(repeats):
            first = await run_journaled(
                crashing, args={"n": REPLAY_N, "crash": True}, backend=OracleBackend(),
                options=RunOptions(concurrency=16, store=str(self.directory), isolation="inline"))
            if first.status != "failed" or first.run_id is None:
                raise RuntimeError(f"the crashing run ended {first.status}")
            backend = OracleBackend()
            started = time.perf_counter()
            result = await resume_async(first.run_id, store=self.directory,
                                                 script=edited, backend=backend)
            times.append(time.perf_counter() - started)
            replayed = sum(a.status == "replayed" for a in result.agents)
            if result.status != "completed" or replayed != REPLAY_N or backend.requests:
                raise RuntimeError(f"resume: {result.status}, {replayed} replayed, "
                                   f"{len(backend.requests)} live: {result.error}")
        return {"n": REPLAY_N, "repeats": repeats, "resume_s": summarize(times)}


async def _measure(quick: bool) -> dict[str, Any]:
    load_at_start = load_average()
    compiled = compile_workload(FANOUT_PY, "bench_resume", best_python_frontend())
    sizes = (100, 300) if quick else (125, 250, 500, 1000, 2000, 4096)
    repeats = 1 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        bench = _Bench(Path(tmp), compiled)
        try:
            await bench.fanout(200)  # warm-up
            write = []
            for n in sizes:
                write.append(await bench.write_cost(n, repeats))
                progress(f"write cost N={n}: {write[-1]['per_agent_us']:.1f} µs/agent "
                         f"(dict journal {write[-1]['dict_per_agent_us']:.1f}), "
                         f"{write[-1]['bytes_per_agent']:.0f} B/agent")
            cli = await bench.cli_cost(sizes, 2 if quick else CLI_ROUNDS)
            record = bench.record_only(300 if quick else 2000)
            replay = await bench.replay(2 if quick else 5)
            progress(f"replay of {REPLAY_N}: {replay['replay_s']['median']:.3f} s")
            e2e = await bench.resume_end_to_end(1 if quick else 3)
            progress(f"resume end to end: {e2e['resume_s']['median']:.3f} s")
        finally:
            bench.store.close()
    first, last = write[0]["per_agent_us"], write[-1]["per_agent_us"]
    return {
        "conditions": {"store": "flowdsl._store (SQLite, WAL)", "backend": "OracleBackend",
                       "latency": 0, "concurrency": 16, "repeats": repeats,
                       "cli_rounds": 2 if quick else CLI_ROUNDS, "isolation": "inline",
                       "loadavg_at_start": load_at_start,
                       "loadavg_at_end": load_average(),
                       "store_dir": "a fresh temporary directory",
                       "synchronous": os.environ.get("FLOWDSL_STORE_SYNC") or "NORMAL"},
        "write_cost": write,
        "cli_cost": cli,
        "record_only": record,
        "replay": replay,
        "resume_end_to_end": e2e,
        "headline": {
            "write_us_per_agent_at_1000": next(
                (w["per_agent_us"] for w in write if w["n"] == 1000), last),
            "write_growth_largest_over_smallest": last / first if first > 0 else None,
            "cli_us_per_agent_max": max(s["per_agent_us"] for s in cli["sizes"]),
            "cli_us_per_agent_largest": cli["sizes"][-1]["per_agent_us"],
            "cli_net_us_per_agent_max": max(s["net_us"] for s in cli["sizes"]),
            "cli_fixed_ms": cli["fixed_ms"],
            "cli_marginal_us_per_agent": cli["marginal_us"],
            "cli_growth_largest_over_smallest": _ratio(cli["sizes"][-1]["per_agent_us"],
                                                       cli["sizes"][0]["per_agent_us"]),
            "rows_per_commit": cli["rows_per_commit"],
            "replay_1000_s": replay["replay_s"]["median"],
            "resume_1000_s": e2e["resume_s"]["median"],
        },
    }


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def _store_engineer_bench(quick: bool) -> dict[str, Any] | None:
    """The store engineer's ``benchmarks/bench_store.py`` figures, when that file exists.

    Its rows are realistic (300-byte prompt, 800-byte output) where ours are minimal, and
    its writes go up to N = 10,000; it is called, never copied.
    """
    try:
        module = importlib.import_module("benchmarks.bench_store")
    except ImportError:
        return None
    writes_fn = getattr(module, "bench_writes", None)
    replay_fn = getattr(module, "bench_replay", None)
    if not callable(writes_fn) or not callable(replay_fn):
        return {"skipped": "benchmarks/bench_store.py has no bench_writes/bench_replay"}
    out: dict[str, Any] = {"source": "benchmarks/bench_store.py (store engineer)"}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            out["writes"] = [writes_fn(n, base / f"w{n}")
                             for n in ((100, 1000) if quick else (100, 1000, 10_000))]
            out["replay"] = anyio.run(replay_fn, REPLAY_N, base, 2 if quick else 5)
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    for w in out.get("writes", []):
        progress(f"bench_store writes N={w['n']}: mean {w['mean_us']:.1f} µs, first 10% "
                 f"{w['first10pct_us']:.1f}, last 10% {w['last10pct_us']:.1f}")
    return out


def run(quick: bool) -> dict[str, Any]:
    result = anyio.run(_measure, quick)
    extra = _store_engineer_bench(quick)
    if extra is not None:
        result["bench_store"] = extra
    return result
