"""The run's books: per-turn usage counts at once against the budget and the cost cap."""

from __future__ import annotations

from flowdsl._runtime._ledger import Ledger
from flowdsl._types import AgentRecord, AgentRequest, Usage


def turn(tokens: int, cost: float, unpriced: int = 0) -> Usage:
    return Usage(input_tokens=tokens, cost_usd=cost, unpriced_tokens=unpriced)


def test_a_running_agent_stops_at_the_cost_cap() -> None:
    ledger = Ledger()
    gate = ledger.gate(0, None, 0.10)
    assert gate(turn(100, 0.04))
    assert gate(turn(200, 0.08))  # cumulative usage: this agent's second report
    assert ledger.cost == 0.08
    assert not gate(turn(300, 0.12))


def test_every_running_agent_sees_the_others_spend() -> None:
    ledger = Ledger()
    first, second = ledger.gate(0, 1000, 1.0), ledger.gate(1, 1000, 1.0)
    assert first(turn(600, 0.1))
    assert not second(turn(500, 0.1))  # 1,100 tokens between them
    assert ledger.spent == 1100


def test_unpriced_turns_cannot_be_held_to_a_cost_cap() -> None:
    gate = Ledger().gate(0, None, 5.0)
    assert not gate(turn(100, 0.0, unpriced=100))


def test_a_finished_agent_moves_from_running_to_the_books() -> None:
    ledger = Ledger()
    ledger.gate(0, None, 1.0)(turn(100, 0.02))
    record = AgentRecord(request=AgentRequest(prompt="p"), status="ok",
                         usage=Usage(input_tokens=150, cost_usd=0.03))
    ledger.add(0, record)
    assert ledger.cost == 0.03
    assert ledger.spent == 150
