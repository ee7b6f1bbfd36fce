"""Store failures are clean: a full database (or any sqlite error) is a one-line StoreError.

The database really fills up: ``PRAGMA max_page_count`` caps it at its current size, so
SQLite answers ``SQLITE_FULL`` ("database or disk is full") exactly as on a full disk,
without a tmpfs. A COMMIT that fails after SQLite has already rolled back (what a full
disk does to the WAL write of a commit) needs a connection that fails on cue: a proxy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from flowdsl import RunResult
from flowdsl._store import Store
from flowdsl._types import AgentRecord, AgentRequest, Usage
from flowdsl.errors import StoreError

BIG = "x" * 200_000  # far more than the pages left in a capped database


def agent(prompt: str, output: str = "done") -> AgentRecord:
    return AgentRecord(request=AgentRequest(prompt=prompt), status="ok", output=output,
                       usage=Usage(input_tokens=3, output_tokens=4), duration=0.01)


def new_run(store: Store) -> str:
    return store.create_run(name="t", script_path="t.flow.py", script_text="", args=None,
                            options={}, background=False)


@pytest.fixture
def full_store(tmp_path: Path) -> Iterator[tuple[Store, str]]:
    """A store with one run and two journaled agents, capped at its current size."""
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        store.append_journal(run_id, "k1", agent("one"))
        store.append_journal(run_id, "k2", agent("two"), [(run_id, 1.0, "log", "kept")])
        store.conn.execute("PRAGMA max_page_count = 1")  # clamped to the current size
        yield store, run_id


def assert_clean(error: pytest.ExceptionInfo[StoreError], db: Path) -> None:
    message = str(error.value)
    assert "database or disk is full" in message
    assert "\n" not in message
    assert message.startswith(str(db))
    assert not isinstance(error.value, sqlite3.Error)


def assert_journal_intact(directory: Path, run_id: str) -> None:
    """A new connection (another process, ``runs status``) still reads what was committed."""
    with Store.open(directory, create=False) as reader:
        assert [e.key for e in reader.journal(run_id)] == ["k1", "k2"]
        assert [e.text for e in reader.events(run_id) if e.kind == "log"] == ["kept"]
        assert reader.get_run(run_id).agents_done == 2


def test_full_database_fails_a_journal_insert_with_one_clean_line(
    full_store: tuple[Store, str],
) -> None:
    store, run_id = full_store
    with pytest.raises(StoreError) as error:
        store.append_journal(run_id, "k3", agent("three", BIG))
    assert_clean(error, store.db_path)
    assert not store.conn.in_transaction
    assert_journal_intact(store.directory, run_id)


def test_full_database_writes_neither_the_row_nor_its_events(
    full_store: tuple[Store, str],
) -> None:
    store, run_id = full_store
    events = [(run_id, 2.0, "log", "lost with its row"), (run_id, 3.0, "phase", "p")]
    with pytest.raises(StoreError) as error:
        store.append_journal(run_id, "k3", agent("three", BIG), events)
    assert_clean(error, store.db_path)
    assert not store.conn.in_transaction
    assert_journal_intact(store.directory, run_id)


WRITES: dict[str, Callable[[Store, str], object]] = {
    "create_run": lambda s, _: s.create_run(name=BIG, script_path="t", script_text=BIG,
                                            args=None, options={}, background=False),
    "finish": lambda s, r: s.finish(r, RunResult(status="completed", value=BIG)),
    "set_status": lambda s, r: s.set_status(r, "failed", error=BIG),
    "append_events": lambda s, r: s.append_events([(r, 1.0, "log", BIG)]),
    "prepare_resume": lambda s, r: s.prepare_resume(r, script_path="t", script_text=BIG),
    "update_options": lambda s, r: s.update_options(r, {"big": BIG}),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_to_a_full_database_is_a_clean_store_error(
    full_store: tuple[Store, str], write: Callable[[Store, str], object],
) -> None:
    store, run_id = full_store
    with pytest.raises(StoreError) as error:
        write(store, run_id)
    assert_clean(error, store.db_path)
    assert not store.conn.in_transaction
    assert_journal_intact(store.directory, run_id)


def test_the_store_writes_again_once_there_is_room(full_store: tuple[Store, str]) -> None:
    store, run_id = full_store
    with pytest.raises(StoreError):
        store.append_journal(run_id, "k3", agent("three", BIG), [(run_id, 2.0, "log", "x")])
    store.conn.execute("PRAGMA max_page_count = 1000000")
    store.append_journal(run_id, "k3", agent("three", BIG), [(run_id, 2.0, "log", "x")])
    assert [e.key for e in store.journal(run_id)] == ["k1", "k2", "k3"]


class CommitFailsAfterRollback:
    """A connection whose COMMIT fails with SQLITE_FULL after SQLite rolled back itself."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def execute(self, sql: str, *params: Any) -> sqlite3.Cursor:
        if sql == "COMMIT":
            self._conn.execute("ROLLBACK")
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = sqlite3.SQLITE_FULL
            raise error
        return self._conn.execute(sql, *params)


@pytest.mark.parametrize("write", [
    lambda s, r: s.append_journal(r, "k3", agent("three"), [(r, 2.0, "log", "x")]),
    lambda s, r: s.set_status(r, "failed", error="e"),
    lambda s, r: s.finish(r, RunResult(status="completed", value=1)),
    lambda s, r: s.delete_run(r),
], ids=["append_journal", "set_status", "finish", "delete_run"])
def test_a_commit_failing_after_sqlite_rolled_back_is_not_rolled_back_twice(
    tmp_path: Path, write: Callable[[Store, str], object],
) -> None:
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        store.append_journal(run_id, "k1", agent("one"))
        store.append_journal(run_id, "k2", agent("two"), [(run_id, 1.0, "log", "kept")])
        real = store.conn
        store.conn = CommitFailsAfterRollback(real)  # type: ignore[assignment]
        with pytest.raises(StoreError) as error:
            write(store, run_id)
        store.conn = real
        assert_clean(error, store.db_path)
        assert not real.in_transaction
        assert_journal_intact(tmp_path, run_id)


READS_AND_WRITES: dict[str, Callable[[Store, str], object]] = {
    "list_runs": lambda s, _: s.list_runs(),
    "get_run": lambda s, r: s.get_run(r),
    "resolve_id": lambda s, r: s.resolve_id(r),
    "journal": lambda s, r: s.journal(r),
    "load_replay": lambda s, r: s.load_replay(r),
    "events": lambda s, r: s.events(r),
    "take_control": lambda s, r: s.take_control(r),
    "request_control": lambda s, r: s.request_control(r, "stop"),
    "claim": lambda s, r: s.claim(r, pid=1),
    "set_worker": lambda s, r: s.set_worker(r, 1),
    "heartbeat": lambda s, r: s.heartbeat(r),
    "set_autocheckpoint": lambda s, _: s.set_autocheckpoint(False),
    "append_journal": lambda s, r: s.append_journal(r, "k", agent("p")),
    **WRITES,
    "delete_run": lambda s, r: s.delete_run(r),
}


@pytest.mark.parametrize("call", READS_AND_WRITES.values(), ids=READS_AND_WRITES.keys())
def test_no_method_lets_a_raw_sqlite_error_escape(
    tmp_path: Path, call: Callable[[Store, str], object],
) -> None:
    store = Store.open(tmp_path)
    run_id = new_run(store)
    store.conn.close()  # every statement now fails (sqlite3.ProgrammingError)
    with pytest.raises(StoreError, match="closed database"):
        call(store, run_id)
