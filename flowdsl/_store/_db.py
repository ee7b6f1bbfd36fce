"""The run store: runs, their agent journal and their events, in one SQLite file.

Layout of a store directory (``.flowdsl/`` by default)::

    flowdsl.db            runs, journal, events (WAL mode; see ``_schema``)
    workflows/NAME.*      saved workflows (``flowdsl save``)
    logs/RUN_ID.log       stdout/stderr of background workers

Every method is one short transaction; writers use ``BEGIN IMMEDIATE`` (or a single
autocommit statement) so concurrent workers wait on the busy timeout instead of
failing with "database is locked".
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .._types import AgentRecord, AgentRequest, JSONValue, RunResult, RunStatus, Usage
from ..errors import RunNotFound, StoreCorrupt, StoreError, UsageError
from . import _liveness
from ._schema import connect, translate

__all__ = [
    "DB_NAME",
    "ENV_STORE",
    "EventRow",
    "JournalEntry",
    "RunInfo",
    "Store",
    "resolve_store_dir",
]

DB_NAME = "flowdsl.db"
ENV_STORE = "FLOWDSL_STORE"
LIVE_STATUSES = ("running", "paused")
TERMINAL_STATUSES = ("completed", "failed", "stopped")
ControlAction = Literal["pause", "unpause", "stop"]
EventKind = Literal["phase", "log", "agent", "status"]

_ID_RE = re.compile(r"^[0-9a-z-]{1,64}$")

INSERT_JOURNAL = (
    "INSERT OR REPLACE INTO journal (run_id, key, status, prompt, request, output, "
    "output_json, input_tokens, output_tokens, cost_usd, estimated, duration, error, "
    "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EVENT = "INSERT INTO events (run_id, at, kind, text) VALUES (?, ?, ?, ?)"


def resolve_store_dir(store: str | os.PathLike[str] | None = None) -> Path:
    """The store directory: ``store`` if given, else ``$FLOWDSL_STORE``, else ``./.flowdsl``."""
    if store is not None:
        return Path(store)
    env = os.environ.get(ENV_STORE)
    if env:
        return Path(env)
    return Path.cwd() / ".flowdsl"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInfo:
    """One run as the store knows it; ``status`` is derived (a dead worker: interrupted)."""

    id: str
    name: str
    status: RunStatus
    script_path: str
    script_text: str = field(repr=False)
    args: JSONValue
    options: dict[str, JSONValue]
    background: bool
    pid: int | None
    heartbeat: float | None
    workers: int
    result: JSONValue
    error: str | None
    agents_done: int
    agents_failed: int
    usage: Usage
    created_at: float
    updated_at: float
    finished_at: float | None

    @property
    def live(self) -> bool:
        """A worker is executing it (running or paused)."""
        return self.status in LIVE_STATUSES

    def to_json(self) -> dict[str, JSONValue]:
        """The ``--json`` object of ``runs status``."""
        return {
            "run_id": self.id,
            "name": self.name,
            "status": self.status,
            "pid": self.pid if self.live else None,
            "background": self.background,
            "script_path": self.script_path,
            "args": self.args,
            "agents": {"done": self.agents_done, "failed": self.agents_failed,
                       "total": self.agents_done + self.agents_failed},
            "usage": {"input_tokens": self.usage.input_tokens,
                      "output_tokens": self.usage.output_tokens,
                      "cost_usd": self.usage.cost_usd},
            "error": self.error,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "finished_at": self.finished_at,
            "heartbeat": self.heartbeat,
            "workers": self.workers,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntry:
    """One journal row: the call key and the finished agent's record."""

    key: str
    record: AgentRecord
    recorded_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRow:
    """One stored event: a phase, a log line, a failed agent, or a status change."""

    id: int
    at: float
    kind: str
    text: str


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
"""One reusable encoder (``json.dumps`` with options builds a new one per call). A value
JSON cannot hold (a backend returning a set) is journaled as its ``str``."""


def encode_request(request: AgentRequest) -> str:
    """The request's fields other than the prompt, as JSON (None fields left out)."""
    fields = {
        "label": request.label, "phase": request.phase, "model": request.model,
        "schema": request.schema, "effort": request.effort, "agent_type": request.agent_type,
        "isolation": request.isolation, "timeout": request.timeout,
    }
    return _encode({k: v for k, v in fields.items() if v is not None})


def journal_params(run_id: str, key: str, record: AgentRecord) -> tuple[Any, ...]:
    """The INSERT_JOURNAL parameters for one finished agent.

    Text is the common output and the prompt is the largest field: both are stored as
    plain text (no JSON escaping, the hot path's main CPU cost); other outputs as JSON.
    """
    usage = record.usage
    output = record.output
    is_text = isinstance(output, str)
    return (
        run_id, key, record.status, record.request.prompt, encode_request(record.request),
        output if is_text else _encode(output), 0 if is_text else 1,
        usage.input_tokens, usage.output_tokens, usage.cost_usd, int(usage.estimated),
        record.duration, record.error, time.time(),
    )


def _decode_record(row: Sequence[Any]) -> AgentRecord:
    status, prompt, request, output, output_json, tin, tout, cost, est, duration, error = row
    return AgentRecord(
        request=AgentRequest.from_dict({**json.loads(request), "prompt": prompt}),
        status=status,
        output=json.loads(output) if output_json else output,
        usage=Usage(input_tokens=tin, output_tokens=tout, cost_usd=cost, estimated=bool(est)),
        duration=duration,
        error=error,
    )


_RECORD_COLUMNS = ("status, prompt, request, output, output_json, input_tokens, output_tokens, "
                   "cost_usd, estimated, duration, error")
_RUN_COLUMNS = (
    "id, name, status, script_path, script_text, args, options, background, pid, pid_start, "
    "boot_id, host, heartbeat, workers, result, error, agents_done, agents_failed, "
    "input_tokens, output_tokens, cost_usd, created_at, updated_at, finished_at"
)


class Store:
    """A run store directory. Open with :meth:`open`; close (or use ``with``) when done.

    One ``Store`` holds one SQLite connection and must be used from one thread.
    """

    def __init__(self, directory: Path, conn: sqlite3.Connection) -> None:
        self.directory = directory
        self.conn = conn

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = True) -> Store:
        """Open the store in directory ``path`` (default: ``$FLOWDSL_STORE`` or ``./.flowdsl``).

        Args:
            path: the store directory.
            create: create the directory and database when missing; when False a
                missing store raises ``StoreError``.

        Raises:
            StoreError, StoreCorrupt, StoreVersionError: the store cannot be used.
        """
        directory = resolve_store_dir(path)
        db = directory / DB_NAME
        if not db.exists():
            if not create:
                raise StoreError(f"{directory}: no flowdsl store here (no runs yet)")
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{directory}: cannot create the store ({exc.strerror})") from None
        elif db.is_dir():
            raise StoreCorrupt(f"{db}: not a flowdsl store (a directory); nothing was changed")
        return cls(directory, connect(db))

    # -- plumbing ----------------------------------------------------------------------

    @property
    def db_path(self) -> Path:
        return self.directory / DB_NAME

    @property
    def workflows_dir(self) -> Path:
        return self.directory / "workflows"

    def log_path(self, run_id: str) -> Path:
        return self.directory / "logs" / f"{run_id}.log"

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction; sqlite errors become StoreError."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise translate(exc, self.db_path) from exc
        try:
            yield conn
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise translate(exc, self.db_path) from exc
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise translate(exc, self.db_path) from exc

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

    # -- runs ----------------------------------------------------------------------------

    def create_run(
        self,
        *,
        name: str,
        script_path: str,
        script_text: str,
        args: JSONValue,
        options: dict[str, JSONValue],
        background: bool,
    ) -> str:
        """Insert a new run (status running, no worker yet) and return its id."""
        now = time.time()
        try:
            args_text = json.dumps(args, ensure_ascii=False)
            options_text = json.dumps(options, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"run args and options must be JSON: {exc}") from None
        for _ in range(8):
            run_id = secrets.token_hex(4)
            try:
                self.conn.execute(
                    "INSERT INTO runs (id, name, script_path, script_text, args, options, "
                    "status, background, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                    (run_id, name, script_path, script_text, args_text, options_text,
                     int(background), now, now),
                )
            except sqlite3.IntegrityError:
                continue
            except sqlite3.Error as exc:
                raise translate(exc, self.db_path) from exc
            self._event(run_id, "status", "created")
            return run_id
        raise StoreError("could not allocate a run id")  # pragma: no cover

    def resolve_id(self, ref: str) -> str:
        """The full id of the run ``ref`` names (an id or a unique prefix).

        Raises:
            RunNotFound: no run, or the prefix is ambiguous.
        """
        if not _ID_RE.match(ref):
            raise RunNotFound(f"no run {ref!r} in {self.directory}")
        rows = self._query("SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
                           (ref, ref + "\U0010ffff"))
        exact = [r[0] for r in rows if r[0] == ref]
        if exact:
            return str(exact[0])
        if len(rows) == 1:
            return str(rows[0][0])
        if rows:
            raise RunNotFound(f"run id {ref!r} is ambiguous in {self.directory}; "
                              "give more characters")
        raise RunNotFound(f"no run {ref!r} in {self.directory}")

    def get_run(self, ref: str) -> RunInfo:
        """The run ``ref`` (id or unique prefix) names.

        Raises:
            RunNotFound: no such run.
        """
        run_id = self.resolve_id(ref)
        rows = self._query(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise RunNotFound(f"no run {ref!r} in {self.directory}")
        return self._info(rows[0], self._live_totals([rows[0]]))

    def list_runs(self, *, limit: int | None = None) -> list[RunInfo]:
        """Runs, newest first."""
        sql = f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY created_at DESC, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._query(sql)
        totals = self._live_totals(rows)
        return [self._info(row, totals) for row in rows]

    def _live_totals(self, rows: Iterable[Sequence[Any]]) -> dict[str, tuple[int, int, Usage]]:
        """Journal totals of runs that are not finished (finished ones store theirs)."""
        out: dict[str, tuple[int, int, Usage]] = {}
        for row in rows:
            if row[2] in TERMINAL_STATUSES:
                continue
            (done, failed, tin, tout, cost, est), = self._query(
                "SELECT coalesce(sum(status = 'ok'), 0), coalesce(sum(status != 'ok'), 0), "
                "coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), "
                "coalesce(sum(cost_usd), 0), coalesce(max(estimated), 0) "
                "FROM journal WHERE run_id = ?", (row[0],))
            out[row[0]] = (done, failed, Usage(input_tokens=tin, output_tokens=tout,
                                               cost_usd=cost, estimated=bool(est)))
        return out

    def _info(self, row: Sequence[Any], totals: dict[str, tuple[int, int, Usage]]) -> RunInfo:
        (run_id, name, status, script_path, script_text, args, options, background, pid,
         pid_start, run_boot, host, heartbeat, workers, result, error, done, failed,
         tin, tout, cost, created, updated, finished) = row
        if status in LIVE_STATUSES and not _liveness.worker_alive(
            pid=pid, pid_start=pid_start, run_boot_id=run_boot, host=host,
            heartbeat=heartbeat, since=updated, now=time.time(),
        ):
            status = "interrupted"
        usage = Usage(input_tokens=tin, output_tokens=tout, cost_usd=cost)
        if run_id in totals:
            done, failed, usage = totals[run_id]
        return RunInfo(
            id=run_id, name=name, status=status, script_path=script_path,
            script_text=script_text, args=json.loads(args), options=json.loads(options),
            background=bool(background), pid=pid, heartbeat=heartbeat, workers=workers,
            result=json.loads(result) if result is not None else None, error=error,
            agents_done=done, agents_failed=failed, usage=usage, created_at=created,
            updated_at=updated, finished_at=finished,
        )

    def claim(self, run_id: str, *, pid: int) -> RunInfo:
        """Make the calling process the run's worker (status running).

        Raises:
            UsageError: another live worker already executes the run.
        """
        with self._write():
            info = self.get_run(run_id)
            if info.live and info.pid not in (None, pid):
                raise UsageError(f"run {run_id} is already {info.status} (pid {info.pid})")
            now = time.time()
            self.conn.execute(
                "UPDATE runs SET status = 'running', pid = ?, pid_start = ?, boot_id = ?, "
                "host = ?, heartbeat = ?, workers = workers + 1, result = NULL, error = NULL, "
                "finished_at = NULL, updated_at = ? WHERE id = ?",
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
                "finished_at = NULL, updated_at = ? WHERE id = ?", (now, run_id))
            conn.execute(INSERT_EVENT, (run_id, now, "status", "resumed"))

    def update_options(self, run_id: str, changes: dict[str, JSONValue]) -> None:
        """Change some of a run's stored options (e.g. the backend used on resume)."""
        options = self.get_run(run_id).options
        options.update(changes)
        self._exec("UPDATE runs SET options = ? WHERE id = ?",
                   (json.dumps(options, ensure_ascii=False), run_id))

    def heartbeat(self, run_id: str) -> None:
        self._exec("UPDATE runs SET heartbeat = ? WHERE id = ?", (time.time(), run_id))

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
            (done, failed, tin, tout, cost), = conn.execute(
                "SELECT coalesce(sum(status = 'ok'), 0), coalesce(sum(status != 'ok'), 0), "
                "coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), "
                "coalesce(sum(cost_usd), 0) FROM journal WHERE run_id = ?", (run_id,)).fetchall()
            conn.execute(
                "UPDATE runs SET status = ?, result = ?, error = ?, agents_done = ?, "
                "agents_failed = ?, input_tokens = ?, output_tokens = ?, cost_usd = ?, "
                "control = NULL, updated_at = ?, finished_at = ? WHERE id = ?",
                (result.status, value, result.error, done, failed, tin, tout, cost, now, now,
                 run_id))
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
            row = conn.execute("SELECT control FROM runs WHERE id = ?", (run_id,)).fetchone()
            conn.execute("UPDATE runs SET control = NULL WHERE id = ?", (run_id,))
        action = row[0] if row else None
        return action if action in ("pause", "unpause", "stop") else None

    # -- journal -------------------------------------------------------------------------

    def append_journal(
        self, run_id: str, key: str, record: AgentRecord,
        events: Sequence[tuple[str, float, str, str]] = (),
    ) -> None:
        """Commit one finished agent (and any buffered events) in one transaction."""
        params = journal_params(run_id, key, record)
        if not events:
            self._exec(INSERT_JOURNAL, params)
            return
        with self._write() as conn:
            conn.executemany(INSERT_EVENT, events)
            conn.execute(INSERT_JOURNAL, params)

    def load_replay(self, run_id: str) -> dict[str, AgentRecord]:
        """The journal's successful agents of a run by key (what resume replays)."""
        rows = self._query(f"SELECT key, {_RECORD_COLUMNS} FROM journal "
                           "WHERE run_id = ? AND status = 'ok'", (run_id,))
        return {row[0]: _decode_record(row[1:]) for row in rows}

    def journal(self, run_id: str) -> list[JournalEntry]:
        """Every journal row of a run, in the order they were recorded."""
        rows = self._query(f"SELECT key, recorded_at, {_RECORD_COLUMNS} FROM journal "
                           "WHERE run_id = ? ORDER BY seq", (run_id,))
        return [JournalEntry(key=r[0], recorded_at=r[1], record=_decode_record(r[2:]))
                for r in rows]

    # -- events --------------------------------------------------------------------------

    def _event(self, run_id: str, kind: EventKind, text: str) -> None:
        self._exec(INSERT_EVENT, (run_id, time.time(), kind, text))

    def append_events(self, events: Sequence[tuple[str, float, str, str]]) -> None:
        """Append buffered ``(run_id, at, kind, text)`` events in one transaction."""
        if events:
            with self._write() as conn:
                conn.executemany(INSERT_EVENT, events)

    def events(self, run_id: str, *, after: int = 0) -> list[EventRow]:
        rows = self._query("SELECT id, at, kind, text FROM events WHERE run_id = ? AND id > ? "
                           "ORDER BY id", (run_id, after))
        return [EventRow(id=r[0], at=r[1], kind=r[2], text=r[3]) for r in rows]

