"""``flowdsl run --dry-run`` and ``--confirm-over``: priced with the real backend's models,
stored nowhere, asked about on a terminal only."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import genai_prices
import pytest

from flowdsl import Store
from flowdsl._cli import main

META = ('meta = {"name": "t", "description": "phases", "phases": [\n'
        '    {"title": "Scan", "model": "fast"},\n'
        '    {"title": "Judge", "model": "smart"}]}\n')
PHASED = ('phase("Scan")\n'
          'found = await parallel(agent(f"scan {i}") for i in range(3))\n'
          'phase("Judge")\n'
          'return await agent("judge " + " ".join(found))\n')
ALIASES = '[aliases]\nfast = "gpt-4.1-mini"\nsmart = "gpt-4.1"\n'
BACKEND = "tests.cli.outcome_backends:create"
ASKED = "Run it? [y/N]"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current directory: a project whose flowdsl.toml maps fast and smart."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flowdsl.toml").write_text(ALIASES, encoding="utf-8")
    return tmp_path


@pytest.fixture
def phased(script: Callable[..., Path], project: Path) -> Path:
    return script(PHASED, meta=META)


class Tty(io.StringIO):
    """A stdin that says it is a terminal, holding the user's answer."""

    def isatty(self) -> bool:
        return True


class NotAsked(Tty):
    def readline(self, size: int | None = -1) -> str:
        raise AssertionError("the user was asked")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def dry_json(capsys: pytest.CaptureFixture[str], path: Path, *flags: str) -> dict[str, Any]:
    code, out, err = run_cli(capsys, "run", str(path), "--dry-run", "--json", *flags)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def by_model(data: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {m["model"]: m for m in data["dry_run"]["by_model"]}


def price(model: str, entry: dict[str, Any], provider: str = "openai") -> float:
    usage = genai_prices.Usage(input_tokens=entry["input_tokens"],
                               output_tokens=entry["output_tokens"])
    return float(genai_prices.calc_price(usage, model, provider_id=provider).total_price)


def stored_runs(store: Path) -> int:
    if not store.exists():
        return 0
    with Store.open(store) as s:
        return len(s.list_runs())


# --dry-run


def test_dry_run_prices_the_tokens_at_the_real_models_price(capsys, script, project):
    path = script('return await parallel(agent(f"a{i}") for i in range(4))')
    data = dry_json(capsys, path, "--backend", "openai", "--model", "gpt-4.1")
    [entry] = data["dry_run"]["by_model"]
    assert entry["model"] == "gpt-4.1"
    assert entry["agents"] == 4
    assert entry["cost_usd"] == pytest.approx(price("gpt-4.1", entry))
    assert data["dry_run"]["cost_usd"] == pytest.approx(entry["cost_usd"])


def test_phase_models_route_through_the_aliases(capsys, phased):
    data = dry_json(capsys, phased, "--backend", "openai")
    models = by_model(data)
    assert {m: e["agents"] for m, e in models.items()} == {"gpt-4.1-mini": 3, "gpt-4.1": 1}
    assert models["gpt-4.1-mini"]["cost_usd"] == pytest.approx(
        price("gpt-4.1-mini", models["gpt-4.1-mini"]))


def test_human_output_has_one_line_per_model_and_a_total(capsys, phased):
    code, _, err = run_cli(capsys, "run", str(phased), "--dry-run", "--backend", "openai")
    assert code == 0
    assert "dry run: 4 agents would run on openai" in err
    assert [line.split(":")[0] for line in err.splitlines() if line.startswith("  ")] == [
        "  gpt-4.1", "  gpt-4.1-mini", "  total"]
    assert "  gpt-4.1-mini: 3 agents, " in err
    assert "cost:" not in err  # the simulate backend's $0 is not shown as the cost


def test_an_unpriced_model_is_unknown_never_zero(capsys, script, project):
    path = script('return await agent("x")')
    code, _, err = run_cli(capsys, "run", str(path), "--dry-run", "--backend", "openai",
                           "--model", "no-such-model-7")
    assert code == 0
    assert "  no-such-model-7: 1 agent, " in err
    assert "unknown (no price)" in err
    assert "$0.0000" not in err


def test_an_unpriced_model_is_null_in_json(capsys, script, project):
    path = script('return await agent("x")')
    dry = dry_json(capsys, path, "--backend", "openai", "--model", "no-such-model-7")["dry_run"]
    assert dry["by_model"][0]["cost_usd"] is None
    assert dry["cost_usd"] is None
    assert dry["cost_complete"] is False


def test_a_cli_backends_own_default_model_has_an_unknown_price(capsys, script, project):
    code, _, err = run_cli(capsys, "run", str(script('return await agent("x")')),
                           "--dry-run", "--backend", "claude")
    assert code == 0
    assert "  (the claude backend's default): 1 agent, " in err
    assert "unknown" in err


def test_configured_prices_win(capsys, script, project):
    (project / "flowdsl.toml").write_text(
        ALIASES + '[prices]\n"gpt-4.1" = { input = 1000000.0, output = 0.0 }\n')
    data = dry_json(capsys, script('return await agent("x")'), "--backend", "openai",
                    "--model", "smart")
    entry = by_model(data)["gpt-4.1"]
    assert entry["cost_usd"] == pytest.approx(entry["input_tokens"])


def test_dry_run_json_carries_the_projection(capsys, phased):
    data = dry_json(capsys, phased, "--backend", "openai")
    assert set(data["dry_run"]) == {"backend", "agents", "input_tokens", "output_tokens",
                                    "cost_usd", "cost_complete", "unpriced_tokens", "by_model",
                                    "problems"}
    assert data["dry_run"]["problems"] == []
    assert data["dry_run"]["backend"] == "openai"
    assert data["dry_run"]["agents"] == 4
    assert set(data["dry_run"]["by_model"][0]) == {"model", "agents", "input_tokens",
                                                   "output_tokens", "cost_usd"}


def test_a_dry_run_is_not_stored(capsys, script, project, private_store):
    path = script('return await agent("x")')
    assert run_cli(capsys, "run", str(path), "--backend", "simulate")[0] == 0
    assert run_cli(capsys, "run", str(path), "--dry-run", "--backend", "openai")[0] == 0
    _, out, _ = run_cli(capsys, "runs", "list", "--json")
    assert len(json.loads(out)) == 1


def test_a_dry_run_is_not_stored_even_without_a_store(capsys, script, project, private_store):
    run_cli(capsys, "run", str(script('return await agent("x")')), "--dry-run")
    assert not private_store.exists()


def test_dry_run_in_the_background_is_a_usage_error(capsys, script, project):
    code, _, err = run_cli(capsys, "run", str(script("return 1")), "--dry-run",
                           "--background")
    assert code == 2
    assert err.startswith("flowdsl: error: --dry-run runs in the foreground")
    assert err.count("\n") == 1


# --confirm-over


def confirm(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, path: Path,
            stdin: io.StringIO, *flags: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", stdin)
    return run_cli(capsys, "run", str(path), "--backend", BACKEND, "--model", "gpt-4.1",
                   *flags)


def test_answering_no_starts_nothing_and_exits_1(capsys, monkeypatch, script, project,
                                                private_store):
    path = script('return await agent("x")')
    code, out, err = confirm(capsys, monkeypatch, path, Tty("n\n"), "--confirm-over", "0")
    assert code == 1
    assert "Projected cost $0.0" in err
    assert "exceeds $0.00. Run it? [y/N]" in err
    assert "dry run: 1 agents would run on" not in err  # grammar: one agent
    assert "flowdsl: not started: projected cost $" in err
    assert "exceeds --confirm-over $0.00" in err
    assert out == ""
    assert stored_runs(private_store) == 0


def test_answering_yes_runs(capsys, monkeypatch, script, project, private_store):
    path = script('return await agent("x")')
    code, out, err = confirm(capsys, monkeypatch, path, Tty("yes\n"), "--confirm-over", "0")
    assert code == 0, err
    assert ASKED in err
    assert out == "ok\n"
    assert stored_runs(private_store) == 1


def test_end_of_input_is_no(capsys, monkeypatch, script, project, private_store):
    code, _, err = confirm(capsys, monkeypatch, script('return await agent("x")'), Tty(""),
                           "--confirm-over", "0")
    assert code == 1
    assert "flowdsl: not started:" in err


def test_off_a_terminal_it_refuses_without_asking(capsys, monkeypatch, script, project,
                                                  private_store):
    code, _, err = confirm(capsys, monkeypatch, script('return await agent("x")'),
                           io.StringIO("y\n"), "--confirm-over", "0")
    assert code == 1
    assert ASKED not in err
    assert err.endswith("not on a terminal to ask (pass a higher --confirm-over or none)\n")
    assert err.count("\n") == 1
    assert stored_runs(private_store) == 0


def test_under_the_threshold_it_runs_without_asking(capsys, monkeypatch, script, project,
                                                    private_store):
    code, _, err = confirm(capsys, monkeypatch, script('return await agent("x")'),
                           NotAsked(), "--confirm-over", "100")
    assert code == 0, err
    assert stored_runs(private_store) == 1


def test_an_unpriced_model_is_asked_about_even_under_the_threshold(capsys, monkeypatch,
                                                                   script, project):
    code, _, err = confirm(capsys, monkeypatch, script('return await agent("x")'),
                           Tty("n\n"), "--confirm-over", "100", "--model", "no-such-model-7")
    assert code == 1
    assert "the projection is incomplete: no price for no-such-model-7" in err
    assert "may exceed $100.00. Run it? [y/N]" in err
    assert "cannot be confirmed under --confirm-over $100.00" in err


def test_a_refusal_with_json_prints_the_projection(capsys, monkeypatch, script, project):
    code, out, _ = confirm(capsys, monkeypatch, script('return await agent("x")'),
                           io.StringIO(), "--confirm-over", "0", "--json")
    data = json.loads(out)
    assert code == data["exit_code"] == 1
    assert data["status"] == "not_started"
    assert data["dry_run"]["by_model"][0]["model"] == "gpt-4.1"


def test_a_refused_background_run_starts_no_worker(capsys, monkeypatch, script, project,
                                                   private_store):
    code, out, _ = confirm(capsys, monkeypatch, script('return await agent("x")'),
                           io.StringIO(), "--confirm-over", "0", "--background")
    assert code == 1
    assert out == ""
    assert stored_runs(private_store) == 0


def test_a_run_on_simulate_is_never_asked_about(capsys, monkeypatch, script, project):
    monkeypatch.setattr("sys.stdin", NotAsked())
    code, _, err = run_cli(capsys, "run", str(script('return await agent("x")')),
                           "--backend", "simulate", "--model", "gpt-4.1",
                           "--confirm-over", "0")
    assert code == 0, err


def test_a_dry_run_says_the_real_run_would_stop_on_an_undefined_alias(
        capsys: pytest.CaptureFixture[str], script: Callable[..., Path],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no aliases configured
    path = script(PHASED, meta=META)
    code, out, err = run_cli(capsys, "run", str(path), "--dry-run", "--backend", "openai",
                             "--model", "gpt-4.1")
    assert code == 2
    assert "the real run would stop: model 'fast' is an alias nobody defined" in err
    code, out, _ = run_cli(capsys, "run", str(path), "--dry-run", "--backend", "openai",
                           "--json")
    problems = json.loads(out)["dry_run"]["problems"]
    assert [p.split(" is ")[0] for p in problems] == ["model 'fast'", "model 'smart'"]
