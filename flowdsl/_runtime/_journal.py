"""The durability hook: where finished agents are recorded and found again on resume."""

from __future__ import annotations

import hashlib
from typing import Protocol

from .._types import AgentRecord, AgentRequest

__all__ = ["Journal", "KeyCounter"]


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
