"""Tool-using agents as the run sees them: usage per turn, tool calls, types, max_turns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

import flowdsl
from flowdsl import AgentRequest, AgentResult, Usage
from flowdsl._store import Store
from flowdsl.testing import FunctionBackend, TurnsBackend

TURN = Usage(input_tokens=100, output_tokens=20)  # 120 tokens a turn


def test_an_agent_stops_within_one_turn_of_the_budget(script: Callable[..., Path]) -> None:
    backend = TurnsBackend(turns=10, per_turn=TURN)
    result = flowdsl.run(script('return await agent("long task")'), backend=backend,
                         budget=300, isolation="inline")
    (record,) = result.agents
    assert record.status == "failed"
    assert "budget was reached after 3 model turn(s)" in (record.error or "")
    assert record.usage.total_tokens == 360  # 300 + less than one turn
    assert result.usage.total_tokens == 360


def test_running_agents_see_each_others_turns(script: Callable[..., Path]) -> None:
    backend = TurnsBackend(turns=5, per_turn=TURN, delay=0.01)
    result = flowdsl.run(script('return await parallel([lambda: agent("a"), '
                                'lambda: agent("b")])'),
                         backend=backend, budget=500, isolation="inline")
    # alone, each agent's own 600 tokens would pass; together they stop near 500
    assert all(a.status == "failed" for a in result.agents)
    assert result.usage.total_tokens <= 500 + 2 * TURN.total_tokens
    assert backend.turns_taken < 10


@pytest.mark.parametrize("isolation", ["inline", "process"])
def test_budget_spent_counts_the_turns_of_running_agents(script: Callable[..., Path],
                                                         isolation: str) -> None:
    async def route(request: AgentRequest) -> AgentResult:
        if request.label == "long":
            assert request.budget_gate is not None
            request.budget_gate(Usage(input_tokens=250, output_tokens=50))  # turn 1
            await anyio.sleep(1.0)  # turn 2 is slow; the probe looks meanwhile
            return AgentResult(output="long", usage=Usage(input_tokens=500, output_tokens=100))
        await anyio.sleep(0.2)
        return AgentResult(output="tick")

    path = script('''
        async def probe():
            await agent("tick", label="tick")
            return budget.spent()
        return await parallel([lambda: agent("long", label="long"), probe])
    ''')
    result = flowdsl.run(path, backend=FunctionBackend(route), budget=10_000,
                         isolation=isolation)
    assert result.value == ["long", 300]
    assert result.usage.total_tokens == 600


def test_tool_calls_land_in_the_record_and_the_journal(script: Callable[..., Path],
                                                       tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = flowdsl.run(script('return await agent("read things")'),
                         backend=TurnsBackend(turns=3, per_turn=TURN), journal=True,
                         store=str(store), isolation="inline")
    (record,) = result.agents
    assert [c.arguments for c in record.tool_calls] == [{"path": "file1.txt"},
                                                         {"path": "file2.txt"}]
    with Store.open(store) as opened:
        (entry,) = opened.journal(str(result.run_id))
    assert entry.record.tool_calls == record.tool_calls


def test_a_failed_agent_keeps_the_tool_calls_it_made(script: Callable[..., Path]) -> None:
    result = flowdsl.run(script('return await agent("x", max_turns=2)'),
                         backend=TurnsBackend(turns=5, per_turn=TURN), isolation="inline")
    (record,) = result.agents
    assert record.status == "failed"
    assert "max_turns=2" in (record.error or "")
    assert len(record.tool_calls) == 2
    assert record.usage.total_tokens == 2 * TURN.total_tokens


@pytest.mark.parametrize("isolation", ["inline", "process"])
def test_max_turns_reaches_the_backend(script: Callable[..., Path], isolation: str) -> None:
    backend = FunctionBackend(lambda r: str(r.max_turns))
    result = flowdsl.run(script('return await agent("x", max_turns=7)'), backend=backend,
                         isolation=isolation)
    assert result.value == "7"


@pytest.mark.parametrize("value", ["0", "-1", "2.5", "True", '"3"'])
def test_max_turns_must_be_a_whole_number(script: Callable[..., Path], value: str) -> None:
    result = flowdsl.run(script(f'return await agent("x", max_turns={value})'),
                         backend=FunctionBackend(lambda r: "x"), isolation="inline")
    assert result.status == "failed"
    assert "max_turns must be a whole number >= 1" in (result.error or "")


def test_js_max_turns_option(tmp_path: Path) -> None:
    path = tmp_path / "t.js"
    path.write_text("export const meta = {name: 't', description: 'd'};\n"
                    "return await agent('x', {maxTurns: 4});\n", encoding="utf-8")
    result = flowdsl.run(path, backend=FunctionBackend(lambda r: str(r.max_turns)),
                         isolation="inline")
    assert result.value == "4"


def test_an_unknown_agent_type_fails_before_dispatch(script: Callable[..., Path],
                                                     tmp_path: Path) -> None:
    backend = FunctionBackend(lambda r: "x")
    result = flowdsl.run(script('return await agent("x", agent_type="nope")'),
                         backend=backend, cwd=str(tmp_path))
    assert result.status == "failed"
    assert "AgentTypeError" in (result.error or "")
    assert "nope" in (result.error or "")
    assert backend.requests == []
    assert result.agents == ()


def test_a_known_agent_type_runs(script: Callable[..., Path], tmp_path: Path) -> None:
    agents = tmp_path / ".flowdsl" / "agents"
    agents.mkdir(parents=True)
    (agents / "critic.md").write_text("---\ntools: Read\n---\nBe harsh.\n", encoding="utf-8")
    result = flowdsl.run(script('return await agent("x", agent_type="critic")'),
                         backend=FunctionBackend(lambda r: r.agent_type), cwd=str(tmp_path))
    assert result.value == "critic"


def test_an_agent_type_with_an_unknown_tool_fails_before_dispatch(
        script: Callable[..., Path], tmp_path: Path) -> None:
    agents = tmp_path / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "bad.md").write_text("---\ntools: Reed\n---\nx\n", encoding="utf-8")
    backend = FunctionBackend(lambda r: "x")
    result = flowdsl.run(script('return await agent("x", agent_type="bad")'),
                         backend=backend, cwd=str(tmp_path), isolation="inline")
    assert "unknown tool 'Reed'" in (result.error or "")
    assert backend.requests == []


class ContextBackend:
    """A backend with a lifetime: entered when the run starts, left when it ends."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.events: list[str] = []

    async def __aenter__(self) -> ContextBackend:
        if self.fail:
            raise RuntimeError("MCP server 'docs' did not start")
        self.events.append("enter")
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.events.append("exit")

    async def run(self, request: AgentRequest) -> AgentResult:
        self.events.append("agent")
        return AgentResult(output="x")


def test_a_backend_with_a_lifetime_is_entered_for_the_run(script: Callable[..., Path]) -> None:
    backend = ContextBackend()
    result = flowdsl.run(script('return await agent("x")'), backend=backend)
    assert result.status == "completed"
    assert backend.events == ["enter", "agent", "exit"]


def test_a_backend_that_cannot_start_fails_the_run(script: Callable[..., Path]) -> None:
    result = flowdsl.run(script('return await agent("x")'), backend=ContextBackend(fail=True))
    assert result.status == "failed"
    assert result.error == ("the backend could not start: RuntimeError: MCP server 'docs' "
                            "did not start")
