"""Which backend a run uses: an object, a name, or the project configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowdsl._durable import choose_backend
from flowdsl._options import RunOptions
from flowdsl.backends._anthropic import AnthropicBackend
from flowdsl.backends._openai import OpenAIBackend
from flowdsl.backends._simulate import SimulateBackend
from flowdsl.errors import BackendConfigError, UsageError
from flowdsl.testing import FunctionBackend


def configured(tmp_path: Path, text: str, **explicit: object) -> RunOptions:
    (tmp_path / "flowdsl.toml").write_text(text, encoding="utf-8")
    return RunOptions.resolve(tmp_path, **explicit)


def test_no_backend_anywhere_lists_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(BackendConfigError) as info:
        choose_backend(None, RunOptions.resolve(tmp_path))
    message = str(info.value)
    for hint in ("--backend", "[tool.flowdsl]", "flowdsl.toml", "openai", "anthropic",
                 "claude", "codex", "simulate"):
        assert hint in message


def test_the_configured_backend_is_built_with_the_configured_model_and_url(
    tmp_path: Path,
) -> None:
    options = configured(tmp_path, 'backend = "openai"\nmodel = "fast"\n'
                                   'base_url = "http://127.0.0.1:9/v1"\n'
                                   '[aliases]\nfast = "gpt-4.1-mini"\n')
    backend = choose_backend(None, options)
    assert isinstance(backend, OpenAIBackend)
    assert (backend.model, backend.base_url) == ("gpt-4.1-mini", "http://127.0.0.1:9/v1")


def test_explicit_options_override_the_file(tmp_path: Path) -> None:
    options = configured(tmp_path, 'backend = "openai"\nbase_url = "http://file"\n',
                         backend="anthropic", base_url="http://flag", model="m")
    backend = choose_backend(None, options)
    assert isinstance(backend, AnthropicBackend)
    assert (backend.base_url, backend.model) == ("http://flag", "m")


def test_simulate_needs_no_options(tmp_path: Path) -> None:
    options = configured(tmp_path, 'backend = "simulate"\nmodel = "ignored"\n')
    assert isinstance(choose_backend(None, options), SimulateBackend)


def test_a_backend_object_wins_over_the_configuration(tmp_path: Path) -> None:
    mine = FunctionBackend(lambda r: "x")
    assert choose_backend(mine, configured(tmp_path, 'backend = "openai"\n')) is mine


def test_an_object_without_async_run_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="async run"):
        choose_backend(object(), RunOptions.resolve(tmp_path))  # type: ignore[arg-type]
