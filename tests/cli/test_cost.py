"""``flowdsl._cli._cost``: an unknown cost is printed as unknown, never as $0."""

from __future__ import annotations

from flowdsl._cli._cost import format_cost, unpriced_models
from flowdsl._types import AgentRecord, AgentRequest, Usage

PRICED = Usage(input_tokens=100, output_tokens=20, cost_usd=1.23456)
UNPRICED = Usage(input_tokens=1000, output_tokens=234, unpriced_tokens=1234)


def test_a_complete_cost_is_dollars() -> None:
    assert format_cost(PRICED) == "$1.2346"


def test_nothing_priced_is_unknown_naming_the_model() -> None:
    assert format_cost(UNPRICED, ["qwen3"]) == "unknown (no price for model qwen3)"


def test_nothing_priced_without_a_model_name_is_unknown() -> None:
    assert format_cost(UNPRICED) == "unknown (no price)"


def test_a_partial_cost_is_the_known_part_plus_unknown() -> None:
    assert format_cost(PRICED + UNPRICED, ["qwen3", "llama", "qwen3"]) == (
        "$1.2346 + unknown (1,234 tokens of unpriced models: llama, qwen3)")


def test_unpriced_models_are_those_of_agents_with_unpriced_tokens() -> None:
    def record(model: str | None, usage: Usage) -> AgentRecord:
        return AgentRecord(request=AgentRequest(prompt="p", model=model), status="ok",
                           usage=usage)

    records = [record("gpt-4o", PRICED), record("qwen3", UNPRICED), record(None, UNPRICED)]
    assert unpriced_models(records) == ["qwen3"]
