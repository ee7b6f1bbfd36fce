"""A run's books: the agents' records, their usage, running agents' turns, the failure policy.

:class:`Ledger` is what :class:`~._run.Run` reports; the run adds every finished agent
through :meth:`Ledger.add` and hands each budgeted agent a gate from :meth:`Ledger.gate`.

- Usage that running agents reported after each model turn counts at once
  (:attr:`Ledger.spent`), so a long agent overshoots the budget by one turn at most and
  every other agent sees its spend.
- The failure policy (``max_failures``): once more agents failed than the limit allows,
  :attr:`Ledger.policy_error` is set and the run sends no new agent.
"""

from __future__ import annotations

from .._failure_limit import FailureLimit
from .._types import AgentRecord, BudgetGate, Usage
from ..errors import FailurePolicyExceeded

__all__ = ["Ledger"]


class Ledger:
    """The records and usage of one run."""

    def __init__(self, max_failures: str | None = None) -> None:
        self.records: list[AgentRecord] = []
        self.usage = Usage()
        self._running: dict[int, Usage] = {}
        self._running_tokens = 0
        self._failed = 0
        self._finished = 0
        self._limit = FailureLimit.parse(max_failures) if max_failures is not None else None
        self.policy_error: FailurePolicyExceeded | None = None
        """Set once more agents failed than ``max_failures``: no agent is sent after it."""

    @property
    def spent(self) -> int:
        """Tokens of finished agents, and what running agents reported so far."""
        return self.usage.total_tokens + self._running_tokens

    def running_usage(self, index: int) -> Usage:
        """What running agent ``index`` reported so far (zero when nothing)."""
        return self._running.get(index) or Usage()

    def gate(self, index: int, total: int) -> BudgetGate:
        """Agent ``index``'s budget gate: told its usage so far after every model response,
        it counts that usage against the run at once and says whether the agent may go on."""

        def gate(used: Usage) -> bool:
            before = self._running.get(index)
            self._running_tokens += used.total_tokens - (before.total_tokens if before else 0)
            self._running[index] = used
            return self.spent < total

        return gate

    def add(self, index: int, record: AgentRecord) -> bool:
        """Book one finished agent; True when this one tripped the failure policy."""
        running = self._running.pop(index, None)
        if running is not None:
            self._running_tokens -= running.total_tokens
        self.usage = self.usage + record.usage
        self.records.append(record)
        if record.status in ("refused", "replayed"):
            return False
        self._finished += 1
        if record.status not in ("failed", "timeout"):
            return False
        self._failed += 1
        if self._limit is None or self.policy_error is not None:
            return False
        if self._limit.exceeded(self._failed, self._finished):
            self.policy_error = FailurePolicyExceeded(str(self._limit), self._failed)
            return True
        return False
