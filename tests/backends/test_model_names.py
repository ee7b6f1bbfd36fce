"""A model name that can only be an undefined alias is refused before it is sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

import pytest

from flowdsl._cli import main
from flowdsl._config import Config
from flowdsl.backends._model_names import CLAUDE_CLI_ALIASES, model_problem

ALIASES = Config(aliases=MappingProxyType({"smart": "gpt-4.1", "fast": "cheap",
                                           "cheap": "gpt-4.1-mini", "empty": ""}))


@pytest.mark.parametrize(("name", "provider", "native", "refused"), [
    ("gpt-4.1", "openai", frozenset(), False),
    ("o3", "openai", frozenset(), False),
    ("claude-sonnet-4-5", "anthropic", frozenset(), False),
    ("mistral-large-latest", None, frozenset(), False),
    ("smart", "openai", frozenset(), False),  # defined
    ("fast", "openai", frozenset(), False),  # a chain to a real name
    ("empty", "openai", frozenset(), True),  # resolves to nothing
    ("strong", "openai", frozenset(), True),  # nobody defined it
    ("sonnet", "openai", frozenset(), True),  # Claude Code's alias means nothing to OpenAI
    ("sonnet", "anthropic", CLAUDE_CLI_ALIASES, False),  # the claude CLI resolves it
    ("opusplan", "anthropic", CLAUDE_CLI_ALIASES, False),
    ("smarter", "anthropic", CLAUDE_CLI_ALIASES, True),
])
def test_model_names(name: str, provider: str | None, native: frozenset[str],
                     refused: bool) -> None:
    problem = model_problem(name, ALIASES, provider=provider, native=native)
    assert (problem is not None) == refused


@pytest.fixture
def openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    for var in ("OPENAI_BASE_URL", "FLOWDSL_OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.usefixtures("openai_key")
def test_an_undefined_phase_alias_exits_2_before_any_agent(
        capsys: pytest.CaptureFixture[str], script: Callable[..., Path]) -> None:
    meta = ('meta = {"name": "t", "description": "d", '
            '"phases": [{"title": "Summarize", "model": "smart"}]}\n')
    code = main(["run", str(script('return await agent("x")', meta=meta)), "--backend",
                 "openai", "--model", "gpt-4.1", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 2
    assert data["error_type"] == "BackendConfigError"
    assert data["error"].startswith("phase 'Summarize': model 'smart' is an alias nobody")
    assert data["agents"]["total"] == 0


@pytest.mark.usefixtures("openai_key")
def test_an_undefined_alias_in_a_call_ends_the_run_at_its_first_agent(
        capsys: pytest.CaptureFixture[str], script: Callable[..., Path]) -> None:
    body = 'return await parallel(agent(f"x{i}", model="smart") for i in range(5))'
    code = main(["run", str(script(body)), "--backend", "openai", "--model", "gpt-4.1",
                 "--json", "--concurrency", "1"])
    data = json.loads(capsys.readouterr().out)
    assert code == 2
    assert "model 'smart' is an alias nobody defined" in data["error"]
    assert data["agents"]["failed"] == 1
