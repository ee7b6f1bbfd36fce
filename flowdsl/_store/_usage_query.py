"""Usage summed in the database: tokens and cost of journaled agents by run, phase, model.

``flowdsl runs cost`` reads a whole store: loading every journal row (prompts, outputs,
tool calls) to add up a few numbers would cost O(bytes of the store). One ``GROUP BY``
query returns a row per (run, phase, model) instead; the caller folds them into the
tables it shows. The phase and model are the request's (``Database.json_text`` of the
journal's ``request`` column): a model of None is the run's default one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._usage import Usage

if TYPE_CHECKING:
    from ._database import Database

__all__ = ["UsageGroup", "usage_groups"]

_SELECT = (
    "SELECT run_id, {phase}, {model}, "
    "count(*), count(*) FILTER (WHERE status != 'ok'), coalesce(sum(input_tokens), 0), "
    "coalesce(sum(output_tokens), 0), coalesce(sum(cost_usd), 0), "
    "coalesce(max(estimated), 0), coalesce(sum(unpriced_tokens), 0) FROM journal"
)
_GROUP = " GROUP BY 1, 2, 3 ORDER BY 1, min(seq)"


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageGroup:
    """The journaled agents of one run that share a phase and a model, summed."""

    run_id: str
    phase: str | None
    model: str | None
    """The model the requests named; None: the run's default model."""
    agents: int
    not_ok: int
    """Of ``agents``, those that did not end ok (failed, timed out, refused, cancelled)."""
    usage: Usage


def usage_groups(db: Database, *, run_id: str | None = None,
                 since: float | None = None) -> list[UsageGroup]:
    """The usage of journaled agents per (run, phase, model), in run id order.

    Args:
        db: the store (:class:`~flowdsl._store.Store`).
        run_id: only this run (a full id); None: every run.
        since: only runs created at or after this time (epoch seconds).
    """
    where: list[str] = []
    params: list[Any] = []
    if run_id is not None:
        where.append("run_id = ?")
        params.append(run_id)
    if since is not None:
        where.append("run_id IN (SELECT id FROM runs WHERE created_at >= ?)")
        params.append(since)
    select = _SELECT.format(phase=db.json_text("request", "phase"),
                            model=db.json_text("request", "model"))
    sql = select + (" WHERE " + " AND ".join(where) if where else "") + _GROUP
    return [_decode(row) for row in db._query(sql, params)]


def _decode(row: Sequence[Any]) -> UsageGroup:
    run_id, phase, model, agents, not_ok, tin, tout, cost, est, unpriced = row
    return UsageGroup(
        run_id=run_id, phase=None if phase is None else str(phase),
        model=None if model is None else str(model), agents=agents, not_ok=not_ok,
        usage=Usage(input_tokens=tin, output_tokens=tout, cost_usd=cost, estimated=bool(est),
                    unpriced_tokens=unpriced))
