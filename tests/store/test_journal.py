"""The journal table: rows appended in batches, in the order given, one transaction each."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowdsl._store import Store
from flowdsl._store._rows import encode_request
from flowdsl._types import AgentRecord, AgentRequest, Usage
from flowdsl.errors import StoreError


def agent(prompt: str, status: str = "ok", output: str = "done") -> AgentRecord:
    return AgentRecord(request=AgentRequest(prompt=prompt), status=status, output=output,
                       usage=Usage(input_tokens=3, output_tokens=4))


def new_run(store: Store) -> str:
    return store.create_run(name="t", script_path="t.flow.py", script_text="", args=None,
                            options={}, background=False)


def test_a_batch_is_one_transaction_in_the_order_given(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        store.append_journal_batch(run_id, [(k, agent(k)) for k in ("c", "a", "b")],
                                   [(run_id, 1.0, "log", "with them")])
        store.conn.set_trace_callback(None)
        assert [s for s in statements if s in ("BEGIN IMMEDIATE", "COMMIT")] == [
            "BEGIN IMMEDIATE", "COMMIT"]
        rows = store.journal(run_id)
        assert [e.key for e in rows] == ["c", "a", "b"]
        assert len({e.recorded_at for e in rows}) == 1  # one commit, one time
        assert list(store.load_replay(run_id)) == ["c", "a", "b"]
        assert [e.text for e in store.events(run_id)][-1] == "with them"


def test_a_row_of_a_known_key_replaces_it_at_its_new_place(store_at: str) -> None:
    with Store.open(store_at) as store:
        run_id = new_run(store)
        store.append_journal_batch(run_id, [("a", agent("a", "failed")), ("b", agent("b"))])
        earlier = store.journal_seqs(run_id)
        store.append_journal_batch(run_id, [("a", agent("a"))],  # the failed agent re-run
                                   replaced=[earlier["a"]])
        assert [(e.key, e.record.status) for e in store.journal(run_id)] == [
            ("b", "ok"), ("a", "ok")]


def test_a_single_row_replaces_the_row_of_its_key(store_at: str) -> None:
    with Store.open(store_at) as store:
        run_id, other = new_run(store), new_run(store)
        store.append_journal(run_id, "a", agent("a", "failed"))
        store.append_journal(other, "a", agent("a", "failed"))
        store.append_journal(run_id, "a", agent("a"))
        assert [(e.key, e.record.status) for e in store.journal(run_id)] == [("a", "ok")]
        assert [e.record.status for e in store.journal(other)] == ["failed"]  # its own run


def test_a_batch_touches_no_index_of_the_key(tmp_path: Path) -> None:
    """Keys are content hashes: an index of them would put every row on a random page."""
    with Store.open(tmp_path) as store:
        indexes = store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'journal'"
        ).fetchall()
        assert indexes == [("journal_run",)]


def test_a_batch_that_does_not_fit_writes_none_of_its_rows(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run_id = new_run(store)
        store.append_journal_batch(run_id, [("k", agent("k"))])
        store.conn.execute("PRAGMA max_page_count = 1")  # clamped to the current size
        with pytest.raises(StoreError, match="database or disk is full"):
            store.append_journal_batch(run_id, [("x", agent("x")),
                                                ("y", agent("y", output="x" * 200_000))])
        assert not store.conn.in_transaction
        assert [e.key for e in store.journal(run_id)] == ["k"]


def test_request_fields_encode_as_given_even_when_equal_values_were_cached() -> None:
    texts = [encode_request(AgentRequest(prompt="p", timeout=t)) for t in (1, 1.0, 1, 1.0)]
    assert texts == ['{"timeout":1}', '{"timeout":1.0}'] * 2  # 1 == 1.0, but not as JSON
    assert encode_request(AgentRequest(prompt="q", label="l", schema={"type": "object"})) \
        == '{"label":"l","schema":{"type":"object"}}'
