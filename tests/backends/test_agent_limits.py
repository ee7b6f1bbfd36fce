"""A tool-using API agent's limits under the real runtime: budget per turn, turns, timeout.

The openai backend points at the fake server; the runs go through ``flowdsl.run`` (the
script in its supervised child process), so the budget gate, the agent timeout and the
backend's lifetime are the runtime's own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fakeserver import FakeLLMServer, Step
from loopcase import make_project, python_on_path
from processes import wait_gone

import flowdsl
from flowdsl._config import Config
from flowdsl.backends._openai import create_backend

TURN = (1000, 10)
"""Tokens of every scripted response: 1,010 a turn."""


def test_a_budget_stops_an_agent_mid_loop_within_one_turn(
        server: FakeLLMServer, script: Callable[..., Path], tmp_path: Path) -> None:
    server.default = Step.use(("list", {}), usage=TURN)
    result = flowdsl.run(script('return await agent("explore")\n'), backend="openai",
                         base_url=server.url, model="m", cwd=str(tmp_path), budget=2500)
    (record,) = result.agents
    assert record.status == "failed"
    assert "token budget was reached after 3 model turn(s)" in (record.error or "")
    assert len(server.calls()) == 3  # 2,020 < 2,500 <= 3,030: the third response stops it
    assert result.usage.total_tokens == sum(server.tokens) == 3030
    assert [c.name for c in record.tool_calls] == ["list", "list"]


def test_parallel_agents_share_the_budget_turn_by_turn(
        server: FakeLLMServer, script: Callable[..., Path], tmp_path: Path) -> None:
    server.default = Step.use(("list", {}), usage=TURN, latency=0.05)
    result = flowdsl.run(script('return await parallel([agent("a"), agent("b")])\n'),
                         backend="openai", base_url=server.url, model="m", cwd=str(tmp_path),
                         budget=3000)
    assert result.value == [None, None]
    assert all("token budget" in (a.error or "") for a in result.agents)
    # 3 responses cross the budget; each agent stops at its next response at the latest
    assert len(server.calls()) <= 4
    assert result.usage.total_tokens == sum(server.tokens)


def test_max_turns_of_a_call_stops_its_agent(
        server: FakeLLMServer, script: Callable[..., Path], tmp_path: Path) -> None:
    server.default = Step.use(("list", {}))
    result = flowdsl.run(script('return await agent("loop", max_turns=2)\n'),
                         backend="openai", base_url=server.url, model="m", cwd=str(tmp_path))
    (record,) = result.agents
    assert "stopped at max_turns=2 without a final answer" in (record.error or "")
    assert len(server.calls()) == 2




def test_the_agent_timeout_cancels_a_running_command(
        server: FakeLLMServer, script: Callable[..., Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    python_on_path(monkeypatch)
    project = make_project(tmp_path)
    (project / "sleeper.py").write_text(
        "import os, pathlib, time\n"
        "pathlib.Path('sleeper.pid').write_text(str(os.getpid()))\n"
        "time.sleep(120)\n")
    server.script(Step.use(("bash", {"command": "python sleeper.py"})))
    backend = create_backend(base_url=server.url, model="m", config=Config(), cwd=project)
    started = time.monotonic()
    result = flowdsl.run(script('return await agent("sleep", agent_type="fixer")\n'),
                         backend=backend, cwd=str(project), agent_timeout=3)
    elapsed = time.monotonic() - started
    (record,) = result.agents
    assert record.status == "timeout"
    assert elapsed < 60  # the command would sleep 120 s
    assert wait_gone(int((project / "sleeper.pid").read_text()))
    assert len(server.calls()) == 1
