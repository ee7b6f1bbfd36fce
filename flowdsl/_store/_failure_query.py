"""A run's agents that did not succeed, counted in the database by status and error.

``flowdsl runs status`` groups a run's failures by reason while the run goes on: one
``GROUP BY`` over the journal's status and error columns (no prompt, output or tool call
is read), the caller folds the rows into reasons. Refused and cancelled agents are
journal rows too; replays are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._database import Database

__all__ = ["FailureCount", "failure_counts"]

_SELECT = ("SELECT status, error, count(*) FROM journal WHERE run_id = ? AND status != 'ok' "
           "GROUP BY status, error ORDER BY count(*) DESC, min(seq) LIMIT ?")


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureCount:
    """How many journaled agents of a run ended with this status and this error."""

    status: str
    error: str | None
    count: int


def failure_counts(db: Database, run_id: str, *, limit: int = 200) -> list[FailureCount]:
    """The run's not-ok agents by (status, error), most frequent first.

    Args:
        db: the store (:class:`~flowdsl._store.Store`).
        run_id: the run (a full id).
        limit: at most this many distinct (status, error) pairs.
    """
    return [FailureCount(status=status, error=error, count=count)
            for status, error, count in db._query(_SELECT, (run_id, limit))]
