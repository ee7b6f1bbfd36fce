"""The dry-run projection (:mod:`flowdsl._cli._dry_run`) and the question of
``--confirm-over`` (:mod:`flowdsl._cli._confirm`), without running a workflow."""

from __future__ import annotations

import io
from pathlib import Path
from types import MappingProxyType

import pytest

from flowdsl._cli._confirm import confirm_cost, format_usd
from flowdsl._cli._dry_run import DryRunProjection, format_projection, project
from flowdsl._config import Config, Price
from flowdsl._options import RunOptions
from flowdsl._types import AgentRecord, AgentRequest, AgentStatus, RunResult, Usage

PRICES = MappingProxyType({"cheap-1": Price(1.0, 2.0), "dear-1": Price(10.0, 20.0)})
CONFIG = Config(aliases=MappingProxyType({"fast": "cheap-1"}), prices=PRICES)


def record(model: str | None = None, *, agent_type: str | None = None,
           status: AgentStatus = "ok", tokens: tuple[int, int] = (1000, 500)) -> AgentRecord:
    return AgentRecord(request=AgentRequest(prompt="p", model=model, agent_type=agent_type),
                       status=status,
                       usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1],
                                   estimated=True))


def projected(*records: AgentRecord, backend: str | None = "openai", model: str | None = None,
              cwd: Path | None = None) -> DryRunProjection:
    options = RunOptions(backend=backend, model=model, config=CONFIG,
                         cwd=str(cwd) if cwd else None)
    return project(RunResult(status="completed", agents=records), options)


def models(projection: DryRunProjection) -> dict[str | None, int]:
    return {m.model: m.agents for m in projection.by_model}


def test_the_calls_model_is_priced_after_its_alias() -> None:
    p = projected(record("fast"))
    assert models(p) == {"cheap-1": 1}
    assert p.cost_usd == pytest.approx((1000 * 1.0 + 500 * 2.0) / 1e6)


def test_without_a_model_the_backends_default_is_used() -> None:
    assert models(projected(record(), model="fast")) == {"cheap-1": 1}


def test_an_agent_types_model_is_used_when_the_call_names_none(tmp_path: Path) -> None:
    agents = tmp_path / ".flowdsl" / "agents"
    agents.mkdir(parents=True)
    (agents / "judge.md").write_text("---\nmodel: dear-1\n---\nJudge.\n", encoding="utf-8")
    p = projected(record(agent_type="judge"), record("fast", agent_type="judge"),
                  model="fast", cwd=tmp_path)
    assert models(p) == {"dear-1": 1, "cheap-1": 1}


def test_agent_types_are_ignored_by_a_custom_backend(tmp_path: Path) -> None:
    agents = tmp_path / ".flowdsl" / "agents"
    agents.mkdir(parents=True)
    (agents / "judge.md").write_text("---\nmodel: dear-1\n---\nJudge.\n", encoding="utf-8")
    p = projected(record(agent_type="judge"), backend="mod:make", model="fast", cwd=tmp_path)
    assert models(p) == {"cheap-1": 1}


def test_an_unknown_agent_type_falls_back_to_the_default(tmp_path: Path) -> None:
    p = projected(record(agent_type="nobody"), model="fast", cwd=tmp_path)
    assert models(p) == {"cheap-1": 1}


def test_refused_agents_are_not_counted() -> None:
    p = projected(record("fast"), record("fast", status="refused", tokens=(0, 0)))
    assert p.agents == 1


def test_models_are_listed_most_expensive_first_unpriced_last() -> None:
    p = projected(record("cheap-1"), record("mystery-9"), record("dear-1"))
    assert [m.model for m in p.by_model] == ["dear-1", "cheap-1", "mystery-9"]


def test_a_partly_priced_projection_keeps_the_known_part() -> None:
    p = projected(record("cheap-1"), record("mystery-9"))
    assert p.cost_usd == pytest.approx(0.002)
    assert p.cost_complete is False
    assert p.unpriced_tokens == 1500


def test_nothing_priced_is_none_not_zero() -> None:
    p = projected(record("mystery-9"))
    assert p.cost_usd is None
    assert p.to_json()["cost_usd"] is None


def test_no_agents_cost_nothing() -> None:
    p = projected()
    assert (p.agents, p.cost_usd, p.cost_complete) == (0, 0.0, True)


def test_no_model_anywhere_is_the_backends_own_default() -> None:
    p = projected(record(), backend="claude")
    assert p.by_model[0].model is None
    assert "  (the claude backend's default): 1 agent, 1,000 in / 500 out, unknown (no price)" \
        in format_projection(p)


def test_with_no_backend_configured_the_block_says_so() -> None:
    header = format_projection(projected(record("cheap-1"), backend=None)).splitlines()[0]
    assert header.startswith("dry run: 1 agent would run once a backend is configured")


def test_model_names_are_made_safe_for_the_terminal() -> None:
    text = format_projection(projected(record("evil\x1b[2J-1")))
    assert "\x1b" not in text


@pytest.mark.parametrize(("amount", "shown"),
                         [(5, "$5.00"), (0.5, "$0.50"), (0.0025, "$0.0025"), (1234, "$1,234.00")])
def test_format_usd(amount: float, shown: str) -> None:
    assert format_usd(amount) == shown


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_an_unfinished_dry_run_cannot_be_confirmed_quietly() -> None:
    stderr = io.StringIO()
    refusal = confirm_cost(projected(record("cheap-1")), 100, finished=False,
                           stdin=Tty("n\n"), stderr=stderr)
    assert refusal is not None
    assert "the dry run did not finish" in refusal
    assert "later agents are not counted" in stderr.getvalue()


def test_an_unfinished_dry_run_can_be_accepted() -> None:
    assert confirm_cost(projected(record("cheap-1")), 100, finished=False,
                        stdin=Tty("Y\n"), stderr=io.StringIO()) is None


def test_exactly_at_the_threshold_runs() -> None:
    p = projected(record("cheap-1"))
    assert confirm_cost(p, 0.002, stdin=io.StringIO(), stderr=io.StringIO()) is None
