"""The store's SQLite schema, its migrations, and opening a database safely.

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

Durability: WAL mode with ``synchronous=NORMAL``. Every commit is in the WAL before
``record`` returns, so a killed worker (``kill -9``) loses nothing it committed; an
operating-system crash or power cut may lose the last commits (the database stays
consistent, and the lost agents simply run again on resume). Set
``FLOWDSL_STORE_SYNC=full`` to fsync every commit instead (about 1000x slower per agent).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from ..errors import StoreCorrupt, StoreError, StoreVersionError

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "checkpoint",
    "connect",
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
    # content-addressed key through the unique index; a re-run of a failed agent
    # replaces its row. Appending to the rowid B-tree touches the last page only, so a
    # commit writes two small frames to the WAL whatever the journal's size. The prompt
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

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
"""``MIGRATIONS[i]``: the statements that take the schema from version i to i + 1."""

SCHEMA_VERSION = len(MIGRATIONS)

_CORRUPT_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def translate(exc: sqlite3.Error, where: Path | str) -> StoreError:
    """The flowdsl error for a sqlite3 error (the one translation point for sqlite)."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code in _CORRUPT_CODES:
        return StoreCorrupt(f"{where}: not a readable flowdsl store ({exc}); nothing was changed")
    return StoreError(f"{where}: {exc}")


def connect(
    path: Path, *, migrations: tuple[tuple[str, ...], ...] | None = None,
) -> sqlite3.Connection:
    """Open (creating or migrating if needed) the store database at ``path``.

    Raises:
        StoreCorrupt: the file is not a flowdsl store (or is damaged); it is left as is.
        StoreVersionError: the store was written by a newer flowdsl.
        StoreError: any other database failure.
    """
    steps = MIGRATIONS if migrations is None else migrations
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
    except sqlite3.Error as exc:
        conn.close()
        raise translate(exc, path) from exc
    except StoreError:
        conn.close()
        raise
    return conn


def _check(conn: sqlite3.Connection, path: Path, latest: int) -> None:
    """Refuse foreign and newer databases before writing anything."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    app = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if version == 0 and app == 0:
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
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
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) == latest:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
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
        conn.execute("ROLLBACK")
        raise


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
