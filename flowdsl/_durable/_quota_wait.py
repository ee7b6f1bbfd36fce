"""``--resume-after-quota``: a run paused for quota waits for the reset, then goes on.

A run the provider stopped for quota ends ``paused`` (its outcome is written, its
worker could exit). With ``resume_after_quota`` set, the process that ran it waits
instead: until the provider's reset time (plus :data:`RESET_MARGIN`), or, when the
provider named none, :data:`NO_RESET_WAIT` doubled on each pause in a row up to
:data:`MAX_NO_RESET_WAIT`. Then it resumes the run like ``flowdsl runs resume``: the
journal replays every finished agent.

The wait watches the run's row: ``runs stop`` (status stopped), ``runs resume`` by hand
(another worker took it), ``runs rm`` — any change ends the wait without resuming.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import anyio

from .._store import Store
from .._types import RunResult
from ..errors import RunNotFound

__all__ = ["MAX_NO_RESET_WAIT", "NO_RESET_WAIT", "RESET_MARGIN", "resume_due", "wait_for_reset"]

RESET_MARGIN = 5.0
"""Seconds past the provider's reset time before resuming (clocks differ)."""
NO_RESET_WAIT = 1800.0
"""Seconds before the first retry when the provider named no reset time."""
MAX_NO_RESET_WAIT = 6 * 3600.0
"""The longest wait without a reset time."""


def resume_due(result: RunResult, attempt: int, now: float) -> float:
    """When a run paused for quota should resume (epoch seconds).

    Args:
        result: the paused run's result (its ``resets_at``).
        attempt: how many quota pauses in a row came before this one (0 for the first).
        now: the current time.
    """
    if result.resets_at is not None:
        return max(now, result.resets_at + RESET_MARGIN)
    return now + min(NO_RESET_WAIT * 2.0**attempt, MAX_NO_RESET_WAIT)


async def wait_for_reset(store: Store, run_id: str, due: float, *, poll: float = 1.0,
                         clock: Callable[[], float] = time.time) -> bool:
    """Wait until ``due``; True to resume the run now, False when it changed meanwhile
    (stopped, resumed by someone else, deleted)."""
    try:
        finished = store.get_run(run_id).finished_at
    except RunNotFound:
        return False
    when = datetime.fromtimestamp(due, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    store.append_events([(run_id, clock(), "status", f"waiting for the quota to reset: "
                                                     f"resuming at {when}")])
    while (left := due - clock()) > 0:
        await anyio.sleep(min(poll, left))
        try:
            info = store.get_run(run_id)
        except RunNotFound:
            return False
        if not info.paused_for_quota or info.finished_at != finished:
            return False
    return True
