"""``flowdsl._types``: a usage's cost is partly unknown without losing the known part."""

from __future__ import annotations

from flowdsl._types import RunResult, Usage

PRICED = Usage(input_tokens=100, output_tokens=20, cost_usd=0.5)
UNPRICED = Usage(input_tokens=30, output_tokens=12, unpriced_tokens=42)


def test_adding_usages_sums_the_unpriced_tokens() -> None:
    total = PRICED + UNPRICED + UNPRICED
    assert (total.cost_usd, total.unpriced_tokens, total.total_tokens) == (0.5, 84, 204)


def test_a_cost_is_complete_only_when_no_token_is_unpriced() -> None:
    assert PRICED.cost_complete
    assert not (PRICED + UNPRICED).cost_complete


def test_the_known_cost_is_none_only_when_nothing_was_priced() -> None:
    assert (PRICED.known_cost(), UNPRICED.known_cost()) == (0.5, None)
    assert (PRICED + UNPRICED).known_cost() == 0.5
    assert Usage().known_cost() == 0.0


def test_usage_json_has_a_null_cost_when_nothing_was_priced() -> None:
    assert UNPRICED.to_json() == {"input_tokens": 30, "output_tokens": 12, "cost_usd": None,
                                  "cost_complete": False, "unpriced_tokens": 42}


def test_usage_json_keeps_the_known_part_of_a_partial_cost() -> None:
    data = (PRICED + UNPRICED).to_json()
    assert (data["cost_usd"], data["cost_complete"]) == (0.5, False)


def test_run_result_json_carries_the_usage_json() -> None:
    result = RunResult(status="completed", usage=UNPRICED)
    assert result.to_json()["usage"] == UNPRICED.to_json()
