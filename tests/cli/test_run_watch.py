"""``runs status`` and ``runs logs --follow`` on a run in progress: the running agents'
labels, outcomes, failures by reason, spending against the caps, a running line."""

from __future__ import annotations

import io
import json
import os
import re
import time
from pathlib import Path

import pytest

from flowdsl._cli import main
from flowdsl._cli._run_watch import PROGRESS_EVERY, RunningLine, follow
from flowdsl._store import EventRow, Store
from flowdsl._types import AgentRecord, AgentRequest, AgentStatus, RunResult, Usage

SLOW = "tests.cli.slow_backend:create"
LABELS = [f"review:src/mod{i}.py" for i in range(12)]


def record(label: str, status: AgentStatus, error: str | None = None,
           tokens: int = 0) -> AgentRecord:
    return AgentRecord(request=AgentRequest(prompt=label, label=label), status=status,
                       error=error, usage=Usage(input_tokens=tokens, cost_usd=tokens / 1000))


def live_run(store: Store, running: list[str] = LABELS) -> str:
    """A run as its worker leaves it mid-way: a phase, finished and failed agents, and
    the labels of those still running."""
    run_id = store.create_run(name="watch", script_path="w.flow.py", script_text="", args=None,
                              options={"backend": "simulate", "budget": 1000, "max_cost": 2.0},
                              background=True)
    store.claim(run_id, pid=os.getpid())
    now = time.time()
    store.append_events([(run_id, now, "phase", "Draft"), (run_id, now, "phase", "Review")])
    store.append_journal_batch(run_id, [
        ("k1", record("a", "ok", tokens=300)),
        ("k2", record("b", "failed", "BackendError: HTTP 500")),
        ("k3", record("c", "failed", "BackendError: HTTP 500")),
        ("k4", record("d", "timeout", "agent 'd' timed out after 1 s")),
        ("k5", record("e", "refused", "BudgetExceeded: budget of 1,000 tokens exhausted")),
    ])
    # started two hours ago, a minute apart, in the order listed
    store.set_running(run_id, [(label, now - 7200 + 60 * i) for i, label in enumerate(running)])
    return run_id


def status(capsys: pytest.CaptureFixture[str], store_dir: Path, run_id: str,
           *flags: str) -> str:
    assert main(["runs", "status", run_id, "--store", str(store_dir), *flags]) == 0
    return capsys.readouterr().out


def test_status_of_a_live_run_lists_running_agents_oldest_first(capsys, tmp_path):
    with Store.open(tmp_path) as store:
        run_id = live_run(store)
    lines = status(capsys, tmp_path, run_id).splitlines()
    at = lines.index("running:    2h00m  review:src/mod0.py   (oldest first)")
    assert [line.strip() for line in lines[at + 1:at + 10]] == [
        f"1h{59 - i:02d}m  {label}" for i, label in enumerate(LABELS[1:10])]
    assert lines[at + 10].strip() == "… and 2 more"


def test_status_counts_outcomes_against_the_agents_started(capsys, tmp_path):
    with Store.open(tmp_path) as store:
        run_id = live_run(store)
    out = status(capsys, tmp_path, run_id)
    assert "agents:   17 started: 12 running · 1 ok · 3 failed · 1 refused\n" in out
    assert "phase:    Review\n" in out


def test_status_groups_failures_by_reason(capsys, tmp_path):
    with Store.open(tmp_path) as store:
        run_id = live_run(store)
    lines = status(capsys, tmp_path, run_id).splitlines()
    at = lines.index("failures: 2 × BackendError: HTTP 500")
    assert sorted(line.strip() for line in lines[at + 1:at + 3]) == [
        "1 × refused: BudgetExceeded", "1 × timeout"]


def test_status_shows_spending_against_the_runs_caps(capsys, tmp_path):
    with Store.open(tmp_path) as store:
        run_id = live_run(store)
    out = status(capsys, tmp_path, run_id)
    assert "budget:   300 of 1,000 tokens (30%)\n" in out
    assert "cost cap: $0.3000 of $2.00 (15%)\n" in out


def test_status_json_adds_phase_failures_and_caps(capsys, tmp_path):
    with Store.open(tmp_path) as store:
        run_id = live_run(store)
    data = json.loads(status(capsys, tmp_path, run_id, "--json"))
    assert data["phase"] == "Review"
    assert data["running"] == LABELS
    assert data["failures"][0] == {"reason": "BackendError: HTTP 500", "count": 2}
    assert (data["budget"], data["max_cost"]) == (1000, 2.0)


def test_status_escapes_running_labels(capsys, tmp_path):
    with Store.open(tmp_path) as store:
        run_id = live_run(store, running=["x\x1b]0;pwned\x07 [bold]y"])
    out = status(capsys, tmp_path, run_id)
    assert "  2h00m  x\\x1b]0;pwned\\x07 [bold]y\n" in out
    assert "\x1b" not in out


class FakeTime:
    """A clock and a sleep that advances it; ``at_sleep[n]`` runs at the n-th sleep."""

    def __init__(self, at_sleep: dict[int, object]) -> None:
        self.now = 0.0
        self.sleeps = 0
        self.at_sleep = at_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1
        action = self.at_sleep.get(self.sleeps)
        if callable(action):
            action()


def follow_lines(tmp_path: Path, *, terminal: bool) -> tuple[str, list[str]]:
    out = io.StringIO()
    with Store.open(tmp_path) as store:
        run_id = live_run(store)
        fake = FakeTime({
            10: lambda: store.append_events([(run_id, time.time(), "agent",
                                              "f timeout: agent 'f' timed out after 1 s")]),
            int(PROGRESS_EVERY / 0.2) + 5: lambda: store.finish(
                run_id, RunResult(status="completed", value=None)),
        })
        line = RunningLine(out, terminal=terminal, clock=fake.clock)
        printed: list[str] = []

        def emit(event: EventRow) -> None:
            printed.append(event.text)
            out.write(f"EVENT {event.text}\n")

        follow(store, run_id, emit=emit, until_end=True, line=line, sleep=fake.sleep)
    return out.getvalue(), printed


def test_follow_prints_each_failure_and_a_progress_line_every_few_seconds(tmp_path):
    out, printed = follow_lines(tmp_path, terminal=False)
    assert printed[-2:] == ["f timeout: agent 'f' timed out after 1 s", "completed"]
    progress = [line for line in out.splitlines() if " .. " in line]
    assert len(progress) == 1  # one in ~11 s of following, none per poll
    assert progress[0].endswith(
        " .. 17 started: 12 running · 1 ok · 3 failed · 1 refused · 300 of 1,000 tokens (30%)"
        " · $0.3000 of $2.00 (15%) · running: review:src/mod0.py 2h00m, "
        "review:src/mod1.py 1h59m, review:src/mod2.py 1h58m, review:src/mod3.py 1h57m, "
        "review:src/mod4.py 1h56m, …")


def test_follow_on_a_terminal_redraws_one_running_line_under_the_events(tmp_path):
    out, _ = follow_lines(tmp_path, terminal=True)
    # ~60 polls: drawn once, cleared for the new event, drawn again; never redrawn unchanged
    assert out.count("\r\x1b[2K.. 17 started: 12 running · 1 ok · 3 failed · 1 refused") == 2
    assert "\r\x1b[2KEVENT f timeout" in out  # cleared before each event
    assert out.endswith("\r\x1b[2KEVENT completed\n")  # and at the end


def test_logs_follow_of_a_background_run_shows_failures_as_they_happen(capsys, tmp_path,
                                                                          script):
    body = ("await parallel(agent(f'x{i}', label=f'slow-{i}', timeout=(0.2 if i else 60))"
            " for i in range(3))\nreturn 1")
    code = main(["run", str(script(body)), "--backend", SLOW, "--background", "--json",
                 "--store", str(tmp_path / "s")])
    assert code == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    deadline = time.monotonic() + 60
    while True:  # the worker starts, the two short agents time out, one keeps running
        out = status(capsys, tmp_path / "s", run_id)  # (running labels: ≤ 0.5 s old)
        if re.search(r"running: +\S+ s  slow-0\n", out) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "failures: 2 × timeout\n" in out
    assert "agents:   3 started: 1 running · 0 ok · 2 failed\n" in out
    assert main(["runs", "stop", run_id, "--store", str(tmp_path / "s")]) == 0
    assert main(["runs", "logs", run_id, "--follow", "--store", str(tmp_path / "s")]) == 0
    logs = capsys.readouterr().out
    assert "!! slow-1 timeout: agent 'slow-1' timed out after 0.2 s" in logs
    assert "!! slow-0 cancelled" in logs
