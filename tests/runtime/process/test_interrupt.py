"""Ctrl-C on a CPU-bound script: the parent's loop is free, so it stops at once —
exit 130, no traceback, the run ``interrupted`` and resumable, the child gone."""

from __future__ import annotations

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
    assert err.strip().splitlines()[-1] == "flowdsl: interrupted"
    assert "Traceback" not in err
    with Store.open(store) as s:
        [run] = s.list_runs()
        assert run.status == "interrupted"
        assert len(s.journal(run.id)) == 1
    assert not Path(f"/proc/{child}").exists()  # killed, and reaped by the CLI
