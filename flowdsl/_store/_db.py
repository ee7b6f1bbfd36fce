"""The run store: runs, their agent journal and their events, in SQLite or PostgreSQL.

Layout of a store directory (``.flowdsl/`` by default)::

    flowdsl.db            runs, journal, events (WAL mode; see ``_sqlite``)
    workflows/NAME.*      saved workflows (``flowdsl save``)
    logs/RUN_ID.log       stdout/stderr of background workers

A store named by a ``postgresql://`` URL keeps runs, journal and events in the
database's ``flowdsl`` schema (``_postgres``) and the rest in a local folder per URL
(``_location``). :class:`Store` holds every method once, over the ``_database`` seam;
:meth:`Store.open` returns a :class:`SqliteStore` or a ``PostgresStore``.

Every method is one short transaction; SQLite writers use ``BEGIN IMMEDIATE`` (or a
single autocommit statement) so concurrent workers wait on the busy timeout instead of
failing with "database is locked"; PostgreSQL writers lock the run's row where a method
reads before it writes. Every database error leaves as a ``StoreError`` with a one-line
message naming the cause.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import RunNotFound, StoreCorrupt, StoreError, UsageError
from . import _liveness
from ._events import EventTable
from ._journal import JournalTable
from ._location import (
    StoreMissing,
    mask_url,
    resolve_store_dir,
    resolve_store_location,
)
from ._reserve import keep_reserve, release_reserve
from ._rows import (
    INSERT_EVENT,
    LIVE_STATUSES,
    RUN_COLUMNS,
    RUNNING_SHOWN,
    TERMINAL_STATUSES,
    RunInfo,
    decode_run,
)
from ._sqlite import SqliteDatabase, connect

if TYPE_CHECKING:
    from .._types import JSONValue, RunResult, RunStatus

__all__ = [
    "DB_NAME",
    "ControlAction",
    "SqliteStore",
    "Store",
    "store_exists",
]

DB_NAME = "flowdsl.db"
ControlAction = Literal["pause", "unpause", "stop"]

_ID_RE = re.compile(r"^[0-9a-z-]{1,64}$")


def store_exists(store: str | os.PathLike[str] | None = None) -> bool:
    """Whether the store holds a flowdsl database yet (a URL is asked, read-only)."""
    location = resolve_store_location(store)
    if isinstance(location, Path):
        return (location / DB_NAME).exists()
    try:
        Store.open(location, create=False, read_only=True).close()
    except StoreMissing:
        return False
    return True


def _open_url(url: str, *, create: bool, read_only: bool) -> Store:
    try:
        from ._postgres import open_postgres  # psycopg loads for URL stores only
    except ImportError as exc:
        if not (exc.name or "").startswith("psycopg"):
            raise
        raise StoreError(f"{mask_url(url)}: a PostgreSQL store needs psycopg 3: "
                         "pip install 'flowdsl[distributed]'") from None
    return open_postgres(url, resolve_store_dir(url), create=create, read_only=read_only)


class Store(JournalTable, EventTable):
    """A run store. Open with :meth:`open`; close (or use ``with``) when done.

    One ``Store`` holds one database connection and must be used from one thread. Its
    methods are written once over the ``_database`` seam; :meth:`open` returns a
    :class:`SqliteStore` or a ``_postgres.PostgresStore``.
    """

    directory: Path
    """The local directory: the SQLite store's, or a PostgreSQL store's local folder."""
    location: str
    """What opens this store again (a directory, or the URL, password included: never
    print it; :attr:`where` is the printable name)."""
    read_only: bool
    shown: str
    """The store as messages name it: its directory, or its URL without password."""

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = True,
             read_only: bool = False) -> Store:
        """Open the store ``path`` (default: ``$FLOWDSL_STORE`` or ``./.flowdsl``).

        Args:
            path: the store directory, or a ``postgresql://`` (``postgres://``) URL.
            create: create the directory and database when missing; when False a
                missing store raises ``StoreError``.
            read_only: open the database read-only (SQLite ``mode=ro``): every read
                works on a store the caller may not write, nothing is created or
                migrated, and every write raises ``StoreError`` ("the store is
                read-only"). Implies ``create=False``.

        Raises:
            StoreError, StoreCorrupt, StoreVersionError: the store cannot be used (for
                ``read_only``, also a store that needs a migration first).
        """
        location = resolve_store_location(path)
        if not isinstance(location, Path):
            return _open_url(location, create=create, read_only=read_only)
        directory = location
        db = directory / DB_NAME
        try:
            exists, is_dir = db.exists(), db.is_dir()
        except OSError as exc:
            raise StoreError(f"{db}: cannot open the store ({exc.strerror})") from None
        if not exists:
            if read_only or not create:
                raise StoreMissing(f"{directory}: no flowdsl store here (no runs yet)",
                                   where=str(directory))
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{directory}: cannot create the store ({exc.strerror})") from None
        elif is_dir:
            raise StoreCorrupt(f"{db}: not a flowdsl store (a directory); nothing was changed")
        return SqliteStore(directory, connect(db, read_only=read_only), read_only=read_only)

    # -- plumbing (queries, transactions and errors: see ``_database.Database``) ---------

    @property
    def workflows_dir(self) -> Path:
        return self.directory / "workflows"

    def log_path(self, run_id: str) -> Path:
        return self.directory / "logs" / f"{run_id}.log"

    def keep_reserve(self) -> None:
        """Keep room for a run's outcome on a disk that fills up (see ``_reserve``)."""
        if self.USES_DISK_RESERVE:
            keep_reserve(self.directory)

    def release_reserve(self) -> bool:
        """Free the kept room; True when there was some to free."""
        return self.USES_DISK_RESERVE and release_reserve(self.directory)

    # -- runs ----------------------------------------------------------------------------

    def create_run(self, *, name: str, script_path: str, script_text: str, args: JSONValue,
                   options: dict[str, JSONValue], background: bool) -> str:
        """Insert a new run (status running, no worker yet) and return its id."""
        run_id, _ = self.create_run_once(
            None, name=name, script_path=script_path, script_text=script_text, args=args,
            options=options, background=background)
        return run_id

    def create_run_once(
        self,
        idempotency_key: str | None,
        *,
        name: str,
        script_path: str,
        script_text: str,
        args: JSONValue,
        options: dict[str, JSONValue],
        background: bool,
    ) -> tuple[str, bool]:
        """:meth:`create_run`, once per ``idempotency_key``.

        Returns:
            ``(run id, created)``: a run created before with the same key is not created
            again; its id comes back with ``created`` False (one transaction decides, so
            two racing callers get the same run). A None key always creates.
        """
        now = time.time()
        try:
            args_text = json.dumps(args, ensure_ascii=False)
            options_text = json.dumps(options, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"run args and options must be JSON: {exc}") from None
        with self._write() as conn:
            if idempotency_key is not None:
                row = conn.execute("SELECT id FROM runs WHERE idempotency_key = ?",
                                   (idempotency_key,)).fetchone()
                if row is not None:
                    return str(row[0]), False
            for _ in range(8):
                run_id = os.urandom(4).hex()  # secrets.token_hex(4), without importing it
                # no error on a taken id or key: PostgreSQL would abort the transaction
                inserted = conn.execute(
                    "INSERT INTO runs (id, name, script_path, script_text, args, options, "
                    "status, background, created_at, updated_at, idempotency_key) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (run_id, name, script_path, script_text, args_text, options_text,
                     int(background), now, now, idempotency_key),
                ).rowcount
                if inserted:
                    conn.execute(INSERT_EVENT, (run_id, now, "status", "created"))
                    return run_id, True
                if idempotency_key is not None:  # a racing caller's run (PostgreSQL)
                    row = conn.execute("SELECT id FROM runs WHERE idempotency_key = ?",
                                       (idempotency_key,)).fetchone()
                    if row is not None:
                        return str(row[0]), False
        raise StoreError("could not allocate a run id")  # pragma: no cover

    def resolve_id(self, ref: str) -> str:
        """The full id of the run ``ref`` names (an id or a unique prefix).

        Raises:
            RunNotFound: no run, or the prefix is ambiguous.
        """
        if not _ID_RE.match(ref):
            raise RunNotFound(f"no run {ref!r} in {self.shown}")
        rows = self._query("SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
                           (ref, ref + "\U0010ffff"))
        exact = [r[0] for r in rows if r[0] == ref]
        if exact:
            return str(exact[0])
        if len(rows) == 1:
            return str(rows[0][0])
        if rows:
            raise RunNotFound(f"run id {ref!r} is ambiguous in {self.shown}; "
                              "give more characters")
        raise RunNotFound(f"no run {ref!r} in {self.shown}")

    def get_run(self, ref: str) -> RunInfo:
        """The run ``ref`` (id or unique prefix) names.

        Raises:
            RunNotFound: no such run.
        """
        run_id = self.resolve_id(ref)
        rows = self._query(f"SELECT {RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise RunNotFound(f"no run {ref!r} in {self.shown}")
        return self._info(rows[0])

    def list_runs(self, *, limit: int | None = None,
                  status: RunStatus | None = None) -> list[RunInfo]:
        """Runs, newest first; only those whose (derived) status is ``status``, if given."""
        sql = f"SELECT {RUN_COLUMNS} FROM runs ORDER BY created_at DESC, id"
        if status is None:
            if limit is not None:
                sql += f" LIMIT {int(limit)}"
            return [self._info(row) for row in self._query(sql)]
        found: list[RunInfo] = []
        for row in self._query(sql):  # the status is derived: a dead worker's is interrupted
            info = self._info(row)
            if info.status == status:
                found.append(info)
                if limit is not None and len(found) >= limit:
                    break
        return found

    def _info(self, row: Sequence[Any]) -> RunInfo:
        """The run of a row; a live run's totals come from its journal, being written."""
        (run_id, _, status, _, _, _, _, _, pid, pid_start, run_boot, host, heartbeat,
         *_, updated, finished, _resets, _running) = row  # RUN_COLUMNS
        done = status in TERMINAL_STATUSES or finished is not None  # paused for quota too
        totals = None if done else self._journal_totals(run_id)
        if not done and status in LIVE_STATUSES and not _liveness.worker_alive(
            pid=pid, pid_start=pid_start, run_boot_id=run_boot, host=host,
            heartbeat=heartbeat, since=updated, now=time.time(),
        ):
            status = "interrupted"
        return decode_run(row, status=status, totals=totals)

    def claim(self, run_id: str, *, pid: int) -> RunInfo:
        """Make the calling process the run's worker (status running).

        Raises:
            UsageError: another live worker already executes the run.
        """
        with self._write() as conn:
            self._lock_run(run_id)
            info = self.get_run(run_id)
            if info.live and info.pid not in (None, pid):
                raise UsageError(f"run {run_id} is already {info.status} (pid {info.pid})")
            now = time.time()
            conn.execute(
                "UPDATE runs SET status = 'running', pid = ?, pid_start = ?, boot_id = ?, "
                "host = ?, heartbeat = ?, workers = workers + 1, result = NULL, error = NULL, "
                "finished_at = NULL, resets_at = NULL, updated_at = ? WHERE id = ?",
                (pid, _liveness.process_start(pid), _liveness.boot_id(), _liveness.hostname(),
                 now, now, run_id),
            )
        return self.get_run(run_id)

    def set_worker(self, run_id: str, pid: int) -> None:
        """Record the pid of a worker just spawned (before it claims the run itself)."""
        self._exec(
            "UPDATE runs SET pid = ?, pid_start = ?, boot_id = ?, host = ?, updated_at = ? "
            "WHERE id = ? AND status IN ('running', 'paused')",
            (pid, _liveness.process_start(pid), _liveness.boot_id(), _liveness.hostname(),
             time.time(), run_id),
        )

    def prepare_resume(self, run_id: str, *, script_path: str | None = None,
                       script_text: str | None = None) -> None:
        """Reset a resumable run to running (no worker yet), optionally with a new script."""
        now = time.time()
        with self._write() as conn:
            if script_text is not None and script_path is not None:
                conn.execute("UPDATE runs SET script_path = ?, script_text = ? WHERE id = ?",
                             (script_path, script_text, run_id))
            conn.execute(
                "UPDATE runs SET status = 'running', pid = NULL, pid_start = NULL, "
                "heartbeat = NULL, control = NULL, result = NULL, error = NULL, "
                "finished_at = NULL, resets_at = NULL, updated_at = ? WHERE id = ?",
                (now, run_id))
            conn.execute(INSERT_EVENT, (run_id, now, "status", "resumed"))

    def update_options(self, run_id: str, changes: dict[str, JSONValue]) -> None:
        """Change some of a run's stored options (e.g. the backend used on resume)."""
        options = self.get_run(run_id).options
        options.update(changes)
        self._exec("UPDATE runs SET options = ? WHERE id = ?",
                   (json.dumps(options, ensure_ascii=False), run_id))

    def heartbeat(self, run_id: str) -> None:
        self._exec("UPDATE runs SET heartbeat = ? WHERE id = ?", (time.time(), run_id))

    def set_running(self, run_id: str, agents: Sequence[tuple[str, float]]) -> None:
        """The agents running now, ``(label, started at)`` in start order (the first
        :data:`RUNNING_SHOWN`)."""
        text = json.dumps([list(agent) for agent in agents[:RUNNING_SHOWN]], ensure_ascii=False)
        self._exec("UPDATE runs SET running = ? WHERE id = ?", (text, run_id))

    def set_status(self, run_id: str, status: RunStatus, *, error: str | None = None) -> None:
        now = time.time()
        with self._write() as conn:
            conn.execute("UPDATE runs SET status = ?, error = coalesce(?, error), updated_at = ? "
                         "WHERE id = ?", (status, error, now, run_id))
            conn.execute(INSERT_EVENT, (run_id, now, "status", status))

    def finish(self, run_id: str, result: RunResult) -> None:
        """Store a run's outcome and totals; the worker is done with it."""
        now = time.time()
        try:
            value = json.dumps(result.value, ensure_ascii=False)
        except (TypeError, ValueError):
            value = "null"
        with self._write() as conn:
            self._lock_run(run_id)
            totals = self._journal_totals(run_id)
            usage = totals.usage
            conn.execute(
                "UPDATE runs SET status = ?, result = ?, error = ?, agents_done = ?, "
                "agents_failed = ?, input_tokens = ?, output_tokens = ?, cost_usd = ?, "
                "unpriced_tokens = ?, control = NULL, running = NULL, updated_at = ?, "
                "finished_at = ?, "
                "resets_at = ? WHERE id = ?",
                (result.status, value, result.error, totals.done, totals.failed,
                 usage.input_tokens, usage.output_tokens, usage.cost_usd,
                 usage.unpriced_tokens, now, now, result.resets_at, run_id))
            text = result.status + (f": {result.error}" if result.error else "")
            conn.execute(INSERT_EVENT, (run_id, now, "status", text))

    def delete_run(self, run_id: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM journal WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM events WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        try:
            self.log_path(run_id).unlink(missing_ok=True)
        except OSError:
            pass

    # -- control requests ----------------------------------------------------------------

    def request_control(self, run_id: str, action: ControlAction) -> None:
        """Ask the run's worker to pause, unpause or stop (it polls for this)."""
        self._exec("UPDATE runs SET control = ?, updated_at = ? WHERE id = ?",
                   (action, time.time(), run_id))

    def take_control(self, run_id: str) -> ControlAction | None:
        """The pending control request, cleared (None when there is none)."""
        rows = self._query("SELECT control FROM runs WHERE id = ?", (run_id,))
        if not rows or rows[0][0] is None:
            return None
        with self._write() as conn:
            self._lock_run(run_id)
            row = conn.execute("SELECT control FROM runs WHERE id = ?", (run_id,)).fetchone()
            conn.execute("UPDATE runs SET control = NULL WHERE id = ?", (run_id,))
        action = row[0] if row else None
        return action if action in ("pause", "unpause", "stop") else None


class SqliteStore(SqliteDatabase, Store):
    """A run store in one SQLite file (``flowdsl.db``) in its directory."""

    def __init__(self, directory: Path, conn: sqlite3.Connection, *,
                 read_only: bool = False) -> None:
        super().__init__(directory / DB_NAME, conn)
        self.directory = directory
        self.location = str(directory.resolve())
        self.shown = str(directory)
        self.read_only = read_only
