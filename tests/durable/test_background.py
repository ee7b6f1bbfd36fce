"""Background workers as real processes: kill -9 and resume, many at once, pause, stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flowstore_helpers import FANOUT, answer, executions

from flowdsl._durable import start_background
from flowdsl._options import RunOptions
from flowdsl._store import RunInfo, Store

BACKEND = "flowstore_helpers:CountingBackend"


@pytest.fixture
def worker_env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Workers inherit this process's environment: the counting file and PYTHONPATH."""
    for key in ("PYTHONPATH", "FLOWDSL_TEST_COUNT_FILE", "FLOWDSL_STORE"):
        monkeypatch.setenv(key, env[key])
    return env


def expected(n: int) -> dict[str, Any]:
    outs = [answer(f"task {i}") for i in range(n)]
    return {"outs": outs, "summary": answer("summarize " + ",".join(outs))}


def start(tmp_path: Path, n: int, concurrency: int, latency: float,
          monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FLOWDSL_TEST_LATENCY", str(latency))
    script = tmp_path / "fanout.flow.py"
    script.write_text(FANOUT)
    return start_background(script, args={"n": n},
                            options=RunOptions.resolve(backend=BACKEND, concurrency=concurrency))


def poll(store_dir: Path, run_id: str, until: Callable[[RunInfo, Store], bool],
         timeout: float = 30.0) -> RunInfo:
    deadline = time.monotonic() + timeout
    with Store.open(store_dir) as store:
        while True:
            info = store.get_run(run_id)
            if until(info, store):
                return info
            assert time.monotonic() < deadline, f"timed out; run is {info.status}"
            time.sleep(0.02)


def test_kill_9_then_resume_reruns_no_finished_agent(
    tmp_path: Path, store_dir: Path, worker_env: dict[str, str], cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    concurrency = 4
    run_id = start(tmp_path, 40, concurrency, 0.15, monkeypatch)
    info = poll(store_dir, run_id, lambda i, s: len(s.journal(run_id)) >= 12)
    assert info.status == "running"
    assert info.pid
    os.kill(info.pid, signal.SIGKILL)
    poll(store_dir, run_id, lambda i, s: i.status == "interrupted", timeout=10)
    with Store.open(store_dir) as store:
        finished_before = {e.record.request.prompt for e in store.journal(run_id)}
    assert 12 <= len(finished_before) < 40

    resumed = cli("runs", "resume", run_id, "--json")
    assert resumed.code == 0, resumed.err
    assert json.loads(resumed.out)["run_id"] == run_id
    done = cli("runs", "result", run_id, "--wait", "--timeout", "60", "--json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["result"] == expected(40)

    counts = Counter(executions(tmp_path / "count.txt"))
    assert len(counts) == 41
    assert all(counts[prompt] == 1 for prompt in finished_before)
    twice = [prompt for prompt, n in counts.items() if n > 1]
    assert len(twice) <= concurrency
    assert max(counts.values()) <= 2


def test_eight_background_runs_share_one_new_store(
    tmp_path: Path, store_dir: Path, worker_env: dict[str, str],
) -> None:
    script = tmp_path / "fanout.flow.py"
    script.write_text(FANOUT)
    code = ("import sys; from flowdsl._durable import start_background; "
            "from flowdsl._options import RunOptions; "
            "print(start_background(sys.argv[1], args={'n': 25}, "
            f"options=RunOptions.resolve(backend={BACKEND!r}, concurrency=8)))")
    env = {**worker_env, "FLOWDSL_TEST_LATENCY": "0.005"}
    starters = [subprocess.Popen([sys.executable, "-c", code, str(script)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(8)]
    outputs = [p.communicate(timeout=60) for p in starters]
    assert all(p.returncode == 0 for p in starters), [err for _, err in outputs]
    run_ids = [out.strip() for out, _ in outputs]
    for run_id in run_ids:
        info = poll(store_dir, run_id, lambda i, s: not i.live, timeout=60)
        assert info.status == "completed", info.error
        assert (info.agents_done, info.agents_failed) == (26, 0)
        assert info.result == expected(25)
    logs = "".join(p.read_text() for p in (store_dir / "logs").iterdir())
    assert "locked" not in logs
    assert "Traceback" not in logs
    assert len(executions(tmp_path / "count.txt")) == 8 * 26


def test_pause_stops_dispatch_and_resume_continues(
    tmp_path: Path, store_dir: Path, worker_env: dict[str, str], cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    count_file = tmp_path / "count.txt"
    run_id = start(tmp_path, 30, 2, 0.1, monkeypatch)
    poll(store_dir, run_id, lambda i, s: len(executions(count_file)) >= 4)
    paused = cli("runs", "pause", run_id, "--json")
    assert paused.code == 0, paused.err
    assert json.loads(paused.out) == {"run_id": run_id, "status": "paused"}
    started = len(executions(count_file))
    time.sleep(0.6)
    assert len(executions(count_file)) == started
    status = json.loads(cli("runs", "status", run_id, "--json").out)
    assert status["status"] == "paused"
    assert status["pid"]
    assert cli("runs", "resume", run_id).code == 0
    done = cli("runs", "result", run_id, "--wait", "--json")
    assert json.loads(done.out)["status"] == "completed"
    assert len(executions(count_file)) == 31


def test_stop_cancels_then_resume_completes_without_rerunning(
    tmp_path: Path, store_dir: Path, worker_env: dict[str, str], cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_id = start(tmp_path, 20, 2, 0.3, monkeypatch)
    poll(store_dir, run_id, lambda i, s: len(s.journal(run_id)) >= 2)
    began = time.monotonic()
    stopped = cli("runs", "stop", run_id, "--json")
    assert stopped.code == 0, stopped.err
    assert json.loads(stopped.out)["status"] == "stopped"
    assert time.monotonic() - began < 5
    with Store.open(store_dir) as store:
        finished = {e.record.request.prompt for e in store.journal(run_id) if e.record.ok}
    assert cli("runs", "resume", run_id).code == 0
    done = cli("runs", "result", run_id, "--wait", "--json")
    assert json.loads(done.out)["result"] == expected(20)
    counts = Counter(executions(tmp_path / "count.txt"))
    assert all(counts[p] == 1 for p in finished)


def test_sigterm_stops_a_worker_cleanly(
    tmp_path: Path, store_dir: Path, worker_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_id = start(tmp_path, 20, 2, 0.3, monkeypatch)
    info = poll(store_dir, run_id, lambda i, s: len(s.journal(run_id)) >= 1)
    assert info.pid is not None
    os.kill(info.pid, signal.SIGTERM)
    info = poll(store_dir, run_id, lambda i, s: not i.live, timeout=10)
    assert info.status == "stopped"
    with Store.open(store_dir) as store:
        assert store.get_run(run_id).heartbeat is not None


def test_stop_ends_a_worker_spinning_in_script_code(
    tmp_path: Path, store_dir: Path, worker_env: dict[str, str], cli: Any,
) -> None:
    script = tmp_path / "spin.flow.py"
    script.write_text('meta = {"name": "spin", "description": "d"}\n'
                      'await agent("x")\nwhile True:\n    pass\n')
    run_id = start_background(script, args=None, options=RunOptions.resolve(backend="simulate"))
    poll(store_dir, run_id, lambda i, s: len(s.journal(run_id)) >= 1)
    started = time.monotonic()
    stopped = cli("runs", "stop", run_id, "--timeout", "0.5", "--json")
    assert time.monotonic() - started < 5.0  # SIGTERM halts the loop tick; no SIGKILL
    assert json.loads(stopped.out)["status"] == "stopped"
    assert any("run stopped" in line for line in cli("runs", "logs", run_id).out.splitlines())
