"""A disk that fills up during a run: one line naming the cause, nothing saved is lost.

The store lives on a real 2 MiB tmpfs (mounting one needs root, which CI has; elsewhere
these tests skip saying so). Agents answer 16 KiB each, so the disk fills after about a
hundred of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowdsl._cli import main
from flowdsl._store import Store

FULL = "database or disk is full"

BULKY_BACKEND = '''
import os
from flowdsl import AgentResult, Usage

class Bulky:
    async def run(self, request):
        with open(os.environ["BULKY_COUNT_FILE"], "a") as f:
            f.write(request.prompt + "\\n")
        return AgentResult(output=request.prompt * 2000, usage=Usage(output_tokens=1))

def make():
    return Bulky()
'''

SCRIPT = '''meta = {"name": "bulky", "description": "fills the disk"}
outs = await parallel(agent(f"task{i:04d}") for i in range(400))
return len([o for o in outs if o])
'''


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.fixture
def project(tmp_path: Path, small_disk: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "bulky.py").write_text(BULKY_BACKEND)
    (tmp_path / "bulky.flow.py").write_text(SCRIPT)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOWDSL_STORE", str(small_disk / "store"))
    monkeypatch.setenv("BULKY_COUNT_FILE", str(tmp_path / "count.txt"))
    return tmp_path


def calls(project: Path) -> list[str]:
    return (project / "count.txt").read_text().split()


def journaled(store_dir: Path, run_id: str) -> list[str]:
    with Store.open(store_dir, read_only=True) as store:
        return [e.record.request.prompt for e in store.journal(run_id) if e.record.ok]


def test_a_foreground_run_fails_with_one_line_and_resumes_once_there_is_room(
    project: Path, small_disk: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["run", "bulky.flow.py", "--backend", "bulky:make", "--json",
                 "--concurrency", "4"])
    out, err = capsys.readouterr()
    assert code == 1
    outcome = json.loads(out)
    assert outcome["status"] == "failed"
    assert outcome["error"].endswith(FULL)
    assert "Traceback" not in err
    run_id = outcome["run_id"]
    saved = journaled(small_disk / "store", run_id)
    assert 10 < len(saved) < 400
    assert main(["runs", "status", run_id, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["status"], status["error"]) == ("failed", outcome["error"])
    assert status["agents"]["done"] == len(saved)

    subprocess.run(["mount", "-o", "remount,size=32m", str(small_disk)], check=True)
    before = len(calls(project))
    assert main(["runs", "resume", run_id, "--foreground", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["result"] == 400
    rerun = calls(project)[before:]
    assert not set(saved) & set(rerun)  # no journaled agent ran (or was paid for) again
    assert len(rerun) == 400 - len(saved)


def test_a_background_run_records_the_cause_and_logs_one_line(
    project: Path, small_disk: Path,
) -> None:
    started = subprocess.run(
        [sys.executable, "-m", "flowdsl", "run", "bulky.flow.py", "--backend", "bulky:make",
         "--background", "--json"], capture_output=True, text=True, check=True, timeout=60)
    run_id = json.loads(started.stdout)["run_id"]
    deadline = time.monotonic() + 60
    while True:
        shown = subprocess.run([sys.executable, "-m", "flowdsl", "runs", "status", run_id,
                                "--json"], capture_output=True, text=True, timeout=60)
        status = json.loads(shown.stdout)
        if status["status"] != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status["status"] == "failed"
    assert status["error"].endswith(FULL)
    log = (small_disk / "store" / "logs" / f"{run_id}.log").read_text()
    assert "Traceback" not in log
    assert f"run {run_id} failed" in log
    assert status["agents"]["done"] == len(journaled(small_disk / "store", run_id)) > 10
