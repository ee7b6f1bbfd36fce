"""The journal and observer hooks: durable before return, group commit, events batched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import anyio.lowlevel

from flowdsl import AgentRecord, AgentRequest, RunResult, Usage
from flowdsl._durable import StoreJournal, StoreObserver
from flowdsl._frontends import compile_file
from flowdsl._options import RunOptions
from flowdsl._runtime import (
    AgentFinished,
    AgentStarted,
    LogLine,
    PhaseStarted,
    StatusChanged,
    execute,
)
from flowdsl._store import Store
from flowdsl.testing import FunctionBackend


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


def test_an_agent_run_again_on_resume_replaces_its_earlier_row(tmp_path: Path) -> None:
    failed = AgentRecord(request=AgentRequest(prompt="a"), status="failed", error="boom")
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        first = StoreJournal(store, run_id)
        first.record("a:0", failed)
        first.record("b:0", ok("b"))
        resumed = StoreJournal(store, run_id)  # a later attempt of the same run

        async def commit_both() -> None:
            async with anyio.create_task_group() as tg:  # one batch: the group commit
                tg.start_soon(resumed.commit, "a:0", ok("a"))
                tg.start_soon(resumed.commit, "c:0", ok("c"))

        anyio.run(commit_both)
        assert resumed.batches == 1
        assert [(e.key, e.record.status) for e in store.journal(run_id)] == [
            ("b:0", "ok"), ("a:0", "ok"), ("c:0", "ok")]


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


def committed_transactions(store: Store) -> list[str]:
    """Every COMMIT the store's connection runs from now on (a list that grows)."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    return statements


def count_commits(statements: list[str]) -> int:
    return sum(s == "COMMIT" for s in statements)


async def commit_together(journal: StoreJournal, keys: list[str],
                          output: str = "") -> list[BaseException]:
    """Agents that finish in one loop turn: each commits its row; the errors they got."""
    errors: list[BaseException] = []

    async def one(key: str) -> None:
        try:
            await journal.commit(key, ok(key[0]) if not output else AgentRecord(
                request=AgentRequest(prompt=key), status="ok", output=output))
        except Exception as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for key in keys:
            tg.start_soon(one, key)
    return errors


def test_agents_finishing_in_one_loop_turn_share_one_transaction(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        journal = StoreJournal(store, run_id)
        statements = committed_transactions(store)
        anyio.run(commit_together, journal, ["c:0", "a:0", "b:0", "d:0"])
        assert count_commits(statements) == 1
        assert (journal.recorded, journal.batches) == (4, 1)
        # committed in completion order: that is the order resume replays in
        assert [e.key for e in store.journal(run_id)] == ["c:0", "a:0", "b:0", "d:0"]


def test_a_failed_commit_raises_in_every_agent_of_the_batch(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        journal = StoreJournal(store, run_id)
        journal.record("k:0", ok("k"))
        journal.note("log", "kept for the next write")
        store.conn.execute("PRAGMA max_page_count = 1")  # full: SQLITE_FULL
        errors = anyio.run(commit_together, journal, [f"x{i}:0" for i in range(3)],
                           "x" * 200_000)  # more than the pages left
        assert len(errors) == 3
        assert all("database or disk is full" in str(e) for e in errors)
        store.conn.execute("PRAGMA max_page_count = 1000000")
        journal.flush()
        assert [e.key for e in store.journal(run_id)] == ["k:0"]  # none of the batch
        assert [e.text for e in store.events(run_id)][-1] == "kept for the next write"


def test_record_commits_the_open_batch_first(tmp_path: Path) -> None:
    async def main(journal: StoreJournal) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(journal.commit, "a:0", ok("a"))
            tg.start_soon(journal.commit, "b:0", ok("b"))
            await anyio.lowlevel.checkpoint()  # both rows wait for their batch ...
            journal.record("c:0", ok("c"))  # ... which this write commits, before its row

    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        journal = StoreJournal(store, run_id)
        statements = committed_transactions(store)
        anyio.run(main, journal)
        assert count_commits(statements) == 1
        assert [e.key for e in store.journal(run_id)] == ["a:0", "b:0", "c:0"]


def test_a_commit_cancelled_while_it_waits_still_commits_its_row(tmp_path: Path) -> None:
    outcome: list[str] = []

    async def main(journal: StoreJournal) -> None:
        async def follower() -> None:
            try:
                await journal.commit("b:0", ok("b"))
            except anyio.get_cancelled_exc_class():
                outcome.append(f"cancelled after {len(store.journal(journal.run_id))} rows")
                raise

        async with anyio.create_task_group() as tg:
            tg.start_soon(journal.commit, "a:0", ok("a"))
            tg.start_soon(follower)
            await anyio.lowlevel.checkpoint()
            tg.cancel_scope.cancel()  # while the follower waits for the batch

    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        journal = StoreJournal(store, run_id)
        anyio.run(main, journal)
        assert outcome == ["cancelled after 2 rows"]
        assert [e.key for e in store.journal(run_id)] == ["a:0", "b:0"]


def test_a_journaled_fan_out_commits_its_agents_in_batches(tmp_path: Path, script) -> None:
    path = script("return len(await parallel(agent(f'task {i}') for i in range(32)))")

    async def main(journal: StoreJournal) -> RunResult:
        return await execute(compile_file(path), args=None,
                             backend=FunctionBackend(lambda r: r.prompt),
                             options=RunOptions(concurrency=8, isolation="inline"),
                             journal=journal)

    with Store.open(tmp_path / "store") as store:
        run_id = new_run(store)
        journal = StoreJournal(store, run_id)
        result = anyio.run(main, journal)
        assert (result.status, result.value, journal.recorded) == ("completed", 32, 32)
        assert journal.batches <= 32 // 4  # agents that finish together share a commit
