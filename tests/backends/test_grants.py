"""Tool grants: what a tools line (or the configuration) lets an agent use."""

from __future__ import annotations

import pytest

from flowdsl._config import Config
from flowdsl.backends._agent_types import AgentType
from flowdsl.backends._grants import ToolGrant, grant_for, parse_grant
from flowdsl.errors import AgentTypeError


def grant(names: list[str] | None, *, bash_allow: tuple[str, ...] = ()) -> ToolGrant:
    return parse_grant(names, default_tools=("read", "list", "glob", "grep"),
                       bash_allow=bash_allow, where="t.md")


@pytest.mark.parametrize(("names", "bash_allow", "tools", "allow"), [
    (None, (), {"read", "list", "glob", "grep"}, ()),
    (None, ("pytest",), {"read", "list", "glob", "grep", "bash"}, ("pytest",)),
    (["Read", "LS", "Glob", "Grep"], (), {"read", "list", "glob", "grep"}, ()),
    (["Edit", "MultiEdit", "Write"], (), {"edit", "write"}, ()),
    (["read", "edit"], (), {"read", "edit"}, ()),
    (["Bash"], (), set(), ()),
    (["Bash"], ("pytest", "git diff"), {"bash"}, ("pytest", "git diff")),
    (["Bash(pytest:*)"], ("npm test",), {"bash"}, ("pytest",)),
    (["Bash(npm test *)", "Bash(git diff)"], (), {"bash"}, ("npm test", "git diff")),
    (["Bash(*)", "Bash(pytest:*)"], (), {"bash"}, ("*",)),
    (["WebSearch", "WebFetch"], (), {"web_search", "web_fetch"}, ()),
    ([], ("pytest",), set(), ()),
])
def test_tool_lines(names: list[str] | None, bash_allow: tuple[str, ...], tools: set[str],
                    allow: tuple[str, ...]) -> None:
    got = grant(names, bash_allow=bash_allow)
    assert (set(got.tools), got.bash_allow) == (tools, allow)


@pytest.mark.parametrize("name", ["Task", "Agent", "Workflow", "task"])
def test_tools_that_start_agents_are_never_granted(name: str) -> None:
    assert grant([name, "Read"]).tools == frozenset({"read"})


@pytest.mark.parametrize("name", ["TodoWrite", "NotebookEdit", "BashOutput", "ExitPlanMode"])
def test_claude_code_tools_without_a_counterpart_are_ignored(name: str) -> None:
    assert grant([name]).tools == frozenset()


@pytest.mark.parametrize(("name", "message"), [
    ("Reed", "unknown tool 'Reed'"),
    ("Bash(*pytest)", r"is not a command prefix"),
    ("mcp__", "is not an MCP tool pattern"),
])
def test_bad_names_are_one_clear_error(name: str, message: str) -> None:
    with pytest.raises(AgentTypeError, match=message):
        grant([name])


@pytest.mark.parametrize(("pattern", "server", "tool", "allowed"), [
    ("mcp__github", "github", "create_issue", True),
    ("mcp__github__*", "github", "create_issue", True),
    ("mcp__github__get_*", "github", "create_issue", False),
    ("mcp__github__create_issue", "github", "create_issue", True),
    ("mcp__github__*", "gitlab", "create_issue", False),
])
def test_mcp_patterns(pattern: str, server: str, tool: str, allowed: bool) -> None:
    got = grant([pattern])
    assert got.allows_mcp(server, tool) is allowed
    assert got.mcp_servers == {pattern.split("__")[1]}


def test_workspace_tools_come_in_a_stable_order() -> None:
    assert grant(["Bash(x:*)", "Write", "Read", "Grep"]).workspace_tools == (
        "read", "grep", "write", "bash")


def test_a_type_without_tools_gets_the_configured_defaults() -> None:
    config = Config(tools=("read", "edit"), bash_allow=("pytest",))
    got = grant_for(AgentType(name="t", prompt=""), config)
    assert set(got.tools) == {"read", "edit", "bash"}


def test_a_type_with_tools_is_exact() -> None:
    config = Config(tools=("read", "edit"), bash_allow=("pytest",))
    got = grant_for(AgentType(name="t", prompt="", tools=("Grep",)), config)
    assert got.tools == frozenset({"grep"})


def test_a_bad_configured_tool_names_the_config_file(tmp_path: object) -> None:
    config = Config(tools=("nope",))
    with pytest.raises(AgentTypeError, match="unknown tool 'nope'"):
        grant_for(None, config)
