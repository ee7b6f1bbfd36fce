"""Distributed runs end to end: real ``flowdsl worker`` processes on a throwaway
PostgreSQL cluster, real ``flowdsl run --distributed`` coordinators, the probe agent
logging every start, end and cancellation (see ``probe_backend``)."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flowdsl._store import Store
from flowdsl.errors import UsageError

from .conftest import Event, Project, Workers

FAN = """\
meta = {"name": "fan", "description": "n probe agents at once"}
import json
results = await parallel(
    agent(json.dumps({"i": i, "sleep": args["sleep"], "tag": args.get("tag", "")}),
          label=f"a{i}")
    for i in range(args["n"]))
return results
"""

PROBE = ["--backend", "probe_backend:make"]


def _run(project: Project, script: str, *args: str) -> dict[str, Any]:
    """``flowdsl run SCRIPT --distributed`` on the probe agent; its ``--json`` object."""
    done = project.flowdsl("run", script, "--distributed", "--store", project.url, *PROBE,
                           *args, "--json")
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def _fan(project: Project) -> str:
    (project.root / "fan.flow.py").write_text(FAN, encoding="utf-8")
    return "fan.flow.py"


def _args(n: int, sleep: float, tag: str = "") -> list[str]:
    return ["--args", json.dumps({"n": n, "sleep": sleep, "tag": tag})]


def _wait_for(what: Callable[[], bool], timeout: float = 60, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting: {message}")
        time.sleep(0.05)


def _starts(events: list[Event], pids: set[int] | None = None) -> Counter[str]:
    return Counter(e.prompt for e in events
                   if e.kind == "start" and (pids is None or e.pid in pids))


def _run_id(project: Project, elsewhere: Path) -> str:
    listed = project.flowdsl("runs", "list", "--store", project.url, "--json", cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    assert len(runs) == 1, runs
    return str(runs[0]["run_id"])


def test_fanout_on_three_workers_gives_the_in_process_result(
        project: Project, workers: Workers, tmp_path: Path) -> None:
    script = _fan(project)
    pids = {p.pid for p in workers.start(3, concurrency=8)}
    distributed = project.flowdsl("run", script, "--distributed", "--store", project.url,
                                  *PROBE, *_args(200, 0.01), "--json")
    assert distributed.returncode == 0, distributed.stderr
    local = project.flowdsl("run", script, "--store", str(tmp_path / "local"), *PROBE,
                            *_args(200, 0.01), "--json")
    assert local.returncode == 0, local.stderr
    out = json.loads(distributed.stdout)
    assert out["result"] == json.loads(local.stdout)["result"]
    assert out["agents"]["ok"] == 200
    on_workers = _starts(project.events(), pids)
    assert len(on_workers) == 200
    assert set(on_workers.values()) == {1}
    assert len({e.pid for e in project.events() if e.pid in pids}) >= 2  # spread out


def test_a_killed_worker_s_agents_run_again_elsewhere_and_no_finished_one_does(
        project: Project, workers: Workers) -> None:
    script = _fan(project)
    victim, *_ = workers.start(3, concurrency=4, dead_after=3)
    run = project.start_run(script, "--distributed", "--store", project.url, *PROBE,
                            *_args(36, 1.0), "--json")
    _wait_for(lambda: sum(e.kind == "start" and e.pid == victim.pid
                          for e in project.events()) >= 4, message="the victim's agents")
    workers.kill(victim)
    killed_at = time.time()
    stdout, stderr = run.communicate(timeout=180)
    assert run.returncode == 0, stderr
    assert json.loads(stdout)["agents"]["ok"] == 36
    events = project.events()
    ended_before = {e.prompt for e in events if e.kind == "end" and e.at < killed_at}
    started_after = {e.prompt for e in events if e.kind == "start" and e.at > killed_at}
    assert not ended_before & started_after  # no finished agent ran again
    in_flight = ({e.prompt for e in events if e.kind == "start" and e.pid == victim.pid}
                 - {e.prompt for e in events if e.kind == "end" and e.pid == victim.pid})
    assert in_flight
    assert in_flight <= started_after
    assert len({e.prompt for e in events if e.kind == "end"}) == 36


def test_a_killed_coordinator_resumed_elsewhere_pays_for_nothing_twice(
        project: Project, workers: Workers, tmp_path: Path) -> None:
    script = _fan(project)
    workers.start(2, concurrency=4)
    run = project.start_run(script, "--distributed", "--store", project.url, *PROBE,
                            *_args(24, 1.0), "--json")
    _wait_for(lambda: sum(e.kind == "end" for e in project.events()) >= 8,
              message="8 agents finished")
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run_id = _run_id(project, elsewhere)
    resumed = project.flowdsl("runs", "resume", run_id, "--store", project.url,
                              "--foreground", "--json", cwd=elsewhere)
    assert resumed.returncode == 0, resumed.stderr
    out = json.loads(resumed.stdout)
    assert out["status"] == "completed"
    assert len(out["result"]) == 24
    starts = _starts(project.events())
    assert len(starts) == 24
    assert set(starts.values()) == {1}


def test_concurrent_runs_never_exceed_the_global_limit(project: Project,
                                                       workers: Workers) -> None:
    script = _fan(project)
    workers.start(3, concurrency=4, global_concurrency=5)  # 12 slots, 5 allowed
    runs = [project.start_run(script, "--distributed", "--store", project.url, *PROBE,
                              *_args(10, 0.2, tag=f"r{k}"), "--json") for k in range(8)]
    for run in runs:
        _, stderr = run.communicate(timeout=240)
        assert run.returncode == 0, stderr
    running = peak = 0
    for event in sorted(project.events(), key=lambda e: (e.at, e.kind != "end")):
        running += 1 if event.kind == "start" else -1
        peak = max(peak, running)
    assert len(_starts(project.events())) == 80
    assert 3 <= peak <= 5, peak


def test_stop_cancels_queued_agents_and_running_ones(project: Project, workers: Workers,
                                                     tmp_path: Path) -> None:
    script = _fan(project)
    workers.start(1, concurrency=2)
    run = project.start_run(script, "--distributed", "--store", project.url, *PROBE,
                            *_args(10, 60.0), "--json")
    _wait_for(lambda: len(_starts(project.events())) == 2, message="two agents running")
    stopped = project.flowdsl("runs", "stop", _run_id(project, tmp_path), "--store",
                              project.url)
    assert stopped.returncode == 0, stopped.stderr
    stdout, _ = run.communicate(timeout=60)
    assert json.loads(stdout)["status"] == "stopped"
    _wait_for(lambda: sum(e.kind == "cancelled" for e in project.events()) == 2, timeout=20,
              message="both running agents cancelled on the worker")
    time.sleep(2)  # a queued agent that was not cancelled would start now
    assert len(_starts(project.events())) == 2


def test_an_agent_past_its_timeout_is_cancelled_on_its_worker(project: Project,
                                                               workers: Workers) -> None:
    (project.root / "slow.flow.py").write_text(
        'meta = {"name": "slow", "description": "one agent past its timeout"}\n'
        'return await agent(\'{"i": 0, "sleep": 60}\', timeout=1)\n', encoding="utf-8")
    workers.start(1)
    out = _run(project, "slow.flow.py")
    assert out["result"] is None, out
    assert out["agents"]["failed"] == 1, out
    _wait_for(lambda: any(e.kind == "cancelled" for e in project.events()), timeout=20,
              message="the worker cancelled the agent")


def test_the_budget_is_checked_before_an_agent_is_sent(project: Project,
                                                        workers: Workers) -> None:
    (project.root / "seq.flow.py").write_text(
        'meta = {"name": "seq", "description": "agents one after another"}\n'
        "import json\n"
        "done = []\n"
        "for i in range(5):\n"
        '    done.append(await agent(json.dumps({"i": i, "tokens": 15})))\n'
        "return done\n", encoding="utf-8")
    workers.start(1)
    out = _run(project, "seq.flow.py", "--budget", "50")
    assert out["status"] == "failed", out
    assert "BudgetExceeded" in out["error"], out
    assert out["usage"]["input_tokens"] + out["usage"]["output_tokens"] == 60
    assert len(_starts(project.events())) == 2  # the third was refused, never sent


def test_failures_come_back_with_their_class(project: Project, workers: Workers) -> None:
    (project.root / "fail.flow.py").write_text(
        'meta = {"name": "fail", "description": "a failing agent, then a config error"}\n'
        'first = await agent(\'{"i": 0, "fail": "ValueError"}\')\n'
        'log(f"first: {first}")\n'
        'return await agent(\'{"i": 1, "fail": "config"}\')\n', encoding="utf-8")
    workers.start(1)
    out = _run(project, "fail.flow.py")
    assert out["status"] == "failed", out
    assert out["error_type"] == "BackendConfigError", out
    assert "the probe has no key" in out["error"]
    run_id = out["run_id"]
    agents = project.flowdsl("runs", "agents", run_id, "--store", project.url, "--json")
    errors = [a["error"] for a in json.loads(agents.stdout)]
    assert any(e and e.startswith("RemoteAgentError: ValueError: probe failure 0")
               for e in errors), errors


def test_a_failed_agent_runs_again_on_resume(project: Project, workers: Workers) -> None:
    (project.root / "once.flow.py").write_text(
        'meta = {"name": "once", "description": "an agent that fails the first time"}\n'
        'answer = await agent(\'{"i": 0, "fail_once": true}\')\n'
        "if answer is None:\n"
        '    raise ValueError("no answer yet")\n'
        "return answer\n", encoding="utf-8")
    workers.start(1)
    out = _run(project, "once.flow.py")
    assert out["status"] == "failed", out
    resumed = project.flowdsl("runs", "resume", out["run_id"], "--store", project.url,
                              "--foreground", "--json")
    assert json.loads(resumed.stdout)["result"] == "done 0", resumed.stdout
    assert _starts(project.events()) == Counter({'{"i": 0, "fail_once": true}': 2})


def test_the_rate_limit_holds_for_each_model(project: Project, workers: Workers) -> None:
    (project.root / "models.flow.py").write_text(
        'meta = {"name": "models", "description": "four agents on each of two models"}\n'
        "import json\n"
        "return await parallel(agent(json.dumps({'i': i, 'model': m}), model=m)\n"
        "                      for m in ['m-a', 'm-b'] for i in range(4))\n", encoding="utf-8")
    workers.start(2, concurrency=8, extra=("--rate-limit", "2", "--rate-period", "3"))
    out = _run(project, "models.flow.py")
    assert out["agents"]["ok"] == 8, out
    for model in ("m-a", "m-b"):
        starts = sorted(e.at for e in project.events()
                        if e.kind == "start" and json.loads(e.prompt)["model"] == model)
        assert len(starts) == 4
        assert starts[2] - starts[0] >= 2.5  # the third waited for the window
    first = min(e.at for e in project.events())
    both = {json.loads(e.prompt)["model"] for e in project.events()
            if e.kind == "start" and e.at < first + 1.5}
    assert both == {"m-a", "m-b"}  # one model's limit does not hold the other back


def test_worktree_isolation_is_refused_before_anything_is_sent(project: Project) -> None:
    (project.root / "iso.flow.py").write_text(
        'meta = {"name": "iso", "description": "an isolated agent"}\n'
        'return await agent(\'{"i": 0}\', isolation="worktree")\n', encoding="utf-8")
    out = _run(project, "iso.flow.py")
    assert out["status"] == "failed", out
    assert "not supported in distributed runs" in out["error"], out
    assert project.events() == []  # no worker was asked


def test_stopping_a_run_whose_coordinator_died_cancels_what_it_left_queued(
        project: Project, workers: Workers, tmp_path: Path) -> None:
    script = _fan(project)
    workers.start(1, concurrency=1)
    run = project.start_run(script, "--distributed", "--store", project.url, *PROBE,
                            *_args(4, 60.0), "--json")
    _wait_for(lambda: len(_starts(project.events())) == 1, message="one agent running")
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)
    stopped = project.flowdsl("runs", "stop", _run_id(project, tmp_path), "--store",
                              project.url, "--json")
    assert stopped.returncode == 0, stopped.stderr
    _wait_for(lambda: any(e.kind == "cancelled" for e in project.events()), timeout=20,
              message="the running agent cancelled on its worker")
    time.sleep(2)  # a queued agent left on the queue would start now
    assert len(_starts(project.events())) == 1


def test_the_python_api_runs_distributed_too(project: Project, workers: Workers) -> None:
    import flowdsl

    script = project.root / _fan(project)
    workers.start(1)
    with pytest.raises(UsageError, match="pass journal=True"):
        flowdsl.run(script, args={"n": 1, "sleep": 0}, backend="probe_backend:make",
                    store=project.url, distributed=True)
    result = flowdsl.run(script, args={"n": 3, "sleep": 0}, backend="probe_backend:make",
                         store=project.url, distributed=True, journal=True,
                         cwd=str(project.root))
    assert result.status == "completed", result.error
    assert result.value == ["done 0", "done 1", "done 2"]
    assert len(_starts(project.events())) == 3


def test_a_run_without_a_worker_says_so_and_waits(project: Project, workers: Workers) -> None:
    script = _fan(project)
    run = project.start_run(script, "--distributed", "--store", project.url, *PROBE,
                            *_args(2, 0.0))
    assert run.stderr is not None
    first = run.stderr.readline()
    while "flowdsl worker" not in first:  # the live view's lines come first off a terminal
        first = run.stderr.readline()
        assert first, "the run ended without saying that no worker serves the queue"
    assert "no flowdsl worker serves this queue now" in first
    assert ":s3cret" not in first  # the store as messages show it: no password
    workers.start(1)  # the queued agents run as soon as one does
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 0, stderr
    assert len(_starts(project.events())) == 2


def test_the_failure_policy_stops_sending_agents(project: Project, workers: Workers) -> None:
    (project.root / "policy.flow.py").write_text(
        'meta = {"name": "policy", "description": "failing agents one after another"}\n'
        "import json\n"
        "for i in range(5):\n"
        '    await agent(json.dumps({"i": i, "fail": "ValueError"}))\n'
        "return 'all sent'\n", encoding="utf-8")
    workers.start(1)
    out = _run(project, "policy.flow.py", "--max-failures", "2")
    assert out["status"] == "failed", out
    assert "more than max_failures=2" in out["error"], out
    assert len(_starts(project.events())) == 3  # the fourth was refused, never sent


def test_a_paused_run_sends_no_agent_until_resumed(project: Project,
                                                   workers: Workers) -> None:
    (project.root / "seq2.flow.py").write_text(
        'meta = {"name": "seq2", "description": "slow agents one after another"}\n'
        "import json\n"
        "return [await agent(json.dumps({'i': i, 'sleep': 4.0})) for i in range(3)]\n",
        encoding="utf-8")
    workers.start(1)
    run = project.start_run("seq2.flow.py", "--distributed", "--store", project.url, *PROBE,
                            "--json")
    _wait_for(lambda: len(_starts(project.events())) == 1, message="the first agent running")
    with Store.open(project.url, create=False) as store:  # quicker than `runs list`
        (run_id,) = [run.id for run in store.list_runs()]
    paused = project.flowdsl("runs", "pause", run_id, "--store", project.url)
    assert paused.returncode == 0, paused.stderr
    _wait_for(lambda: any(e.kind == "end" for e in project.events()),
              message="the first agent ended")
    time.sleep(1.5)  # a run that still sent agents would have started the next by now
    assert len(_starts(project.events())) == 1
    resumed = project.flowdsl("runs", "resume", run_id, "--store", project.url)
    assert resumed.returncode == 0, resumed.stderr
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == 0, stderr
    assert json.loads(stdout)["result"] == ["done 0", "done 1", "done 2"]
    assert len(_starts(project.events())) == 3
