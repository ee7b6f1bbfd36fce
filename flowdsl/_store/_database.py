"""The seam between the store's methods and its database: SQLite or PostgreSQL.

:class:`Database` is what :class:`~flowdsl._store.Store` (and the journal and report
queries) need from a database: reads, single-statement writes, transactions, and the
few SQL spellings the two engines do not share. The methods and SQL statements of the
store are written once, over this class, with ``?`` placeholders and SQL both engines
read; ``_sqlite.SqliteDatabase`` runs them as they are, ``_postgres.PostgresDatabase``
rewrites the placeholders once per statement (cached).

What differs, and where:

- locking: SQLite's ``BEGIN IMMEDIATE`` serialises every writer, so a read followed by a
  write in one transaction needs nothing more; PostgreSQL locks the run's row
  (:meth:`Database._lock_run`, ``SELECT ... FOR UPDATE``) where a method reads and then
  writes the same run;
- JSON: ``json_extract`` or ``->>`` (:meth:`Database.json_text`), ``json_each`` or
  ``jsonb_array_elements_text`` (:meth:`Database.in_json_list`);
- files beside the database: the WAL checkpoint and the disk reserve exist for SQLite
  only.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, Self

__all__ = ["Database", "Result", "Transaction"]


class Result(Protocol):
    """What a statement returns (a cursor of either engine)."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    @property
    def rowcount(self) -> int: ...


class Transaction(Protocol):
    """The statements of an open write transaction (``with db._write() as tx``)."""

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Result: ...

    def executemany(self, sql: str, seq_of_parameters: Sequence[Sequence[Any]], /) -> Any: ...


class Database(ABC):
    """One connection to a run store's database; every error leaves as a ``StoreError``."""

    where: str
    """The database as messages name it (a file path, or a URL without its password)."""
    USES_DISK_RESERVE: ClassVar[bool] = False
    """A reserve file beside the database keeps room for a run's outcome (SQLite)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def _write(self) -> contextlib.AbstractContextManager[Transaction]:
        """One write transaction: committed, or rolled back and raised."""

    @abstractmethod
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of one statement."""

    @abstractmethod
    def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement on its own (autocommit outside a transaction); its row count."""

    def _lock_run(self, run_id: str) -> None:
        """Inside :meth:`_write`: keep other writers off the run's row until the commit.

        Nothing for SQLite, whose ``BEGIN IMMEDIATE`` already excludes every writer.
        """
        return None

    @staticmethod
    def json_text(column: str, field: str) -> str:
        """SQL for the member ``field`` of the JSON object in ``column``."""
        return f"json_extract({column}, '$.{field}')"

    @staticmethod
    def in_json_list(column: str) -> str:
        """SQL testing ``column`` against a JSON array of strings given as one parameter."""
        return f"{column} IN (SELECT value FROM json_each(?))"

    def set_autocheckpoint(self, on: bool) -> None:
        """Automatic WAL checkpoints on this connection on or off (SQLite only)."""
        return None

    def checkpoint_wal(self) -> None:
        """A passive WAL checkpoint on a connection of its own (SQLite only; thread-safe)."""
        return None
