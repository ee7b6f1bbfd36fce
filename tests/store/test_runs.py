"""Run rows: listing, ids, liveness (dead workers show as interrupted), control requests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowdsl import RunResult
from flowdsl._store import Store, _liveness
from flowdsl._types import AgentRecord, AgentRequest, Usage
from flowdsl.errors import RunNotFound


def new_run(store: Store, name: str = "t") -> str:
    return store.create_run(name=name, script_path=f"{name}.flow.py", script_text="",
                            args={"a": 1}, options={"backend": "simulate"}, background=True)


def test_runs_are_listed_newest_first(store_at: str) -> None:
    with Store.open(store_at) as store:
        ids = [new_run(store, f"n{i}") for i in range(3)]
        assert [r.id for r in store.list_runs()] == ids[::-1]
        assert [r.id for r in store.list_runs(limit=2)] == ids[:0:-1]


def test_a_unique_prefix_names_a_run(store_at: str) -> None:
    with Store.open(store_at) as store:
        run_id = new_run(store)
        assert store.get_run(run_id[:3]).id == run_id
        assert store.get_run(run_id).args == {"a": 1}


@pytest.mark.parametrize("ref", ["zzzzzzzz", "", "../x", "a%"])
def test_unknown_ids_raise_run_not_found(store_at: str, ref: str) -> None:
    with Store.open(store_at) as store:
        new_run(store)
        with pytest.raises(RunNotFound):
            store.get_run(ref)


def test_live_worker_shows_running_and_dead_one_interrupted(store_at: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with Store.open(store_at) as store:
            run_id = new_run(store)
            store.set_worker(run_id, child.pid)
            assert store.get_run(run_id).status == "running"
            child.kill()
            child.wait()
            assert store.get_run(run_id).status == "interrupted"
    finally:
        child.kill()
        child.wait()


def test_zombie_worker_counts_as_dead(store_at: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while _liveness._stat_fields(child.pid)[0] != "Z":  # type: ignore[index]
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with Store.open(store_at) as store:
            run_id = new_run(store)
            store.set_worker(run_id, child.pid)
            assert store.get_run(run_id).status == "interrupted"
    finally:
        child.wait()


def test_reused_pid_or_other_boot_counts_as_dead() -> None:
    me = os.getpid()
    start = _liveness.process_start(me)
    now = time.time()
    common = {"run_boot_id": _liveness.boot_id(), "host": _liveness.hostname(),
              "heartbeat": now, "since": now, "now": now}
    assert _liveness.worker_alive(pid=me, pid_start=start, **common)
    assert not _liveness.worker_alive(pid=me, pid_start=(start or 0) + 1, **common)
    other_boot = {**common, "run_boot_id": "another-boot"}
    assert not _liveness.worker_alive(pid=me, pid_start=start, **other_boot)


def test_row_without_pid_is_starting_then_interrupted() -> None:
    now = time.time()
    args = {"pid": None, "pid_start": None, "run_boot_id": None, "host": None, "heartbeat": None}
    assert _liveness.worker_alive(**args, since=now - 1, now=now)
    assert not _liveness.worker_alive(**args, since=now - _liveness.START_GRACE - 1, now=now)


def test_worker_on_another_host_is_judged_by_its_heartbeat() -> None:
    now = time.time()
    args = {"pid": 1, "pid_start": None, "run_boot_id": None, "host": "elsewhere", "since": 0.0}
    assert _liveness.worker_alive(**args, heartbeat=now - 1, now=now)
    assert not _liveness.worker_alive(**args, heartbeat=now - _liveness.STALE_AFTER - 1, now=now)


def test_control_request_is_taken_once(store_at: str) -> None:
    with Store.open(store_at) as store:
        run_id = new_run(store)
        assert store.take_control(run_id) is None
        store.request_control(run_id, "pause")
        assert store.take_control(run_id) == "pause"
        assert store.take_control(run_id) is None


def unpriced_record(model: str) -> AgentRecord:
    return AgentRecord(request=AgentRequest(prompt=model, model=model), status="ok",
                       usage=Usage(input_tokens=30, output_tokens=12, unpriced_tokens=42))


def test_journal_round_trips_unpriced_tokens(store_at: str) -> None:
    record = unpriced_record("qwen3")
    with Store.open(store_at) as store:
        run_id = new_run(store)
        store.append_journal(run_id, "k", record)
        assert [e.record for e in store.journal(run_id)] == [record]


def test_a_live_and_a_finished_run_total_the_unpriced_tokens(store_at: str) -> None:
    with Store.open(store_at) as store:
        run_id = new_run(store)
        store.set_worker(run_id, os.getpid())
        store.append_journal(run_id, "a", unpriced_record("a"))
        store.append_journal(run_id, "b", unpriced_record("b"))
        assert store.get_run(run_id).usage.unpriced_tokens == 84
        store.finish(run_id, RunResult(status="completed"))
        info = store.get_run(run_id)
    assert info.usage.unpriced_tokens == 84
    assert info.to_json()["usage"] == {"input_tokens": 60, "output_tokens": 24,
                                       "cost_usd": None, "cost_complete": False,
                                       "unpriced_tokens": 84}


def test_finish_stores_result_and_totals_and_rm_deletes_everything(store_at: str) -> None:
    with Store.open(store_at) as store:
        run_id = new_run(store)
        store.finish(run_id, RunResult(status="completed", value={"x": [1]}))
        info = store.get_run(run_id)
        assert (info.status, info.result, info.finished_at is not None) == (
            "completed", {"x": [1]}, True)
        store.delete_run(run_id)
        with pytest.raises(RunNotFound):
            store.get_run(run_id)
        assert store.events(run_id) == []


def keyed_run(store: Store, key: str | None) -> tuple[str, bool]:
    return store.create_run_once(key, name="k", script_path="k.flow.py", script_text="",
                                 args=None, options={}, background=True)


def test_an_idempotency_key_creates_its_run_once(store_at: str) -> None:
    with Store.open(store_at) as store:
        first = keyed_run(store, "job-1")
        assert first[1] is True
        assert keyed_run(store, "job-1") == (first[0], False)
        assert keyed_run(store, "job-2")[0] != first[0]
        assert keyed_run(store, None)[1] is True
        assert keyed_run(store, None)[1] is True  # no key: always a new run
        assert len(store.list_runs()) == 4


RACE = """
import sys
from flowdsl._store import Store
with Store.open(sys.argv[1]) as store:
    run_id, _ = store.create_run_once("race", name="r", script_path="r.flow.py",
                                      script_text="", args=None, options={}, background=True)
print(run_id)
"""


def test_racing_processes_with_one_key_get_one_run(store_at: str) -> None:
    with Store.open(store_at):
        pass  # created and migrated once, before the race
    procs = [subprocess.Popen([sys.executable, "-c", RACE, store_at],
                              stdout=subprocess.PIPE, text=True) for _ in range(6)]
    ids = {p.communicate(timeout=120)[0].strip() for p in procs}
    assert len(ids) == 1
    with Store.open(store_at) as store:
        assert [r.id for r in store.list_runs()] == list(ids)


def test_runs_are_listed_by_status(store_at: str) -> None:
    with Store.open(store_at) as store:
        done, failed, other = new_run(store), new_run(store), new_run(store)
        store.finish(done, RunResult(status="completed", value=1))
        store.finish(failed, RunResult(status="failed", value=None, error="x"))
        store.finish(other, RunResult(status="completed", value=2))
        assert [r.id for r in store.list_runs(status="completed")] == [other, done]
        assert [r.id for r in store.list_runs(status="completed", limit=1)] == [other]
        assert [r.id for r in store.list_runs(status="failed")] == [failed]


def test_running_labels_show_while_the_run_is_live_only(store_at: str) -> None:
    with Store.open(store_at) as store:
        run_id = new_run(store)
        store.claim(run_id, pid=os.getpid())
        store.set_running(run_id, [("a", 1.5), ("b", 2.5)])
        info = store.get_run(run_id)
        assert (info.running, info.running_since) == (("a", "b"), (("a", 1.5), ("b", 2.5)))
        store.finish(run_id, RunResult(status="completed", value=None))
        assert store.get_run(run_id).running == ()


def test_events_come_after_a_cursor_up_to_a_limit_and_the_last_of_a_kind(
        store_at: str) -> None:
    with Store.open(store_at) as store:
        run_id = new_run(store)
        now = time.time()
        store.append_events([(run_id, now, "phase", "one"), (run_id, now, "log", "x"),
                             (run_id, now, "phase", "two")])
        everything = store.events(run_id)
        assert [e.text for e in store.events(run_id, limit=2)] == ["created", "one"]
        assert store.events(run_id, after=everything[1].id, limit=1)[0].text == "x"
        last = store.last_event(run_id, "phase")
        assert last is not None
        assert last.text == "two"
        assert store.last_event(run_id, "agent") is None


def test_running_labels_of_a_row_written_before_start_times_have_none(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        store.claim(run_id, pid=os.getpid())
        store.conn.execute("UPDATE runs SET running = ? WHERE id = ?", ('["a"]', run_id))
        assert store.get_run(run_id).running_since == (("a", None),)
