"""The store in PostgreSQL: schema, migrations, connecting safely, error translation.

Loaded only for a store named by a ``postgresql://`` (or ``postgres://``) URL, and the
only module that imports ``psycopg``: SQLite users never load it.

Schema: the tables live in a schema of their own, ``flowdsl`` (the connection's
``search_path``), so the database can hold other schemas (DBOS's ``dbos``) beside it.
They mirror the SQLite tables at schema version 7 (the first one PostgreSQL stores
have; ``PG_MIGRATIONS[i]`` takes a store from version ``7 + i`` on). ``id`` and
``run_id`` compare byte-wise (``COLLATE "C"``), as in SQLite, so id prefixes and
orderings do not depend on the database's locale. Per-agent token counts are
``INTEGER`` so their ``sum`` is a ``bigint`` (a Python int), not a ``numeric``.

Versioning: the one-row table ``flowdsl.store_meta`` holds the application marker
(``'flowdsl'``) and the schema version. A ``flowdsl`` schema that holds tables but no
marker (or another one) is not a flowdsl store, and one of a newer version is from a
newer flowdsl: both are refused and left untouched. Creating and migrating happen in one
transaction under ``pg_advisory_xact_lock`` and re-check the version after taking it,
so several processes opening a new or older store at once create or migrate it once.

Transactions: the connection is in autocommit mode (a single statement commits alone);
:meth:`PostgresDatabase._write` is one transaction (READ COMMITTED) in which the store
locks a run's row (``SELECT ... FOR UPDATE``) where a method reads it before it writes.
Durability is PostgreSQL's default: a commit returned is on disk (``synchronous_commit``).

Read-only: ``default_transaction_read_only`` is on for the connection, so every write
fails ("the store is read-only").
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import psycopg
import psycopg.errors
from psycopg.abc import Buffer
from psycopg.types.string import StrDumperUnknown

from ..errors import StoreCorrupt, StoreError, StoreVersionError
from ._database import Database, Result
from ._db import Store
from ._location import StoreMissing, display

__all__ = [
    "APPLICATION",
    "BASE_VERSION",
    "PG_MIGRATIONS",
    "PostgresDatabase",
    "PostgresStore",
    "open_postgres",
    "translate",
]

APPLICATION = "flowdsl"
BASE_VERSION = 7
"""The schema version a new PostgreSQL store starts at (:data:`_SCHEMA`)."""
_LOCK_KEY = 0x666C6F77  # "flow": the advisory lock of creating and migrating

_SCHEMA = (
    "CREATE SCHEMA IF NOT EXISTS flowdsl",
    """CREATE TABLE flowdsl.runs (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        script_path TEXT NOT NULL,
        script_text TEXT NOT NULL,
        args TEXT NOT NULL,
        options TEXT NOT NULL,
        status TEXT NOT NULL,
        background INTEGER NOT NULL DEFAULT 0,
        pid INTEGER,
        pid_start BIGINT,
        boot_id TEXT,
        host TEXT,
        heartbeat DOUBLE PRECISION,
        control TEXT,
        workers INTEGER NOT NULL DEFAULT 0,
        result TEXT,
        error TEXT,
        agents_done INTEGER NOT NULL DEFAULT 0,
        agents_failed INTEGER NOT NULL DEFAULT 0,
        input_tokens BIGINT NOT NULL DEFAULT 0,
        output_tokens BIGINT NOT NULL DEFAULT 0,
        cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        finished_at DOUBLE PRECISION,
        unpriced_tokens BIGINT NOT NULL DEFAULT 0,
        resets_at DOUBLE PRECISION,
        idempotency_key TEXT,
        running TEXT
    )""",
    "CREATE INDEX runs_created ON flowdsl.runs (created_at)",
    "CREATE UNIQUE INDEX runs_idempotency ON flowdsl.runs (idempotency_key) "
    "WHERE idempotency_key IS NOT NULL",
    """CREATE TABLE flowdsl.journal (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id TEXT COLLATE "C" NOT NULL,
        key TEXT NOT NULL,
        status TEXT NOT NULL,
        prompt TEXT NOT NULL,
        request TEXT NOT NULL,
        output TEXT NOT NULL,
        output_json INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL,
        estimated INTEGER NOT NULL,
        duration DOUBLE PRECISION NOT NULL,
        error TEXT,
        recorded_at DOUBLE PRECISION NOT NULL,
        tool_calls TEXT,
        unpriced_tokens INTEGER NOT NULL DEFAULT 0,
        worktree TEXT
    )""",
    "CREATE INDEX journal_run ON flowdsl.journal (run_id, seq)",
    """CREATE TABLE flowdsl.events (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id TEXT COLLATE "C" NOT NULL,
        at DOUBLE PRECISION NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL
    )""",
    "CREATE INDEX events_run ON flowdsl.events (run_id, id)",
    """CREATE TABLE flowdsl.store_meta (
        one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
        application TEXT NOT NULL,
        version INTEGER NOT NULL
    )""",
)

PG_MIGRATIONS: tuple[tuple[str, ...], ...] = ()
"""``PG_MIGRATIONS[i]``: the statements from version ``BASE_VERSION + i`` to the next; a
new SQLite step (``_sqlite.MIGRATIONS``) gets its twin here (a test checks the count)."""

_STATE = (
    "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'flowdsl'), to_regclass('flowdsl.store_meta') IS NOT NULL"
)


def _one_line(exc: BaseException, secret: str | None = None) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text.replace(secret, "***") if secret else text


def translate(exc: psycopg.Error, where: str) -> StoreError:
    """The flowdsl error for a psycopg error (the one translation point for PostgreSQL)."""
    cause = _one_line(exc)
    if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
        return StoreError(f"{where}: the store is read-only ({cause})")
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return StoreError(f"{where}: permission denied ({cause})")
    if isinstance(exc, psycopg.OperationalError):
        return StoreError(f"{where}: the PostgreSQL server failed ({cause})")
    return StoreError(f"{where}: {cause}")


class _NulFreeStr(StrDumperUnknown):
    """Strings with NUL characters stored with U+FFFD instead: PostgreSQL text cannot
    hold NUL, which SQLite keeps, and an agent's output must not fail its run's write."""

    def dump(self, obj: str) -> Buffer | None:
        return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)


@lru_cache(maxsize=512)
def _sql(sql: str) -> str:
    """A statement of the store (``?`` placeholders) in psycopg's spelling (``%s``)."""
    return sql.replace("%", "%%").replace("?", "%s")


class _Transaction:
    """The statements of an open transaction, in the store's placeholder spelling."""

    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Result:
        return self._conn.execute(_sql(sql), parameters)

    def executemany(self, sql: str, seq_of_parameters: Sequence[Sequence[Any]], /) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(_sql(sql), seq_of_parameters)


class PostgresDatabase(Database):
    """One PostgreSQL connection whose every error leaves as a ``StoreError``.

    A connection the server dropped (a restart, a failover, an idle timeout) fails the
    statement that found out, as a ``StoreError``; the next statement outside a
    transaction connects again (``reconnect``), so a long-running worker outlives it.
    """

    def __init__(self, conn: psycopg.Connection[Any], where: str,
                 reconnect: Callable[[], psycopg.Connection[Any]] | None = None) -> None:
        self.pg = conn
        self.where = where
        self._reconnect = reconnect

    def _conn(self) -> psycopg.Connection[Any]:
        conn = self.pg
        if conn.broken and self._reconnect is not None:
            conn.close()
            self.pg = conn = self._reconnect()
        return conn

    def close(self) -> None:
        try:
            self.pg.close()
        except psycopg.Error as exc:
            raise translate(exc, self.where) from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[_Transaction]:
        try:
            conn = self._conn()
            with conn.transaction():
                yield _Transaction(conn)
        except psycopg.Error as exc:
            raise translate(exc, self.where) from exc

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._conn().execute(_sql(sql), params).fetchall()
        except psycopg.Error as exc:
            raise translate(exc, self.where) from exc

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return self._conn().execute(_sql(sql), params).rowcount
        except psycopg.Error as exc:
            raise translate(exc, self.where) from exc

    def _lock_run(self, run_id: str) -> None:
        self._exec("SELECT 1 FROM runs WHERE id = ? FOR UPDATE", (run_id,))

    @staticmethod
    def json_text(column: str, field: str) -> str:
        return f"({column}::jsonb ->> '{field}')"

    @staticmethod
    def in_json_list(column: str) -> str:
        return f"{column} IN (SELECT jsonb_array_elements_text(CAST(? AS jsonb)))"


class PostgresStore(PostgresDatabase, Store):
    """A run store in a PostgreSQL database (``flowdsl`` schema) and a local folder."""

    def __init__(self, conn: psycopg.Connection[Any], *, url: str, directory: Path,
                 read_only: bool = False) -> None:
        where = display(url)
        super().__init__(conn, where, partial(_connect, url, where, read_only=read_only))
        self.directory = directory
        self.location = url
        self.shown = self.where
        self.read_only = read_only


def open_postgres(url: str, directory: Path, *, create: bool = True,
                  read_only: bool = False) -> PostgresStore:
    """Connect to the store at ``url``, creating or migrating its schema when allowed.

    Args:
        url: the ``postgresql://`` URL (its password is never shown in a message).
        directory: the store's local folder (worker logs, saved workflows).
        create: create the schema when the database has none yet.
        read_only: a read-only connection; nothing is created or migrated (an older
            schema is migrated on a connection of its own first, when it may be).

    Raises:
        StoreMissing: no flowdsl schema yet, and ``create`` is False or ``read_only``.
        StoreCorrupt: the ``flowdsl`` schema is not a flowdsl store; nothing was changed.
        StoreVersionError: the store was written by a newer flowdsl.
        StoreError: the server cannot be reached, the login failed, or any other error.
    """
    where = display(url)
    latest = BASE_VERSION + len(PG_MIGRATIONS)
    if read_only:
        conn = _connect(url, where, read_only=True)
        try:
            version = _check(conn, where, latest)
            if version is None:
                raise StoreMissing(f"{where}: no flowdsl store in this database (no runs yet)",
                                   where=where)
        except BaseException:
            conn.close()
            raise
        if version == latest:
            return PostgresStore(conn, url=url, directory=directory, read_only=True)
        conn.close()
        open_postgres(url, directory).close()  # an older store: upgrade it once
        return open_postgres(url, directory, read_only=True)
    conn = _connect(url, where, read_only=False)
    try:
        version = _check(conn, where, latest)
        if version is None and not create:
            raise StoreMissing(f"{where}: no flowdsl store in this database (no runs yet)",
                               where=where)
        if version != latest:
            _migrate(conn, where, latest)
    except BaseException:
        conn.close()
        raise
    return PostgresStore(conn, url=url, directory=directory)


def _connect(url: str, where: str, *, read_only: bool) -> psycopg.Connection[Any]:
    secret = _password(url)
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10,
                               application_name="flowdsl")
    except psycopg.Error as exc:
        # from None: the chained error's text could hold the URL, password included
        raise StoreError(f"{where}: cannot connect to the PostgreSQL store "
                         f"({_one_line(exc, secret)})") from None
    conn.adapters.register_dumper(str, _NulFreeStr)
    try:
        conn.execute("SET search_path TO flowdsl" + (
            "; SET default_transaction_read_only = on" if read_only else ""))
    except psycopg.Error as exc:
        conn.close()
        raise translate(exc, where) from exc
    return conn


def _password(url: str) -> str | None:
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def _check(conn: psycopg.Connection[Any], where: str, latest: int) -> int | None:
    """The store's schema version; None: no flowdsl schema (or an empty one) yet.

    Raises:
        StoreCorrupt: a ``flowdsl`` schema holding something else.
        StoreVersionError: the store is newer than this flowdsl.
    """
    try:
        (tables, has_meta), = conn.execute(_STATE).fetchall()
        if not has_meta:
            if tables:
                raise StoreCorrupt(f"{where}: the database's schema 'flowdsl' is not a flowdsl "
                                   "store (it has other tables); nothing was changed")
            return None
        rows = conn.execute("SELECT application, version FROM flowdsl.store_meta").fetchall()
    except psycopg.Error as exc:
        raise translate(exc, where) from exc
    if len(rows) != 1 or rows[0][0] != APPLICATION:
        raise StoreCorrupt(f"{where}: the database's schema 'flowdsl' is not a flowdsl store "
                           "(no flowdsl marker); nothing was changed")
    version = int(rows[0][1])
    if version > latest:
        raise StoreVersionError(
            f"{where}: store schema version {version} is newer than this flowdsl supports "
            f"({latest}); upgrade flowdsl")
    return version


def _migrate(conn: psycopg.Connection[Any], where: str, latest: int) -> None:
    """Create or upgrade the schema once, whoever else opens the store at the same time."""
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            version = _check(conn, where, latest)  # another process may have done it
            if version is None:
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute("INSERT INTO flowdsl.store_meta (application, version) "
                             "VALUES (%s, %s)", (APPLICATION, BASE_VERSION))
                version = BASE_VERSION
            for step in PG_MIGRATIONS[version - BASE_VERSION:]:
                for statement in step:
                    conn.execute(statement)
            conn.execute("UPDATE flowdsl.store_meta SET version = %s", (latest,))
    except psycopg.Error as exc:
        raise translate(exc, where) from exc

