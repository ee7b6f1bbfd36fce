"""The real CLI against a PostgreSQL store: ``runs list/status/result/logs/cost/report``
from another directory and local folder (another machine's view), a background run
killed and resumed, and a failed login reported in one line without the password."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from flowdsl._store import Store

ROOT = Path(__file__).resolve().parents[2]
HELPERS = ROOT / "tests" / "durable"  # flowstore_helpers: the counting backend, FANOUT
sys.path.insert(0, str(HELPERS))
from flowstore_helpers import FANOUT, Proc, answer, executions  # noqa: E402

BACKEND = "flowstore_helpers:CountingBackend"


@pytest.fixture
def machine(tmp_path: Path, pg_url: str):  # type: ignore[no-untyped-def]
    """``machine(name)``: a CLI runner in its own working directory and local state
    folder (another machine sharing the store), with ``$FLOWDSL_STORE`` the URL."""

    def make(name: str):  # type: ignore[no-untyped-def]
        home = tmp_path / name
        (home / "state").mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "FLOWDSL_STORE": pg_url, "XDG_STATE_HOME": str(home / "state"),
               "PYTHONPATH": os.pathsep.join([str(HELPERS), str(ROOT)]),
               "FLOWDSL_TEST_COUNT_FILE": str(tmp_path / "count.txt")}

        def run(*argv: str, extra: dict[str, str] | None = None) -> Proc:
            proc = subprocess.run([sys.executable, "-m", "flowdsl", *argv],
                                  env={**env, **(extra or {})}, cwd=home, capture_output=True,
                                  text=True, timeout=120, check=False)
            return Proc(proc.returncode, proc.stdout, proc.stderr)

        return run

    return make


def expected(n: int) -> dict[str, object]:
    outs = [answer(f"task {i}") for i in range(n)]
    return {"outs": outs, "summary": answer("summarize " + ",".join(outs))}


def test_runs_commands_read_a_run_another_machine_stored(machine, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                         pg_url: str) -> None:
    here, there = machine("here"), machine("there")
    script = tmp_path / "fanout.flow.py"
    script.write_text(FANOUT)
    ran = here("run", str(script), "--backend", BACKEND, "--args", '{"n": 3}', "--json")
    assert ran.code == 0, ran.err
    run_id = json.loads(ran.out)["run_id"]

    listed = there("runs", "list", "--json")
    assert listed.code == 0, listed.err
    assert [(r["run_id"], r["status"]) for r in json.loads(listed.out)] == [(run_id, "completed")]
    status = json.loads(there("runs", "status", run_id[:5], "--json").out)
    assert status["agents"] == {"done": 4, "failed": 0, "total": 4}
    result = there("runs", "result", run_id, "--json")
    assert json.loads(result.out)["result"] == expected(3)
    logs = there("runs", "logs", run_id)
    assert logs.code == 0, logs.err
    assert "== Fan" in logs.out
    cost = there("runs", "cost", "--json")
    assert cost.code == 0, cost.err
    assert "40" in cost.out or "input_tokens" in cost.out
    report = there("runs", "report", run_id, "-o", str(tmp_path / "r.html"))
    assert report.code == 0, report.err
    assert run_id in (tmp_path / "r.html").read_text()
    # the URL given with --store works the same as $FLOWDSL_STORE
    again = there("runs", "list", "--store", pg_url, extra={"FLOWDSL_STORE": "/nonexistent"})
    assert run_id in again.out
    assert "s3cret" not in listed.out + listed.err + logs.out + again.out + again.err


def test_a_killed_background_run_resumes_from_another_directory(machine, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                pg_url: str) -> None:
    here, there = machine("here"), machine("there")
    script = tmp_path / "fanout.flow.py"
    script.write_text(FANOUT)
    started = here("run", str(script), "--background", "--backend", BACKEND, "--args",
                   '{"n": 30}', "--concurrency", "4", "--json",
                   extra={"FLOWDSL_TEST_LATENCY": "0.1"})
    assert started.code == 0, started.err
    run_id = json.loads(started.out)["run_id"]
    deadline = time.monotonic() + 60
    with Store.open(pg_url, read_only=True) as store:
        while len(store.journal(run_id)) < 8:
            assert time.monotonic() < deadline, store.get_run(run_id)
            time.sleep(0.05)
        info = store.get_run(run_id)
        assert info.status == "running"
        assert info.pid is not None
        os.kill(info.pid, signal.SIGKILL)
        while store.get_run(run_id).status != "interrupted":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        finished_before = {e.record.request.prompt for e in store.journal(run_id)}
    assert (tmp_path / "here" / "state").exists()  # the worker's log stays local

    resumed = there("runs", "resume", run_id, "--json")
    assert resumed.code == 0, resumed.err
    done = there("runs", "result", run_id, "--wait", "--timeout", "60", "--json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["result"] == expected(30)
    counts = Counter(executions(tmp_path / "count.txt"))
    assert len(counts) == 31
    assert all(counts[prompt] == 1 for prompt in finished_before)  # none paid twice


def test_a_failed_login_is_one_line_with_the_store_exit_code_and_no_password(
        machine, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    wrong = pg_url.replace("s3cret-pw-for-tests", "wrong-Pass-77")
    for argv in (("runs", "list"), ("runs", "status", "abc")):
        proc = machine("here")(*argv, "--store", wrong)
        assert proc.code == 2, proc.err
        assert proc.err.startswith("flowdsl: error: ")
        assert proc.err.count("\n") == 1
        assert "password authentication failed" in proc.err
        assert "wrong-Pass-77" not in proc.err
        assert "Traceback" not in proc.err


def test_reads_of_a_database_without_a_store_create_nothing(machine, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    listed = machine("here")("runs", "list", "--json")
    assert (listed.code, json.loads(listed.out)) == (0, [])
    missing = machine("here")("runs", "status", "abc")
    assert missing.code != 0
    assert "no flowdsl store" in missing.err
    import psycopg

    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'flowdsl'"
                            ).fetchone() == (0,)
