"""Ctrl-C on a CPU-bound script: the parent's loop is free, so it stops at once —
exit 130, no traceback, the run ``interrupted`` and resumable, the child gone."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from flowdsl import Store

from .conftest import child_pids


def test_ctrl_c_on_a_cpu_bound_script_exits_130_and_leaves_it_resumable(
    script: Callable[..., Path], tmp_path: Path
) -> None:
    path = script("""\
        a = await agent("first")
        n = 0
        while True:
            n += 1
    """)
    store = tmp_path / "store"
    cli = subprocess.Popen(
        [sys.executable, "-m", "flowdsl", "run", str(path), "--backend", "simulate",
         "--store", str(store)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the first agent is journaled
        time.sleep(0.1)
        if store.exists():
            with Store.open(store) as s:
                runs = s.list_runs()
                if runs and s.journal(runs[0].id):
                    break
    [child] = child_pids(cli.pid)
    cli.send_signal(signal.SIGINT)
    _, err = cli.communicate(timeout=15)
    assert cli.returncode == 130
    last = err.strip().splitlines()[-1]
    assert last.startswith("flowdsl: interrupted — agents: 1 ok; continue with 'flowdsl runs "
                           "resume ")
    assert "Traceback" not in err
    with Store.open(store) as s:
        [run] = s.list_runs()
        assert run.status == "interrupted"
        assert len(s.journal(run.id)) == 1
    assert not Path(f"/proc/{child}").exists()  # killed, and reaped by the CLI


def test_ctrl_c_says_how_many_agents_it_cancelled(script: Callable[..., Path],
                                                 tmp_path: Path) -> None:
    path = script('return await parallel(agent(f"slow {i}") for i in range(4))')
    store = tmp_path / "store"
    root = Path(__file__).resolve().parents[3]
    cli = subprocess.Popen(
        [sys.executable, "-m", "flowdsl", "run", str(path), "--backend",
         "tests.cli.outcome_backends:create", "--store", str(store), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the run is stored
        time.sleep(0.1)
        if store.exists():
            with Store.open(store) as s:
                if s.list_runs():
                    break
    time.sleep(1.5)  # the agents sleep 5 s: most likely all four are with the backend
    cli.send_signal(signal.SIGINT)
    out, err = cli.communicate(timeout=15)
    assert cli.returncode == 130
    data = json.loads(out)
    assert data["status"] == "interrupted"
    agents = data["agents"]
    assert agents["cancelled"] + agents["refused"] == 4  # sent or still queued
    said = ", ".join(f"{agents[k]} {k}" for k in ("refused", "cancelled") if agents[k])
    assert f"agents: 0 ok, {said}; continue with 'flowdsl runs resume {data['run_id']}'" in err
