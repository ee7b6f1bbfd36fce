"""A run's books: the agents' records, their usage, running agents' turns, the failure policy.

:class:`Ledger` is what :class:`~._run.Run` reports; the run adds every finished agent
through :meth:`Ledger.add` and hands each budgeted agent a gate from :meth:`Ledger.gate`.

- Usage that running agents reported after each model turn counts at once
  (:attr:`Ledger.spent`, :attr:`Ledger.cost`), so a long agent overshoots the budget or
  the cost cap by one turn at most and every other agent sees its spend.
- The failure policy (``max_failures``): once more agents failed than the limit allows,
  :attr:`Ledger.policy_error` is set and the run sends no new agent.

The run's total is kept as plain numbers, summed in the order the agents finished, and
:attr:`Ledger.usage` builds the :class:`Usage` when asked: a :class:`Usage` per finished
agent just to carry the sum was a measurable part of an agent's cost to the runtime.
"""

from __future__ import annotations

from .._failure_limit import FailureLimit
from .._types import AgentRecord, BudgetGate, Usage
from ..errors import BudgetExceeded, CostLimitExceeded, FailurePolicyExceeded, RunError

__all__ = ["Ledger"]

_NOTHING = Usage()


class Ledger:
    """The records and usage of one run."""

    def __init__(self, max_failures: str | None = None) -> None:
        self.records: list[AgentRecord] = []
        self._input_tokens = 0
        self._output_tokens = 0
        self._cost_usd = 0.0
        self._unpriced_tokens = 0
        self._estimated = False
        self._running: dict[int, Usage] = {}
        self._running_tokens = 0
        self._running_cost = 0.0
        self._failed = 0
        self._finished = 0
        self._limit = FailureLimit.parse(max_failures) if max_failures is not None else None
        self.policy_error: FailurePolicyExceeded | None = None
        """Set once more agents failed than ``max_failures``: no agent is sent after it."""

    @property
    def usage(self) -> Usage:
        """What the finished agents consumed, together."""
        return Usage(input_tokens=self._input_tokens, output_tokens=self._output_tokens,
                     cost_usd=self._cost_usd, estimated=self._estimated,
                     unpriced_tokens=self._unpriced_tokens)

    @property
    def spent(self) -> int:
        """Tokens of finished agents, and what running agents reported so far."""
        return self._input_tokens + self._output_tokens + self._running_tokens

    @property
    def cost(self) -> float:
        """USD of the priced tokens of finished agents and of running agents' turns."""
        return self._cost_usd + self._running_cost

    def refusal(self, tokens: int | None, dollars: float | None) -> RunError | None:
        """Why no new agent may be sent: the budget or the cost cap spent, the failure
        policy tripped; None when one may."""
        if tokens is not None and self.spent >= tokens:
            return BudgetExceeded(tokens, self.spent)
        if dollars is not None and self.cost >= dollars:
            return CostLimitExceeded(dollars, self.cost)
        return self.policy_error

    def running_usage(self, index: int) -> Usage:
        """What running agent ``index`` reported so far (zero when nothing)."""
        return self._running.get(index) or _NOTHING

    def gate(self, index: int, tokens: int | None, dollars: float | None) -> BudgetGate:
        """Agent ``index``'s budget gate: told its usage so far after every model response,
        it counts that usage against the run at once and says whether the agent may go on
        (under the token budget and the cost cap; tokens of no known price cannot be held
        to a cost cap, so they stop the agent)."""

        def gate(used: Usage) -> bool:
            before = self._running.get(index) or _NOTHING
            self._running_tokens += used.total_tokens - before.total_tokens
            self._running_cost += used.cost_usd - before.cost_usd
            self._running[index] = used
            if tokens is not None and self.spent >= tokens:
                return False
            return dollars is None or (self.cost < dollars and not used.unpriced_tokens)

        return gate

    def add(self, index: int, record: AgentRecord) -> bool:
        """Book one finished agent; True when this one tripped the failure policy."""
        if self._running:
            running = self._running.pop(index, None)
            if running is not None:
                self._running_tokens -= running.total_tokens
                self._running_cost -= running.cost_usd
        usage = record.usage
        self._input_tokens += usage.input_tokens
        self._output_tokens += usage.output_tokens
        self._cost_usd += usage.cost_usd
        self._unpriced_tokens += usage.unpriced_tokens
        self._estimated = self._estimated or usage.estimated
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
