"""The store's SQLite file: schema, migrations, opening it safely, error translation.

Versioning: ``PRAGMA user_version`` holds the schema version and ``PRAGMA application_id``
marks the file as a flowdsl store, both in the database header so they can be read
without trusting any table. ``MIGRATIONS[i]`` takes a store from version ``i`` to
``i + 1``; opening an older store applies the missing steps in one ``BEGIN IMMEDIATE``
transaction (so two processes opening an old store at once migrate it exactly once).
A store from a newer flowdsl, or a file that is not a flowdsl store, is refused and
left untouched.

Checkpoints: a worker's connection turns automatic WAL checkpoints off while it runs
and its supervisor checkpoints from a thread every few seconds (:func:`checkpoint`), so
the fsync of a checkpoint never lands on the path of an agent's result.

Read-only stores: ``connect(..., read_only=True)`` opens with ``mode=ro`` and writes
nothing (no WAL switch, no migration), so ``runs list/status/result/logs`` work on a store
the caller may not write; a store that would need a migration is refused with a clear
error instead.

Durability: WAL mode with ``synchronous=NORMAL``. Every commit is in the WAL before
``Store.append_journal_batch`` returns, so a killed worker (``kill -9``) loses nothing it
committed; an operating-system crash or power cut may lose the last commits (the
database stays consistent, and the lost agents simply run again on resume). Set
``FLOWDSL_STORE_SYNC=full`` to fsync every commit instead (about 1000x slower per agent).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import StoreCorrupt, StoreError, StoreVersionError
from ._database import Database

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SqliteDatabase",
    "checkpoint",
    "connect",
    "rollback",
    "translate",
]

APPLICATION_ID = 0x666C6F77  # "flow"

_V1 = (
    """CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        script_path TEXT NOT NULL,
        script_text TEXT NOT NULL,
        args TEXT NOT NULL,
        options TEXT NOT NULL,
        status TEXT NOT NULL,
        background INTEGER NOT NULL DEFAULT 0,
        pid INTEGER,
        pid_start INTEGER,
        boot_id TEXT,
        host TEXT,
        heartbeat REAL,
        control TEXT,
        workers INTEGER NOT NULL DEFAULT 0,
        result TEXT,
        error TEXT,
        agents_done INTEGER NOT NULL DEFAULT 0,
        agents_failed INTEGER NOT NULL DEFAULT 0,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        finished_at REAL
    )""",
    "CREATE INDEX runs_created ON runs (created_at)",
    # One row per finished agent, appended in finish order (rowid), found by its
    # content-addressed key through the unique index (until v7, which drops it); a
    # re-run of a failed agent replaces its row. Appending to the rowid B-tree touches
    # the last page only (the key index did not: see _V7). The prompt
    # and a text output are stored as plain text (``output_json`` = 0), other outputs
    # and the remaining request fields as JSON.
    """CREATE TABLE journal (
        seq INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        status TEXT NOT NULL,
        prompt TEXT NOT NULL,
        request TEXT NOT NULL,
        output TEXT NOT NULL,
        output_json INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        estimated INTEGER NOT NULL,
        duration REAL NOT NULL,
        error TEXT,
        recorded_at REAL NOT NULL,
        UNIQUE (run_id, key)
    )""",
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL
    )""",
    "CREATE INDEX events_run ON events (run_id, id)",
)

_V2 = (
    # The tools an agent called (a JSON array of {name, arguments, result_chars, error});
    # NULL when it called none, so rows of agents without tools cost nothing more.
    "ALTER TABLE journal ADD COLUMN tool_calls TEXT",
)

_V3 = (
    # Tokens of models with no known price: their cost is unknown, not $0 (issue 11).
    "ALTER TABLE journal ADD COLUMN unpriced_tokens INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE runs ADD COLUMN unpriced_tokens INTEGER NOT NULL DEFAULT 0",
)

_V4 = (
    # A run paused for quota: when the provider said its limit resets (issue 11).
    "ALTER TABLE runs ADD COLUMN resets_at REAL",
)

_V5 = (
    # An isolated agent's branch and commit (JSON; NULL for agents without a worktree):
    # resume replays it only while the branch exists (issue 13).
    "ALTER TABLE journal ADD COLUMN worktree TEXT",
)

_V6 = (
    # A run started with an idempotency key (MCP ``workflow_run``): the same key gives the
    # same run, also when two calls race (the unique index decides). And the labels of the
    # agents running now (JSON; written by the supervisor), for ``workflow_status`` (issue 14).
    "ALTER TABLE runs ADD COLUMN idempotency_key TEXT",
    "CREATE UNIQUE INDEX runs_idempotency ON runs (idempotency_key) "
    "WHERE idempotency_key IS NOT NULL",
    "ALTER TABLE runs ADD COLUMN running TEXT",
)

_V7 = (
    # The journal without its UNIQUE (run_id, key) index (issue 16). Keys are content
    # hashes, so that index took every row to a random page: the pages a commit wrote
    # grew with its rows, the store's main cost per agent. Rows now only append (a
    # run's rows are found by ``journal_run``, in completion order); a row that replaces
    # an earlier one of its key is deleted by ``seq`` in the same transaction
    # (``append_journal_batch``). Rebuilt, because a table constraint cannot be dropped.
    """CREATE TABLE journal_v7 (
        seq INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        status TEXT NOT NULL,
        prompt TEXT NOT NULL,
        request TEXT NOT NULL,
        output TEXT NOT NULL,
        output_json INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        estimated INTEGER NOT NULL,
        duration REAL NOT NULL,
        error TEXT,
        recorded_at REAL NOT NULL,
        tool_calls TEXT,
        unpriced_tokens INTEGER NOT NULL DEFAULT 0,
        worktree TEXT
    )""",
    "INSERT INTO journal_v7 (seq, run_id, key, status, prompt, request, output, output_json, "
    "input_tokens, output_tokens, cost_usd, estimated, duration, error, recorded_at, "
    "tool_calls, unpriced_tokens, worktree) SELECT seq, run_id, key, status, prompt, request, "
    "output, output_json, input_tokens, output_tokens, cost_usd, estimated, duration, error, "
    "recorded_at, tool_calls, unpriced_tokens, worktree FROM journal",
    "DROP TABLE journal",
    "ALTER TABLE journal_v7 RENAME TO journal",
    "CREATE INDEX journal_run ON journal (run_id)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7)
"""``MIGRATIONS[i]``: the statements that take the schema from version i to i + 1."""

SCHEMA_VERSION = len(MIGRATIONS)

_CORRUPT_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_AUTOCHECKPOINT_PAGES = 1000  # SQLite's default


def translate(exc: sqlite3.Error, where: Path | str) -> StoreError:
    """The flowdsl error for a sqlite3 error (the one translation point for sqlite).

    The message is one line naming the cause in SQLite's words ("database or disk is
    full", "attempt to write a readonly database"), after the database path.
    """
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    cause = " ".join(str(exc).split()) or type(exc).__name__
    if code in _CORRUPT_CODES:
        return StoreCorrupt(f"{where}: not a readable flowdsl store ({cause}); nothing was changed")
    if code == sqlite3.SQLITE_READONLY:
        return StoreError(f"{where}: the store is read-only ({cause})")
    if code == sqlite3.SQLITE_CANTOPEN:
        return StoreError(f"{where}: cannot open the store ({cause})")
    return StoreError(f"{where}: {cause}")


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, unless SQLite has already done so.

    Some errors (``SQLITE_FULL``, ``SQLITE_IOERR``, ``SQLITE_NOMEM``) make SQLite roll
    the whole transaction back itself; a second ``ROLLBACK`` would raise "cannot
    rollback - no transaction is active" and hide the real cause. A failing ``ROLLBACK``
    is ignored for the same reason: the caller is raising the error that matters, and
    SQLite rolls back an unfinished transaction when the connection closes.
    """
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def connect(
    path: Path, *, migrations: tuple[tuple[str, ...], ...] | None = None,
    read_only: bool = False,
) -> sqlite3.Connection:
    """Open (creating or migrating if needed) the store database at ``path``.

    Args:
        path: the database file.
        migrations: the schema steps (tests add one); default :data:`MIGRATIONS`.
        read_only: open with ``mode=ro``: nothing is created, migrated or written, and
            every write raises ``StoreError`` ("the store is read-only").

    Raises:
        StoreCorrupt: the file is not a flowdsl store (or is damaged); it is left as is.
        StoreVersionError: the store was written by a newer flowdsl.
        StoreError: any other database failure, or a read-only store that needs a
            migration.
    """
    steps = MIGRATIONS if migrations is None else migrations
    if read_only:
        try:
            return _connect_read_only(path, len(steps))
        except StoreNeedsMigration:
            if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
                raise
            connect(path, migrations=steps).close()  # an older store: upgrade it once
            return _connect_read_only(path, len(steps))
    try:
        conn = sqlite3.connect(str(path), timeout=60.0, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(exc, path) from exc
    try:
        _check(conn, path, len(steps))
        _enable_wal(conn)
        sync = "FULL" if os.environ.get("FLOWDSL_STORE_SYNC", "").lower() == "full" else "NORMAL"
        conn.execute(f"PRAGMA synchronous={sync}")
        _migrate(conn, path, steps)
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.Error):
            raise translate(exc, path) from exc
        raise
    return conn


def _connect_read_only(path: Path, latest: int) -> sqlite3.Connection:
    uri = f"{path.absolute().as_uri()}?mode=ro"
    try:
        return _open_read_only(uri, path, latest)
    except sqlite3.Error as exc:
        if not _wal_files_uncreatable(exc, path):
            raise translate(exc, path) from exc
    # A WAL database needs its -shm (and -wal) file even to be read; after the last
    # writer closed cleanly both are gone, and a directory we may not write keeps SQLite
    # from creating them. Then the WAL is known to be empty and the database file alone
    # is the whole store: read it as immutable (no locks, no -shm).
    try:
        return _open_read_only(f"{uri}&immutable=1", path, latest)
    except sqlite3.Error as exc:
        raise translate(exc, path) from exc


class StoreNeedsMigration(StoreError):
    """A read-only open of a store an older flowdsl wrote (upgraded when it may be written)."""


def _wal_files_uncreatable(exc: sqlite3.Error, path: Path) -> bool:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    wal = path.with_name(path.name + "-wal")
    return code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN) and not wal.exists()


def _open_read_only(uri: str, path: Path, latest: int) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, timeout=60.0, isolation_level=None)
    try:
        _check(conn, path, latest)
        version = _user_version(conn)
        if version < latest:
            raise StoreNeedsMigration(
                f"{path}: store schema version {version} must be upgraded to {latest}, "
                "which a read-only open cannot do; open it once with write access")
    except BaseException:
        conn.close()
        raise
    return conn


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _check(conn: sqlite3.Connection, path: Path, latest: int) -> None:
    """Refuse foreign and newer databases before writing anything.

    The three reads share one read transaction: another process creating the same new
    store commits its tables and its application id together, so a snapshot never shows
    one without the other (separate reads did, and called a new store foreign).
    """
    conn.execute("BEGIN")
    try:
        version = _user_version(conn)
        app = int(conn.execute("PRAGMA application_id").fetchone()[0])
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    finally:
        rollback(conn)
    if version == 0 and app == 0:
        if tables:
            raise StoreCorrupt(f"{path}: an SQLite database but not a flowdsl store; "
                               "nothing was changed")
        return
    if app != APPLICATION_ID:
        raise StoreCorrupt(f"{path}: an SQLite database but not a flowdsl store "
                           f"(application id {app:#x}); nothing was changed")
    if version > latest:
        raise StoreVersionError(
            f"{path}: store schema version {version} is newer than this flowdsl supports "
            f"({latest}); upgrade flowdsl")


def _enable_wal(conn: sqlite3.Connection) -> None:
    # Switching to WAL needs a moment of exclusive access; other processes opening the
    # same new store at once may hold it, so retry briefly. WAL is persistent: once set,
    # later opens only read it.
    for attempt in range(200):
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF not in _BUSY_CODES or attempt == 199:
                raise
            time.sleep(0.01 + 0.001 * attempt)


def _migrate(conn: sqlite3.Connection, path: Path, steps: tuple[tuple[str, ...], ...]) -> None:
    latest = len(steps)
    if _user_version(conn) == latest:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _user_version(conn)
        if version > latest:  # another process upgraded it meanwhile, with a newer flowdsl
            raise StoreVersionError(f"{path}: store schema version {version} is newer than "
                                    f"this flowdsl supports ({latest}); upgrade flowdsl")
        for step in steps[version:]:
            for statement in step:
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version={latest}")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


class SqliteDatabase(Database):
    """One SQLite connection whose every error leaves as a ``StoreError``.

    Reads, single-statement writes and ``BEGIN IMMEDIATE`` transactions, each translated
    in one place (:func:`translate`).
    """

    USES_DISK_RESERVE = True

    def __init__(self, db_path: Path, conn: sqlite3.Connection) -> None:
        self.db_path = db_path
        self.where = str(db_path)
        self.conn = conn

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error as exc:
            raise translate(exc, self.db_path) from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed, or rolled back and raised."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise translate(exc, self.db_path) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            rollback(conn)
            raise translate(exc, self.db_path) from exc
        except BaseException:
            rollback(conn)
            raise

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise translate(exc, self.db_path) from exc

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return self.conn.execute(sql, params).rowcount
        except sqlite3.Error as exc:
            raise translate(exc, self.db_path) from exc

    def set_autocheckpoint(self, on: bool) -> None:
        """Turn SQLite's automatic WAL checkpoints on this connection on or off.

        A worker turns them off while it runs, so no agent's commit pays for a
        checkpoint; its supervisor calls :meth:`checkpoint_wal` from a thread instead.
        """
        self._exec(f"PRAGMA wal_autocheckpoint={_AUTOCHECKPOINT_PAGES if on else 0}")

    def checkpoint_wal(self) -> None:
        checkpoint(self.db_path)


def checkpoint(path: Path) -> None:
    """A PASSIVE WAL checkpoint on a connection of its own (safe to call from a thread)."""
    try:
        conn = sqlite3.connect(str(path), timeout=5.0, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error:
        pass  # busy or gone: the next checkpoint (or connection) catches up
    finally:
        conn.close()
