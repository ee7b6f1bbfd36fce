"""Which workers are alive: a heartbeat row per worker, on the database's clock.

DBOS without its hosted Conductor recovers a dead process's workflows only when a
process of the same executor id starts again. A worker that died for good (its machine
reclaimed) would leave its agents pending forever, so every worker beats here and the
live ones recover the agents of any worker whose beat is older than ``dead_after``
(re-enqueued on the same queue; DBOS's claim makes a second recovery a no-op). Times
come from the database's clock, so machines with skewed clocks agree.
"""

from __future__ import annotations

import socket
from typing import Any

__all__ = ["Heartbeats", "live_workers"]

_SCHEMA = "flowdsl_workers"
_CREATE = (
    f"CREATE SCHEMA IF NOT EXISTS {_SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {_SCHEMA}.workers (
        executor_id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        concurrency INTEGER NOT NULL,
        started_at DOUBLE PRECISION NOT NULL,
        heartbeat DOUBLE PRECISION NOT NULL
    )""",
)
_NOW = "extract(epoch from clock_timestamp())"


def live_workers(url: str, within: float) -> int:
    """How many workers beat in the last ``within`` seconds (0 when none ever did)."""
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        table = conn.execute("SELECT to_regclass(%s)", (f"{_SCHEMA}.workers",)).fetchone()
        if table is None or table[0] is None:  # no worker ever started here
            return 0
        row = conn.execute(f"SELECT count(*) FROM {_SCHEMA}.workers WHERE heartbeat >= "
                           f"{_NOW} - %s", (within,)).fetchone()
        return int(row[0]) if row else 0


class Heartbeats:
    """One worker's connection to the heartbeat table (psycopg, autocommit)."""

    def __init__(self, url: str, executor_id: str) -> None:
        import psycopg

        self.executor_id = executor_id
        self._conn: Any = psycopg.connect(url, autocommit=True, connect_timeout=10)
        with self._conn.transaction():
            # two workers starting at once must not both create the schema
            self._conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (_SCHEMA,))
            for statement in _CREATE:
                self._conn.execute(statement)

    def beat(self, *, pid: int, concurrency: int) -> None:
        self._conn.execute(
            f"INSERT INTO {_SCHEMA}.workers (executor_id, host, pid, concurrency, started_at, "
            f"heartbeat) VALUES (%s, %s, %s, %s, {_NOW}, {_NOW}) ON CONFLICT (executor_id) "
            f"DO UPDATE SET heartbeat = {_NOW}",
            (self.executor_id, socket.gethostname(), pid, concurrency))

    def dead(self, dead_after: float) -> list[str]:
        """Executors whose last beat is older than ``dead_after`` seconds."""
        rows = self._conn.execute(
            f"SELECT executor_id FROM {_SCHEMA}.workers WHERE heartbeat < {_NOW} - %s "
            "AND executor_id != %s", (dead_after, self.executor_id)).fetchall()
        return [str(row[0]) for row in rows]

    def forget(self, executor_id: str) -> None:
        """Drop a dead worker's row once its agents are back on the queue."""
        self._conn.execute(f"DELETE FROM {_SCHEMA}.workers WHERE executor_id = %s",
                           (executor_id,))

    def leave(self) -> None:
        """A worker stopping: its beat ends now, so the others recover its agents at once."""
        self._conn.execute(f"UPDATE {_SCHEMA}.workers SET heartbeat = 0 WHERE executor_id = %s",
                           (self.executor_id,))

    def close(self) -> None:
        self._conn.close()
