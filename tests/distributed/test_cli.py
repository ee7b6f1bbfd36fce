"""``flowdsl worker`` and ``run --distributed``: what each refuses, in one line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("dbos", reason="the distributed extra (dbos) is not installed")

SCRIPT = 'meta = {"name": "one", "description": "one agent"}\nreturn await agent("hi")\n'
UNREACHABLE = "postgresql://someone:hunter2@127.0.0.1:1/nowhere"


def _flowdsl(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flowdsl", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("args", "message"), [
    (["run", "one.flow.py", "--distributed", "--backend", "simulate", "--store", "runs"],
     "--distributed needs a PostgreSQL store"),
    (["run", "one.flow.py", "--distributed", "--backend", "simulate", "--no-journal",
      "--store", UNREACHABLE], "drop --no-journal"),
    (["worker", "--store", "runs"], "flowdsl worker serves the queue of a PostgreSQL store"),
    (["worker", "--store", UNREACHABLE], "cannot connect to the PostgreSQL store"),
    (["worker", "--store", UNREACHABLE, "--concurrency", "0"], "expected"),
    (["run", "one.flow.py", "--distributed", "--backend", "simulate", "--store", UNREACHABLE],
     "cannot connect to the PostgreSQL store"),
])
def test_refused_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "one.flow.py").write_text(SCRIPT, encoding="utf-8")
    done = _flowdsl(tmp_path, *args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert message in lines[0], done.stderr
    assert "hunter2" not in done.stderr
    assert not (tmp_path / "runs").exists()  # nothing stored


def test_a_dry_run_of_a_distributed_run_runs_here_on_the_simulator(tmp_path: Path) -> None:
    (tmp_path / "one.flow.py").write_text(SCRIPT, encoding="utf-8")
    done = _flowdsl(tmp_path, "run", "one.flow.py", "--distributed", "--dry-run",
                    "--backend", "simulate", "--store", UNREACHABLE)
    assert done.returncode == 0, done.stderr
