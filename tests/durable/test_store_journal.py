"""The journal and observer hooks: durable before return, events batched, O(1) rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flowdsl import AgentRecord, AgentRequest, Usage
from flowdsl._durable import StoreJournal, StoreObserver
from flowdsl._runtime import AgentFinished, AgentStarted, LogLine, PhaseStarted, StatusChanged
from flowdsl._store import Store


def new_run(store: Store) -> str:
    return store.create_run(name="t", script_path="t.flow.py", script_text="", args=None,
                            options={}, background=False)


def ok(prompt: str) -> AgentRecord:
    return AgentRecord(request=AgentRequest(prompt=prompt, label="l"), status="ok",
                       output=f"out {prompt}", usage=Usage(input_tokens=1, output_tokens=2))


def test_record_is_visible_to_another_connection_before_it_returns(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        journal = StoreJournal(store, run_id)
        journal.record("a:0", ok("a"))
        other = sqlite3.connect(tmp_path / "flowdsl.db")
        assert other.execute("SELECT key FROM journal").fetchall() == [("a:0",)]
        other.close()


def test_replay_returns_records_from_a_previous_process_view(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        StoreJournal(store, run_id).record("a:0", ok("a"))
    with Store.open(tmp_path) as store:
        journal = StoreJournal(store, run_id)
        assert journal.replay("a:0") == (ok("a"), 0)
        assert journal.replay("b:0") is None
        assert journal.replayed == 1


def test_replay_gives_each_record_its_place_in_completion_order(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        writer = StoreJournal(store, run_id)
        for key in ("c:0", "a:0", "b:0"):  # completion order, not key order
            writer.record(key, ok(key[0]))
        journal = StoreJournal(store, run_id)
        assert journal.size == 3
        assert [journal.replay(k)[1] for k in ("a:0", "b:0", "c:0")] == [1, 2, 0]


def test_journal_is_per_run(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        first, second = new_run(store), new_run(store)
        StoreJournal(store, first).record("a:0", ok("a"))
        assert StoreJournal(store, second).replay("a:0") is None


def test_events_are_buffered_then_written_with_the_next_journal_row(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        journal = StoreJournal(store, run_id)
        observe = StoreObserver(journal)
        observe(PhaseStarted(title="Review"))
        observe(LogLine(text="hello"))
        observe(AgentStarted(request=AgentRequest(prompt="a"), index=0))
        before = [e.text for e in store.events(run_id)]
        journal.record("a:0", ok("a"))
        after = [(e.kind, e.text) for e in store.events(run_id)]
    assert "Review" not in before
    assert after[-2:] == [("phase", "Review"), ("log", "hello")]


def test_failed_agents_and_pauses_become_events(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        journal = StoreJournal(store, run_id)
        observe = StoreObserver(journal)
        failed = AgentRecord(request=AgentRequest(prompt="p", label="lab"), status="timeout",
                             error="agent 'lab' timed out after 1 s")
        observe(AgentFinished(record=failed, index=0))
        observe(AgentFinished(record=ok("fine"), index=1))
        observe(StatusChanged(status="paused"))
        observe(StatusChanged(status="completed"))  # the store's finish() writes it
        journal.flush()
        events = [(e.kind, e.text) for e in store.events(run_id)][1:]
    assert events == [("agent", "lab timeout: agent 'lab' timed out after 1 s"),
                      ("status", "paused")]


def test_every_output_shape_round_trips(tmp_path: Path) -> None:
    request = AgentRequest(prompt="héllo \"quoted\"\n", label="l", phase="P", model="m",
                           schema={"type": "object"}, effort="high", agent_type="a",
                           isolation="worktree", timeout=3.5)
    outputs = ["text", "", "null", '{"a": 1}', {"a": [1, 2.5, None, "ü"]}, [1, "x"], 7, 2.5,
               True, None]
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        journal = StoreJournal(store, run_id)
        records = [AgentRecord(request=request, status="ok", output=out, duration=0.5,
                               usage=Usage(input_tokens=1, output_tokens=2, cost_usd=0.25,
                                           estimated=True))
                   for out in outputs]
        for i, record in enumerate(records):
            journal.record(f"k:{i}", record)
        assert [e.record for e in store.journal(run_id)] == records
