"""Timing, machine facts, peak memory and child processes for the benchmark suite.

The machine this suite was written on has two cores shared with other work, so a single
timing means little: every figure is the median of repeats, comparisons are ratios of
measurements taken in the same process a moment apart (interleaved, so drift hits both
sides), and every figure carries the conditions it was taken under.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "REPO_ROOT",
    "ChildFailed",
    "Skipped",
    "code_fingerprint",
    "machine_info",
    "machine_tag",
    "peak_rss_mb",
    "progress",
    "rss_mb",
    "run_child",
    "summarize",
    "timed",
]

REPO_ROOT = Path(__file__).resolve().parent.parent

JSON = dict[str, Any]


class Skipped(Exception):
    """Raised by a scenario whose prerequisite (sandbox, JS layer, store, ...) is missing."""


class ChildFailed(Exception):
    """Raised when a benchmark child process exits badly or prints no result."""


def progress(message: str) -> None:
    """One progress line on stderr (stdout of a child carries its JSON result)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def summarize(samples: Sequence[float]) -> JSON:
    """Median, min, max and count of a list of timings (seconds)."""
    if not samples:
        raise ValueError("no samples")
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
    }


async def timed(fn: Callable[[], Awaitable[object]]) -> float:
    """Wall time of one ``await fn()`` in seconds (perf_counter)."""
    started = time.perf_counter()
    await fn()
    return time.perf_counter() - started


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _node_version() -> str | None:
    try:
        out = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def load_average() -> list[float] | None:
    """The 1, 5 and 15-minute load averages now (None where the OS has none)."""
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def machine_info() -> JSON:
    """The facts a reader needs to judge a figure: cores, CPU, Python, library versions."""
    return {
        "hostname": socket.gethostname(),
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "anyio": _version("anyio"),
        "flowdsl": _version("flowdsl"),
        "node": _node_version(),
        "loadavg_at_start": load_average(),
    }


def code_fingerprint() -> JSON:
    """Which code was measured: git HEAD (if any) and a hash of the runtime's sources.

    Several engineers change ``flowdsl/`` and ``compat/`` while results accumulate, so a
    results file says which version of those sources it measured.
    """
    digest = hashlib.sha256()
    files = sorted(p for d in ("flowdsl", "compat") for p in (REPO_ROOT / d).rglob("*.py"))
    for path in files:
        digest.update(str(path.relative_to(REPO_ROOT)).encode())
        digest.update(path.read_bytes())
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=10, check=False)
        commit = head.stdout.strip() if head.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"git_head": commit, "sources_sha256": digest.hexdigest()[:16], "files": len(files)}


def machine_tag() -> str:
    """``<hostname>-<cores>c``: the machine part of a result file's name."""
    host = "".join(c if c.isalnum() or c in "-_" else "-" for c in socket.gethostname())
    return f"{host or 'unknown'}-{os.cpu_count() or 0}c"


def _status_kb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Resident memory of this process now, in MB (VmRSS)."""
    kb = _status_kb("VmRSS")
    return (kb or 0.0) / 1024


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (VmHWM, else ru_maxrss)."""
    kb = _status_kb("VmHWM")
    if kb is None:
        kb = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return kb / 1024


def run_child(argv: Sequence[str], *, timeout: float) -> JSON:
    """Run ``python -m benchmarks ARGV`` and return the JSON object it prints last.

    Raises:
        ChildFailed: the child crashed, timed out, or printed no JSON result.
    """
    cmd = [sys.executable, "-m", "benchmarks", *argv]
    try:
        # stderr is inherited: the child's progress lines show as they happen
        proc = subprocess.run(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ChildFailed(f"{' '.join(argv)}: no result within {timeout:.0f} s") from None
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        raise ChildFailed(f"{' '.join(argv)}: exit {proc.returncode} without a result "
                          "(its traceback is on stderr above)")
    try:
        result: JSON = json.loads(lines[-1])
    except json.JSONDecodeError as exc:
        raise ChildFailed(f"{' '.join(argv)}: unreadable result ({exc})") from None
    return result
