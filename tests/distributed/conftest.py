"""Worker processes, a project folder with the probe agent, and the probe's log.

The workers are real ``flowdsl worker`` processes on the throwaway PostgreSQL cluster
(``pg_url``, one database per test); the coordinator is a real ``flowdsl run`` process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
READY = "serving"


@dataclass(frozen=True)
class Event:
    at: float
    pid: int
    kind: str
    """``start``, ``end`` or ``cancelled``."""
    prompt: str


@dataclass
class Project:
    """A folder with the probe agent (``probe_backend:make``) and the probe's log."""

    root: Path
    log: Path
    url: str

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "FLOWDSL_STORE"}
        env["FLOWDSL_PROBE_LOG"] = str(self.log)
        return env

    def events(self) -> list[Event]:
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            at, pid, kind, prompt = line.split(" ", 3)
            out.append(Event(float(at), int(pid), kind, prompt))
        return out

    def flowdsl(self, *args: str, cwd: Path | None = None,
                timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "flowdsl", *args], cwd=cwd or self.root,
                              env=self.env(), capture_output=True, text=True, timeout=timeout,
                              check=False)

    def start_run(self, *args: str) -> subprocess.Popen[str]:
        """A coordinator in the background (``flowdsl run ...``)."""
        return subprocess.Popen([sys.executable, "-m", "flowdsl", "run", *args], cwd=self.root,
                                env=self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)


class Workers:
    """``flowdsl worker`` processes of one test; all stopped at the end."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.procs: list[subprocess.Popen[bytes]] = []
        self._logs: list[Path] = []

    def start(self, count: int, *, concurrency: int = 4, global_concurrency: int | None = None,
              dead_after: float = 15.0,
              extra: tuple[str, ...] = ()) -> list[subprocess.Popen[bytes]]:
        started = []
        for _ in range(count):
            log = self.project.root / f"worker{len(self.procs)}.log"
            args = [sys.executable, "-m", "flowdsl", "worker", "--store", self.project.url,
                    "--concurrency", str(concurrency), "--dead-after", str(dead_after)]
            if global_concurrency is not None:
                args += ["--global-concurrency", str(global_concurrency)]
            args += extra
            with log.open("wb") as out:
                proc = subprocess.Popen(args, cwd=self.project.root, env=self.project.env(),
                                        stdout=out, stderr=subprocess.STDOUT)
            self.procs.append(proc)
            self._logs.append(log)
            started.append(proc)
        for proc in started:
            self._wait_ready(proc)
        return started

    def _wait_ready(self, proc: subprocess.Popen[bytes]) -> None:
        log = self._logs[self.procs.index(proc)]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            text = log.read_text(encoding="utf-8", errors="replace")
            if READY in text:
                return
            if proc.poll() is not None:
                raise AssertionError(f"worker exited {proc.returncode}: {text[-2000:]}")
            time.sleep(0.1)
        raise AssertionError(f"worker not ready after 90 s: {log.read_text()[-2000:]}")

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture
def project(tmp_path: Path, pg_url: str) -> Project:
    pytest.importorskip("dbos", reason="the distributed extra (dbos) is not installed")
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(HERE / "probe_backend.py", root / "probe_backend.py")
    return Project(root=root, log=tmp_path / "probe.log", url=pg_url)


@pytest.fixture
def workers(project: Project) -> Iterator[Workers]:
    pool = Workers(project)
    try:
        yield pool
    finally:
        pool.stop_all()