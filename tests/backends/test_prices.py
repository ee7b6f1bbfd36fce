"""Prices: the user's override, else genai-prices' bundled snapshot, else unknown
(flowdsl/backends/_prices.py, and how make_usage counts them)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from genai_prices import Usage as PricedUsage
from genai_prices import calc_price

from flowdsl._config import Config, Price
from flowdsl.backends._common import make_usage
from flowdsl.backends._prices import catalog_cost, response_cost

M = 1_000_000


def listed(model: str, provider: str, inp: int = M, out: int = M) -> float:
    """What genai-prices itself says ``inp``/``out`` tokens of ``model`` cost."""
    calc = calc_price(PricedUsage(input_tokens=inp, output_tokens=out), model,
                      provider_id=provider)
    return float(calc.total_price)


def cost(model: str | None, provider: str | None = None, config: Config = Config.default,
         inp: int = M, out: int = M) -> float | None:
    return response_cost(config, model, provider, input_tokens=inp, output_tokens=out)


@pytest.mark.parametrize(("model", "provider", "family"), [
    ("o3-mini", "openai", "o3"),
    ("gpt-5-pro", "openai", "gpt-5"),
    ("claude-opus-4-6", "anthropic", "claude-opus-4"),
])
def test_models_the_old_prefix_rule_mispriced_have_their_own_price(
        model: str, provider: str, family: str) -> None:
    assert cost(model, provider) == pytest.approx(listed(model, provider))
    assert cost(model, provider) != pytest.approx(listed(family, provider))


def test_a_larger_model_costs_more_than_a_smaller_one() -> None:
    opus, haiku = cost("claude-opus-4-6", "anthropic"), cost("claude-haiku-4-5", "anthropic")
    assert opus is not None
    assert haiku is not None
    assert opus > 4 * haiku


def test_gpt_4o_mini_costs_its_list_price() -> None:
    assert cost("gpt-4o-mini", "openai") == pytest.approx(0.15 + 0.60)


@pytest.mark.parametrize(("snapshot", "family", "provider"), [
    ("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini", "openai"),
    ("gpt-4o-2024-08-06", "gpt-4o", "openai"),
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "anthropic"),
])
def test_a_dated_snapshot_costs_what_its_model_does(snapshot: str, family: str,
                                                    provider: str) -> None:
    assert cost(snapshot, provider, inp=1000, out=1000) == pytest.approx(
        listed(family, provider, 1000, 1000))


def test_the_provider_is_optional_for_a_known_name() -> None:
    assert cost("claude-haiku-4-5") == cost("claude-haiku-4-5", "anthropic")


def test_a_claude_model_behind_an_openai_compatible_server_is_still_priced() -> None:
    assert cost("claude-haiku-4-5", "openai") == cost("claude-haiku-4-5", "anthropic")


def test_a_vendor_prefixed_name_is_priced_at_the_vendor() -> None:
    assert cost("openai/gpt-4.1-mini", "openai") == cost("gpt-4.1-mini", "openai")


def test_cache_reads_are_cheaper_than_fresh_input() -> None:
    fresh = catalog_cost("gpt-4.1-mini", "openai", input_tokens=M, output_tokens=0)
    cached = catalog_cost("gpt-4.1-mini", "openai", input_tokens=M, output_tokens=0,
                          cache_read_tokens=M)
    assert fresh is not None
    assert cached is not None
    assert cached < fresh


@pytest.mark.parametrize("model", ["unpriced-local-model", "qwen3", "llama3.1:8b"])
def test_an_unknown_model_has_no_price(model: str) -> None:
    assert cost(model, "openai") is None
    assert cost(model) is None


def test_no_model_name_has_no_price() -> None:
    assert cost(None, "openai") is None


def test_a_user_price_wins_over_genai_prices() -> None:
    config = Config(prices={"gpt-4o-mini": Price(1.0, 1.0)})
    assert cost("gpt-4o-mini", "openai", config) == pytest.approx(2.0)


def test_a_user_price_applies_through_an_alias() -> None:
    config = Config(aliases={"fast": "mine"}, prices={"mine": Price(3.0, 0.0)})
    assert cost("fast", None, config, inp=M, out=0) == pytest.approx(3.0)


def test_an_alias_is_resolved_before_genai_prices_is_asked() -> None:
    config = Config(aliases={"fast": "gpt-4o-mini"})
    assert cost("fast", "openai", config) == cost("gpt-4o-mini", "openai")


# -- make_usage -------------------------------------------------------------------------------
def test_a_reported_cost_wins_over_every_price() -> None:
    config = Config(prices={"gpt-4o-mini": Price(1.0, 1.0)})
    usage = make_usage(config, "gpt-4o-mini", M, M, provider="openai", reported_cost=0.125)
    assert (usage.cost_usd, usage.unpriced_tokens) == (0.125, 0)


def test_a_reported_cost_prices_an_unknown_model() -> None:
    usage = make_usage(Config(), "no-such-model-here", 10, 5, reported_cost=0.5)
    assert (usage.cost_usd, usage.cost_complete) == (0.5, True)


def test_an_unknown_model_s_tokens_are_unpriced_not_free() -> None:
    usage = make_usage(Config(), "no-such-model-here", 30, 12, provider="openai")
    assert (usage.cost_usd, usage.unpriced_tokens, usage.cost_complete) == (0.0, 42, False)
    assert usage.known_cost() is None


def test_a_priced_and_an_unpriced_response_keep_the_known_part() -> None:
    priced = make_usage(Config(), "gpt-4o-mini", M, M, provider="openai")
    total = priced + make_usage(Config(), "no-such-model-here", 30, 12, provider="openai")
    assert total.known_cost() == pytest.approx(0.75)
    assert (total.unpriced_tokens, total.cost_complete) == (42, False)


def test_a_response_of_no_tokens_costs_nothing_even_unpriced() -> None:
    usage = make_usage(Config(), "no-such-model-here", 0, 0)
    assert (usage.cost_usd, usage.cost_complete) == (0.0, True)


def test_importing_flowdsl_does_not_import_genai_prices() -> None:
    code = ("import sys, flowdsl, flowdsl.backends, flowdsl.backends._openai; "
            "assert 'genai_prices' not in sys.modules, 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
