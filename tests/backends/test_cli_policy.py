"""The claude and codex backends under the agents' tool policy.

The argv tests need no CLI. The end-to-end tests run the pinned Claude Code CLI against
the fake server, which scripts the tool calls (``Step.tool(..., tool_name="Bash")``); the
CLI's answer - the tool output, or its permission refusal - comes back as the
``tool_result`` of the next request, which the server records.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from fakeserver import FakeLLMServer, Recorded, Step
from npmcli import npm_bin

from flowdsl._config import Config
from flowdsl._types import AgentRequest
from flowdsl.backends import _claude, _codex
from flowdsl.errors import AgentTypeError

MCP_DEMO = Path(__file__).with_name("mcp_test_server.py")


def define(workspace: Path, name: str, front: str, body: str = "") -> None:
    folder = workspace / ".flowdsl" / "agents"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(f"---\n{front}\n---\n{body}\n", encoding="utf-8")


def offline_claude(workspace: Path, config: Config | None = None) -> _claude.ClaudeBackend:
    return _claude.ClaudeBackend(command="/nonexistent/claude", model="claude-haiku-4-5",
                                 base_url=None, api_key=None, config=config or Config(),
                                 cwd=workspace)


def offline_codex(workspace: Path, config: Config | None = None) -> _codex.CodexBackend:
    return _codex.CodexBackend(command="/nonexistent/codex", model="gpt-4.1", base_url=None,
                               api_key=None, config=config or Config(), cwd=workspace)


def claude_argv(backend: _claude.ClaudeBackend, request: AgentRequest, home: Path) -> list[str]:
    return backend.argv(request, backend.setup(request), home)


def after(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


# -- argv (no CLI) --------------------------------------------------------------------------
@pytest.mark.anyio
@pytest.mark.parametrize("make", [offline_claude, offline_codex])
async def test_unknown_agent_type_raises_before_spawning(make: Any, tmp_path: Path) -> None:
    # the command does not exist: spawning would have failed with a BackendError instead
    with pytest.raises(AgentTypeError, match="no-such-type"):
        await make(tmp_path).run(AgentRequest(prompt="p", agent_type="no-such-type"))


def test_claude_default_agent_may_run_the_configured_commands(tmp_path: Path) -> None:
    backend = offline_claude(tmp_path, Config(bash_allow=("pytest",)))
    argv = claude_argv(backend, AgentRequest(prompt="p"), tmp_path)
    assert after(argv, "--tools") == "Read,LS,Glob,Grep,Bash"
    assert "Bash(pytest:*)" in argv
    assert after(argv, "--permission-mode") == "dontAsk"
    assert "--agent" not in argv


def test_claude_agent_type_is_passed_as_its_definition(tmp_path: Path) -> None:
    define(tmp_path, "fixer", "description: Fixes\ntools: Read, Edit\nmodel: claude-sonnet-4-5",
           "You FIX things.")
    argv = claude_argv(offline_claude(tmp_path), AgentRequest(prompt="p", agent_type="fixer"),
                       tmp_path)
    assert after(argv, "--agent") == "fixer"
    assert after(argv, "--model") == "claude-sonnet-4-5"  # the type's model
    agents = json.loads(Path(after(argv, "--agents")).read_text())
    assert agents == {"fixer": {"description": "Fixes", "prompt": "You FIX things.",
                                "tools": ["Read", "Edit", "MultiEdit"]}}


def test_claude_builtin_type_reaches_the_cli(tmp_path: Path) -> None:
    argv = claude_argv(offline_claude(tmp_path), AgentRequest(prompt="p", agent_type="Explore"),
                       tmp_path)
    explore = json.loads(Path(after(argv, "--agents")).read_text())["Explore"]
    assert explore["prompt"].startswith("You explore a codebase read-only")  # flowdsl's text
    assert explore["tools"] == ["Read", "LS", "Glob", "Grep"]


def test_claude_cli_args_add_to_the_policy_before_the_prompt(tmp_path: Path) -> None:
    config = Config(cli_args=MappingProxyType({"claude": ("--fallback-model", "x")}))
    argv = claude_argv(offline_claude(tmp_path, config), AgentRequest(prompt="-p starts"),
                       tmp_path)
    assert argv[-4:] == ["--fallback-model", "x", "--", argv[-1]]
    assert argv[-1].endswith("\n\n-p starts")
    assert after(argv, "--permission-mode") == "dontAsk"


@pytest.mark.parametrize(("front", "sandbox"), [
    ("tools: Read, Grep", "read-only"),
    ("tools: Read, Edit", "workspace-write"),
    ("tools: Read, Bash(pytest:*)", "workspace-write"),
])
def test_codex_sandbox_follows_the_grant(tmp_path: Path, front: str, sandbox: str) -> None:
    define(tmp_path, "t", front)
    backend = offline_codex(tmp_path)
    request = AgentRequest(prompt="p", agent_type="t")
    argv = backend.argv(request, backend.setup(request), tmp_path)
    assert after(argv, "--sandbox") == sandbox


def test_codex_default_agent_is_read_only(tmp_path: Path) -> None:
    backend = offline_codex(tmp_path)
    request = AgentRequest(prompt="p")
    assert after(backend.argv(request, backend.setup(request), tmp_path), "--sandbox") \
        == "read-only"


@pytest.mark.parametrize("user_args", [
    ("--sandbox", "danger-full-access"),
    ("-s", "workspace-write"),
    ("-c", "sandbox_mode=\"workspace-write\""),
    ("--dangerously-bypass-approvals-and-sandbox",),
])
def test_codex_cli_args_choosing_a_sandbox_override_the_grant(
        tmp_path: Path, user_args: tuple[str, ...]) -> None:
    backend = offline_codex(tmp_path, Config(cli_args=MappingProxyType({"codex": user_args})))
    request = AgentRequest(prompt="p")
    argv = backend.argv(request, backend.setup(request), tmp_path)
    assert argv.count("--sandbox") + argv.count("-s") <= 1
    assert argv[-2 - len(user_args):-2] == list(user_args)


def test_codex_prompt_starts_with_the_agent_types_prompt(tmp_path: Path) -> None:
    define(tmp_path, "critic", "description: c", "You are a HARSH CRITIC.")
    backend = offline_codex(tmp_path)
    request = AgentRequest(prompt="review this", agent_type="critic", label="L")
    prompt = backend.argv(request, backend.setup(request), tmp_path)[-1]
    assert "'L'" in prompt
    assert prompt.index("HARSH CRITIC") < prompt.index("review this")


# -- the real Claude Code CLI ---------------------------------------------------------------
def claude(server: FakeLLMServer, cwd: Path, config: Config | None = None) -> _claude.ClaudeBackend:
    return _claude.create_backend(command=npm_bin("claude"), base_url=server.url,
                                  api_key="sk-fake", model="claude-haiku-4-5",
                                  config=config or Config(timeout=60), cwd=cwd)


def call_then_done(tool: str, arguments: dict[str, Any]) -> Any:
    """A responder: the scripted tool call first, then a final reply once a result is back."""

    def respond(rec: Recorded) -> Step:
        if tool_result(rec) is not None:
            return Step.reply("done")
        return Step.tool(arguments, tool_name=tool)

    return respond


def tool_result(rec: Recorded) -> dict[str, Any] | None:
    last = rec.body["messages"][-1]["content"]
    if not isinstance(last, list):
        return None
    return next((c for c in last if c.get("type") == "tool_result"), None)


def result_text(server: FakeLLMServer) -> tuple[str, bool]:
    """The last tool result the CLI sent back: its text, and whether it is an error."""
    found = tool_result(server.calls("messages")[-1])
    assert found is not None, "the CLI sent no tool result"
    content = found["content"]
    text = content if isinstance(content, str) else json.dumps(content)
    return text, bool(found.get("is_error"))


def offered(server: FakeLLMServer) -> set[str]:
    return {t["name"] for t in server.calls("messages")[0].body.get("tools", [])}


@pytest.mark.anyio
async def test_claude_runs_an_allowed_command(server: FakeLLMServer, tmp_path: Path) -> None:
    define(tmp_path, "runner", "description: Runs python\ntools: Read, Bash(python3:*)")
    server.responder = call_then_done("Bash", {"command": "python3 -c 'print(6 * 7)'",
                                               "description": "compute"})
    await claude(server, tmp_path).run(AgentRequest(prompt="run it", agent_type="runner"))
    text, is_error = result_text(server)
    assert "42" in text
    assert not is_error


@pytest.mark.anyio
async def test_claude_refuses_a_command_outside_the_grant(server: FakeLLMServer,
                                                          tmp_path: Path) -> None:
    define(tmp_path, "runner", "description: Runs python\ntools: Read, Bash(python3:*)")
    (tmp_path / "x").write_text("keep")
    server.responder = call_then_done("Bash", {"command": "rm -rf x", "description": "clean"})
    await claude(server, tmp_path).run(AgentRequest(prompt="clean", agent_type="runner"))
    text, _ = result_text(server)
    assert "Permission to use Bash has been denied" in text
    assert (tmp_path / "x").read_text() == "keep"


@pytest.mark.anyio
async def test_claude_refuses_an_allowed_prefix_chained_to_another_command(
        server: FakeLLMServer, tmp_path: Path) -> None:
    define(tmp_path, "runner", "description: Runs python\ntools: Bash(python3:*)")
    (tmp_path / "x").write_text("keep")
    server.responder = call_then_done("Bash", {"command": "python3 -V && rm -rf x",
                                               "description": "sneak"})
    await claude(server, tmp_path).run(AgentRequest(prompt="p", agent_type="runner"))
    assert "denied" in result_text(server)[0]
    assert (tmp_path / "x").exists()


@pytest.mark.anyio
async def test_claude_default_agent_runs_the_configured_commands(server: FakeLLMServer,
                                                                 tmp_path: Path) -> None:
    config = Config(timeout=60, bash_allow=("python3",))
    server.responder = call_then_done("Bash", {"command": "python3 -c 'print(6 * 7)'",
                                               "description": "test"})
    await claude(server, tmp_path, config).run(AgentRequest(prompt="test it"))
    assert "42" in result_text(server)[0]


@pytest.mark.anyio
async def test_claude_default_agent_cannot_write(server: FakeLLMServer, tmp_path: Path) -> None:
    server.responder = call_then_done("Write", {"file_path": str(tmp_path / "new.txt"),
                                                "content": "x"})
    await claude(server, tmp_path).run(AgentRequest(prompt="p"))
    assert offered(server) == {"Read", "Glob", "Grep"}
    assert result_text(server)[1]
    assert not (tmp_path / "new.txt").exists()


@pytest.mark.anyio
async def test_claude_edit_type_cannot_write_outside_the_workspace(server: FakeLLMServer,
                                                                   tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    define(workspace, "writer", "description: Writes\ntools: Read, Write")
    server.responder = call_then_done("Write", {"file_path": str(tmp_path / "outside.txt"),
                                                "content": "x"})
    await claude(server, workspace).run(AgentRequest(prompt="p", agent_type="writer"))
    assert "denied" in result_text(server)[0]
    assert not (tmp_path / "outside.txt").exists()


@pytest.mark.anyio
async def test_claude_nested_agents_are_never_offered(server: FakeLLMServer,
                                                      tmp_path: Path) -> None:
    define(tmp_path, "boss", "description: Delegates\ntools: Read, Bash(*), Task, Agent, Workflow")
    await claude(server, tmp_path).run(AgentRequest(prompt="p", agent_type="boss"))
    assert offered(server) == {"Read", "Bash"}


@pytest.mark.anyio
async def test_claude_flowdsl_agent_type_drives_the_prompt(server: FakeLLMServer,
                                                           tmp_path: Path) -> None:
    define(tmp_path, "critic", "description: A critic\ntools: Read", "You are a HARSH CRITIC.")
    await claude(server, tmp_path).run(AgentRequest(prompt="review", agent_type="critic"))
    assert "HARSH CRITIC" in json.dumps(server.calls("messages")[-1].body.get("system"))
    assert offered(server) == {"Read"}


@pytest.mark.anyio
async def test_claude_schema_agent_of_a_type_keeps_structured_output(server: FakeLLMServer,
                                                                     tmp_path: Path) -> None:
    define(tmp_path, "judge", "description: Judges\ntools: Read")
    server.responder = call_then_done("StructuredOutput", {"ok": True})
    schema: dict[str, Any] = {"type": "object", "properties": {"ok": {"type": "boolean"}},
                              "required": ["ok"]}
    result = await claude(server, tmp_path).run(
        AgentRequest(prompt="judge", agent_type="judge", schema=schema))
    assert result.output == {"ok": True}


def mcp_workspace(tmp_path: Path) -> Path:
    define(tmp_path, "asker", "description: Asks\ntools: Read, mcp__demo__get_*")
    servers = {"demo": {"command": sys.executable, "args": [str(MCP_DEMO)]}}
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    return tmp_path


@pytest.mark.anyio
async def test_claude_runs_a_granted_mcp_tool(server: FakeLLMServer, tmp_path: Path) -> None:
    server.responder = call_then_done("mcp__demo__get_answer", {})
    await claude(server, mcp_workspace(tmp_path)).run(
        AgentRequest(prompt="ask", agent_type="asker"))
    assert "forty-two" in result_text(server)[0]


@pytest.mark.anyio
async def test_claude_refuses_an_mcp_tool_outside_the_pattern(server: FakeLLMServer,
                                                              tmp_path: Path) -> None:
    server.responder = call_then_done("mcp__demo__delete_all", {})
    await claude(server, mcp_workspace(tmp_path)).run(
        AgentRequest(prompt="ask", agent_type="asker"))
    text, _ = result_text(server)
    assert "denied" in text
    assert "deleted everything" not in text
