"""MCP tools for API agents: a stdio server from ``.mcp.json``, started by the run, its
tool called by the model through the loop, stopped after the run."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from fakeserver import FakeLLMServer, Step
from loopcase import tool_results
from processes import wait_gone

import flowdsl
from flowdsl._config import Config
from flowdsl._types import AgentRequest, ToolCall
from flowdsl.backends._openai import create_backend
from flowdsl.errors import BackendConfigError

SERVER = Path(__file__).with_name("mcp_test_server.py")
CALLER = "---\ntools: mcp__shout__shout\n---\nYou call tools.\n"


def project(tmp_path: Path, servers: dict[str, Any] | None = None) -> Path:
    root = tmp_path / "project"
    (root / ".claude" / "agents").mkdir(parents=True)
    (root / ".claude" / "agents" / "caller.md").write_text(CALLER)
    if servers is None:
        servers = {"shout": {"command": sys.executable,
                             "args": [str(SERVER), str(tmp_path / "starts")]}}
    (root / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    return root


def starts(tmp_path: Path) -> list[int]:
    path = tmp_path / "starts"
    return [int(line) for line in path.read_text().split()] if path.exists() else []




def run(server: FakeLLMServer, script: Callable[..., Path], root: Path, body: str,
        config: Config | None = None) -> flowdsl.RunResult:
    backend = create_backend(base_url=server.url, model="m", cwd=root,
                             config=config or Config(backoff=0.001))
    return flowdsl.run(script(body), backend=backend, cwd=str(root))


def test_the_run_starts_the_server_the_model_calls_its_tool_and_the_server_stops(
        server: FakeLLMServer, script: Callable[..., Path], tmp_path: Path) -> None:
    root = project(tmp_path)
    server.script(Step.use(("mcp__shout__shout", {"text": "hi"})), Step.reply("done"))
    result = run(server, script, root, 'return await agent("shout hi", agent_type="caller")\n')
    assert result.value == "done", result.agents
    first, second = (r.body for r in server.calls())
    assert [t["function"]["name"] for t in first["tools"]] == ["mcp__shout__shout"]
    assert tool_results(second) == [("HI!", False)]
    (record,) = result.agents
    assert record.tool_calls == (ToolCall(name="mcp__shout__shout", arguments={"text": "hi"},
                                          result_chars=3),)
    (pid,) = starts(tmp_path)
    assert wait_gone(pid)


def test_one_server_serves_every_agent_of_the_run(
        server: FakeLLMServer, script: Callable[..., Path], tmp_path: Path) -> None:
    root = project(tmp_path)
    server.script(Step.use(("mcp__shout__shout", {"text": "a"})), Step.reply("one"),
                  Step.use(("mcp__shout__shout", {"text": "b"})), Step.reply("two"))
    result = run(server, script, root, 'return [await agent("x", agent_type="caller"), '
                                       'await agent("y", agent_type="caller")]\n')
    assert result.value == ["one", "two"]
    assert len(starts(tmp_path)) == 1


def test_a_tool_error_goes_back_to_the_model_and_the_agent_goes_on(
        server: FakeLLMServer, script: Callable[..., Path], tmp_path: Path) -> None:
    root = project(tmp_path)
    server.script(Step.use(("mcp__shout__shout", {"text": "boom"})), Step.reply("sorry"))
    result = run(server, script, root, 'return await agent("x", agent_type="caller")\n')
    assert result.value == "sorry"
    ((text, is_error),) = tool_results(server.calls()[1].body)
    assert is_error
    assert "cannot shout boom" in text
    assert "cannot shout boom" in (result.agents[0].tool_calls[0].error or "")


def test_a_server_that_cannot_start_fails_its_agents_with_one_line_naming_it(
        server: FakeLLMServer, script: Callable[..., Path], tmp_path: Path) -> None:
    root = project(tmp_path, {"shout": {"command": str(tmp_path / "no-such-server")}})
    result = run(server, script, root, 'return await agent("x", agent_type="caller")\n')
    error = result.agents[0].error or ""
    assert "MCP server 'shout'" in error
    assert "could not start" in error
    assert "\n" not in error
    assert server.calls() == []


def test_a_configured_server_wins_over_mcp_json(
        server: FakeLLMServer, script: Callable[..., Path], tmp_path: Path) -> None:
    root = project(tmp_path, {"shout": {"command": str(tmp_path / "no-such-server")}})
    config = Config(backoff=0.001, mcp_servers=MappingProxyType({"shout": MappingProxyType({
        "command": sys.executable, "args": [str(SERVER), str(tmp_path / "starts")]})}))
    server.script(Step.use(("mcp__shout__shout", {"text": "hi"})), Step.reply("done"))
    result = run(server, script, root, 'return await agent("x", agent_type="caller")\n', config)
    assert result.value == "done"


@pytest.mark.anyio
async def test_a_grant_naming_an_unconfigured_server_is_a_config_error(
        server: FakeLLMServer, tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / ".claude" / "agents" / "lost.md").write_text("---\ntools: mcp__jira__*\n---\nx")
    async with create_backend(base_url=server.url, model="m", cwd=root) as backend:
        with pytest.raises(BackendConfigError, match=r"MCP server.*jira"):
            await backend.run(AgentRequest(prompt="p", agent_type="lost"))
    assert starts(tmp_path) == []


@pytest.mark.anyio
async def test_a_backend_used_outside_a_run_stops_its_servers_when_closed(
        server: FakeLLMServer, tmp_path: Path) -> None:
    root = project(tmp_path)
    server.script(Step.use(("mcp__shout__shout", {"text": "hi"})), Step.reply("done"))
    async with create_backend(base_url=server.url, model="m", cwd=root) as backend:
        result = await backend.run(AgentRequest(prompt="p", agent_type="caller"))
        assert result.output == "done"
        (pid,) = starts(tmp_path)
        assert not wait_gone(pid, timeout=0.2)
    assert wait_gone(pid)
