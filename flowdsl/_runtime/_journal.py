"""The durability hook: where finished agents are recorded and found again on resume.

A journal's ``record`` commits one row before it returns. A journal that also has an
async ``commit`` (:class:`GroupCommitJournal`, the store's) gets the rows of the agents
its backend answered through it instead: the rows of the agents that finish in the same
event-loop turn share one transaction, and each ``commit`` returns only once that
transaction is durable. Either way the runtime hands a result to the script only after
its row is committed, so a crash never loses an agent the script has seen.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from .._types import AgentRecord, AgentRequest

__all__ = ["GroupCommitJournal", "Journal", "KeyCounter"]


class Journal(Protocol):
    """Records finished agents and replays them on resume.

    ``record`` must make the row durable before it returns: the runtime hands the result
    to the script only afterwards, so a crash never loses an agent the script has seen.
    ``replay`` gives a finished call's record and its place (0..size-1) in the order
    the journaled calls completed, so resume hands results out in that order.
    """

    @property
    def size(self) -> int:
        """How many finished calls can be replayed."""
        ...

    def replay(self, key: str) -> tuple[AgentRecord, int] | None: ...

    def record(self, key: str, record: AgentRecord) -> None: ...


class GroupCommitJournal(Journal, Protocol):
    """A journal that commits the rows of agents finishing together in one transaction.

    ``commit`` adds the row to the batch of the current event-loop turn and returns once
    that batch is durable; rows are committed in the order ``commit`` (or ``record``)
    was called, which is the agents' completion order. A failed batch commit raises its
    error in every ``commit`` of the batch. A caller cancelled while it waits gets the
    cancellation only once its row is committed (or its batch failed: then the error),
    so the runtime counts that agent as finished, never as cut short. The runtime still
    calls ``record`` where it cannot wait (refusals, agents the run's end cut short);
    ``record`` commits the open batch's rows first, in the same transaction.
    """

    async def commit(self, key: str, record: AgentRecord) -> None: ...


class KeyCounter:
    """Content-addressed call keys: hash of the request plus its occurrence number.

    The n-th call with the same prompt and options gets ``<hash>:<n>``, so keys do not
    depend on the order in which fan-out branches start.
    """

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def key(self, request: AgentRequest) -> str:
        digest = hashlib.sha256(request.key_material().encode("utf-8")).hexdigest()[:32]
        n = self._seen.get(digest, 0)
        self._seen[digest] = n + 1
        return f"{digest}:{n}"
