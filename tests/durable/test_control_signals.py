"""``runs stop`` signals a silent worker only on its own machine: a PostgreSQL store's run
may run on another host, where its pid names some other process."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from flowdsl._durable._control import _signal
from flowdsl._store import RunInfo
from flowdsl._store._liveness import hostname
from flowdsl._types import Usage


def _info(pid: int, host: str | None) -> RunInfo:
    return RunInfo(id="r1", name="n", status="running", script_path="x.flow.py",
                   script_text="", args=None, options={}, background=True, pid=pid,
                   heartbeat=None, workers=1, result=None, error=None, agents_done=0,
                   agents_failed=0, usage=Usage(), created_at=0.0, updated_at=0.0,
                   finished_at=None, host=host)


@pytest.mark.parametrize(("host", "signalled"), [
    ("another-machine", False),
    (None, True),  # rows of before kept no host: this machine's
    ("<this host>", True),
])
def test_a_worker_is_signalled_only_on_its_own_machine(host: str | None,
                                                        signalled: bool) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _signal(_info(proc.pid, hostname() if host == "<this host>" else host),
                signal.SIGTERM)
        try:
            proc.wait(timeout=10 if signalled else 0.5)
        except subprocess.TimeoutExpired:
            pass
        assert (proc.poll() is not None) is signalled
    finally:
        proc.kill()
        proc.wait()
