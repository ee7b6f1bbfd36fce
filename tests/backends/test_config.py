"""Configuration loading, model routing and prices (flowdsl/_config.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowdsl._config import (
    Config,
    Price,
    load_config,
    resolve_model,
)
from flowdsl.errors import UsageError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config.default
    assert Config.default.backend is None


def test_pyproject_tool_flowdsl_is_read_from_a_parent_directory(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", """
[project]
name = "x"
[tool.flowdsl]
backend = "openai"
model = "smart"
base_url = "http://127.0.0.1:8000/v1"
retries = 2
reasks = 1
timeout = 30
agent_timeout = 120.5
concurrency = 4
[tool.flowdsl.aliases]
smart = "gpt-4.1"
fast = "gpt-4.1-mini"
""")
    config = load_config(tmp_path / "a" / "b")
    assert (config.backend, config.model, config.base_url) == (
        "openai", "smart", "http://127.0.0.1:8000/v1")
    assert (config.retries, config.reasks, config.timeout, config.agent_timeout,
            config.concurrency) == (2, 1, 30.0, 120.5, 4)
    assert config.resolve_alias("smart") == "gpt-4.1"
    assert config.source == tmp_path / "pyproject.toml"


def test_pyproject_without_a_flowdsl_table_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.flowdsl]\nbackend = "anthropic"\n')
    write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "inner"\n')
    assert load_config(tmp_path / "sub").backend == "anthropic"


def test_flowdsl_toml_wins_in_the_same_directory(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.flowdsl]\nbackend = "anthropic"\n')
    write(tmp_path / "flowdsl.toml", 'backend = "codex"\n')
    assert load_config(tmp_path).backend == "codex"


def test_flowdsl_toml_may_use_the_tool_table(tmp_path: Path) -> None:
    write(tmp_path / "flowdsl.toml", '[tool.flowdsl]\nbackend = "claude"\n')
    assert load_config(tmp_path).backend == "claude"


def test_prices_in_the_file_are_the_overrides(tmp_path: Path) -> None:
    write(tmp_path / "flowdsl.toml", '[prices]\n"qwen3" = { input = 0.1, output = 0.2 }\n'
                                     '"gpt-4o" = { input = 1, output = 2 }\n')
    config = load_config(tmp_path)
    assert config.price("qwen3") == Price(0.1, 0.2)
    assert config.price("gpt-4o") == Price(1.0, 2.0)
    assert config.price("gpt-4o-mini") is None  # genai-prices prices it (backends/_prices)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('bakend = "openai"\n', "unknown flowdsl key"),
        ("retries = 'many'\n", "'retries' must be int"),
        ("retries = true\n", "'retries' must be int"),
        ('[prices]\nm = { input = 1 }\n', "prices.m needs numeric"),
        ("[aliases]\nfast = 3\n", "aliases.fast"),
        ("backend = \n", "cannot read"),
    ],
)
def test_bad_configuration_names_the_file_and_key(tmp_path: Path, text: str, match: str) -> None:
    write(tmp_path / "flowdsl.toml", text)
    with pytest.raises(UsageError, match=match) as info:
        load_config(tmp_path)
    assert "flowdsl.toml" in str(info.value)


def test_with_prices_adds_overrides_to_a_copy() -> None:
    config = Config.default.with_prices({"mine": Price(1, 1)})
    assert config.price("mine") == Price(1, 1)
    assert Config.default.price("mine") is None


def test_an_override_matches_the_exact_name_after_aliases() -> None:
    config = Config(aliases={"fast": "mine"}, prices={"mine": Price(1, 1)})
    assert config.price("fast") == Price(1, 1)
    assert config.price("mine-2025-01-01") is None


def test_with_overrides_replaces_only_given_values() -> None:
    config = Config(model="a", backend="openai").with_overrides(model="b", backend=None)
    assert (config.model, config.backend) == ("b", "openai")


@pytest.mark.parametrize(
    ("opts", "phase", "default", "expected"),
    [
        ("o", "p", "d", "o"),
        (None, "p", "d", "p"),
        (None, None, "d", "d"),
        (None, None, None, None),
        ("fast", None, None, "gpt-4.1-mini"),
        (None, "chain", None, "gpt-4.1-mini"),
    ],
)
def test_resolve_model_routing_and_aliases(opts: str | None, phase: str | None,
                                           default: str | None, expected: str | None) -> None:
    aliases = {"fast": "gpt-4.1-mini", "chain": "fast"}
    assert resolve_model(opts, phase, default, aliases) == expected


def test_alias_cycles_are_reported() -> None:
    with pytest.raises(UsageError, match="a -> b -> a"):
        resolve_model("a", None, None, {"a": "b", "b": "a"})


def test_price_cost_is_per_million_tokens() -> None:
    assert Price(3.0, 15.0).cost(2_000, 1_000) == pytest.approx(0.006 + 0.015)


def test_cli_args_table(tmp_path: Path) -> None:
    write(tmp_path / "flowdsl.toml", '[cli_args]\nclaude = ["--permission-mode", "plan"]\n')
    assert load_config(tmp_path).cli_args["claude"] == ("--permission-mode", "plan")
