"""The store file: creation, WAL, versioning, migrations, refusing foreign or newer files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from flowdsl._store import Store
from flowdsl._store._sqlite import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    connect,
    translate,
)
from flowdsl.errors import StoreCorrupt, StoreError, StoreVersionError

FIXTURES = Path(__file__).parent / "fixtures"


def test_new_store_is_wal_versioned_and_marked(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s") as store:
        conn = store.conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "journal", "events"} <= tables


def test_reopening_does_not_migrate_again(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    with Store.open(tmp_path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_open_without_create_refuses_a_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no flowdsl store"):
        Store.open(tmp_path / "nothing", create=False)
    assert not (tmp_path / "nothing").exists()


def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    db = tmp_path / "flowdsl.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    before = db.read_bytes()
    with pytest.raises(StoreVersionError, match="newer than this flowdsl"):
        Store.open(tmp_path)
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    "content", [b"this is not a database" * 100, b"SQLite format 3\x00" + b"\xff" * 200])
def test_corrupt_file_is_refused_and_left_untouched(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "flowdsl.db"
    db.write_bytes(content)
    with pytest.raises(StoreCorrupt, match="nothing was changed"):
        Store.open(tmp_path)
    assert db.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flowdsl.db"]


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "flowdsl.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(StoreCorrupt, match="not a flowdsl store"):
        Store.open(tmp_path)
    assert db.read_bytes() == before


def test_migration_step_applies_once_and_keeps_data(tmp_path: Path) -> None:
    db = tmp_path / "flowdsl.db"
    connect(db).close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO events (run_id, at, kind, text) VALUES ('r', 1, 'log', 'kept')")
    conn.commit()
    conn.close()
    extra = (*MIGRATIONS, ("ALTER TABLE events ADD COLUMN extra TEXT",))
    conn = connect(db, migrations=extra)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert conn.execute("SELECT text, extra FROM events").fetchall() == [("kept", None)]
    conn.close()
    connect(db, migrations=extra).close()  # already at that version: a no-op
    with pytest.raises(StoreVersionError):
        connect(db)  # this flowdsl knows one version less


def test_v1_store_fixture_opens_and_lists_its_run(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "flowdsl.db")
    conn.executescript((FIXTURES / "store_v1.sql").read_text())
    conn.close()
    with Store.open(tmp_path) as store:
        [run] = store.list_runs()
        assert (run.id, run.status, run.agents_done) == ("0a1b2c3d", "completed", 2)
        assert len(store.load_replay(run.id)) == 2


def test_v1_store_is_migrated_and_its_rows_have_no_tool_calls(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "flowdsl.db")
    conn.executescript((FIXTURES / "store_v1.sql").read_text())
    conn.close()
    with Store.open(tmp_path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        entries = store.journal("0a1b2c3d")
    assert [e.record.tool_calls for e in entries] == [(), ()]


def test_v1_store_is_migrated_and_its_rows_have_every_token_priced(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "flowdsl.db")
    conn.executescript((FIXTURES / "store_v1.sql").read_text())
    conn.close()
    with Store.open(tmp_path) as store:
        [run] = store.list_runs()
        entries = store.journal(run.id)
    assert [e.record.usage.unpriced_tokens for e in entries] == [0, 0]
    assert run.usage.cost_complete


@pytest.mark.parametrize(("code", "expected"), [
    (sqlite3.SQLITE_CORRUPT, StoreCorrupt),
    (sqlite3.SQLITE_NOTADB, StoreCorrupt),
    (sqlite3.SQLITE_BUSY, StoreError),
    (sqlite3.SQLITE_FULL, StoreError),
    (sqlite3.SQLITE_READONLY, StoreError),
])
def test_every_sqlite_error_is_translated(code: int, expected: type[StoreError]) -> None:
    for cls in (sqlite3.DatabaseError, sqlite3.OperationalError, sqlite3.IntegrityError):
        exc = cls("boom\n  at line 2")
        exc.sqlite_errorcode = code
        error = translate(exc, "db")
        assert type(error) is expected
        assert str(error).startswith("db: ")
        assert "boom at line 2" in str(error)  # the cause, on one line


def test_a_store_created_by_another_process_meanwhile_is_not_called_foreign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another process commits the new store's tables between this open's checks."""
    db = tmp_path / "flowdsl.db"
    with sqlite3.connect(db) as first:  # a new, empty WAL file: writers don't wait on readers
        first.execute("PRAGMA journal_mode=WAL")
    real_connect = sqlite3.connect

    class RacedConnection(sqlite3.Connection):
        raced = False

        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
            if "sqlite_master" in sql and not RacedConnection.raced:
                RacedConnection.raced = True
                monkeypatch.setattr(sqlite3, "connect", real_connect)
                connect(db).close()  # the other process creates the store now
            return super().execute(sql, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect",
                        lambda *a, **k: real_connect(*a, **k, factory=RacedConnection))
    conn = connect(db)
    assert RacedConnection.raced
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
