"""The Claude Code flags derived from each tool grant (no CLI needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowdsl._config import Config
from flowdsl.backends._agent_types import AgentType
from flowdsl.backends._claude_flags import (
    NEVER,
    agent_definition,
    allow_rules,
    builtin_tools,
    policy_args,
)
from flowdsl.backends._grants import ToolGrant, grant_for


def grant(tools: str | None, config: Config | None = None) -> ToolGrant:
    """The grant of a type whose ``tools`` line is ``tools`` (None: a default agent)."""
    listed = None if tools is None else tuple(t.strip() for t in tools.split(",") if t.strip())
    agent_type = AgentType(name="t", prompt="", tools=listed, source="t.md")
    return grant_for(agent_type, config or Config())


GRANTS = [
    # (the type's tools line, config, --tools, --allowedTools)
    (None, Config(), "Read,LS,Glob,Grep", ("Read(./**)",)),
    (None, Config(bash_allow=("pytest", "git diff")), "Read,LS,Glob,Grep,Bash",
     ("Read(./**)", "Bash(pytest:*)", "Bash(git diff:*)")),
    (None, Config(tools=("read", "edit")), "Read,Edit,MultiEdit", ("Read(./**)", "Edit(./**)")),
    ("Read, Grep", Config(bash_allow=("pytest",)), "Read,Grep", ("Read(./**)",)),
    ("Read, Edit, Write", Config(), "Read,Edit,MultiEdit,Write", ("Read(./**)", "Edit(./**)")),
    ("Write", Config(), "Write", ("Edit(./**)",)),
    ("Read, Bash(pytest:*)", Config(), "Read,Bash", ("Read(./**)", "Bash(pytest:*)")),
    ("Bash", Config(bash_allow=("make test",)), "Bash", ("Bash(make test:*)",)),
    ("Bash", Config(), "", ()),  # a plain Bash with no configured commands grants nothing
    ("Bash(*)", Config(), "Bash", ("Bash",)),
    ("WebSearch, WebFetch", Config(), "WebSearch,WebFetch", ("WebSearch", "WebFetch")),
    ("Read, mcp__github__get_*", Config(), "Read", ("Read(./**)", "mcp__github__get_*")),
    ("mcp__docs", Config(), "", ("mcp__docs__*",)),
    ("Task, Agent, Workflow, Read", Config(), "Read", ("Read(./**)",)),
    ("", Config(), "", ()),
]


@pytest.mark.parametrize(("tools", "config", "offered", "rules"), GRANTS)
def test_grant_becomes_tools_and_allow_rules(tools: str | None, config: Config, offered: str,
                                             rules: tuple[str, ...]) -> None:
    got = grant(tools, config)
    assert ",".join(builtin_tools(got)) == offered
    assert allow_rules(got) == rules


def test_nesting_tools_are_always_disallowed() -> None:
    args = policy_args(grant("Bash(*), Task, Agent, Workflow"), max_turns=5)
    denied = args[args.index("--disallowedTools") + 1:args.index("--strict-mcp-config")]
    assert {"Task", "Agent", "Workflow"} <= set(denied)
    assert tuple(denied) == NEVER


def test_nothing_unapproved_runs_and_no_settings_file_widens_it() -> None:
    args = policy_args(grant(None), max_turns=5)
    assert args[args.index("--permission-mode") + 1] == "dontAsk"
    assert args[args.index("--setting-sources") + 1] == ""


def test_max_turns_and_strict_mcp_config_are_always_passed() -> None:
    args = policy_args(grant(None), max_turns=7)
    assert args[args.index("--max-turns") + 1] == "7"
    assert "--strict-mcp-config" in args
    assert "--mcp-config" not in args


def test_empty_grant_offers_no_tools_and_approves_nothing() -> None:
    args = policy_args(grant(""), max_turns=5)
    assert args[args.index("--tools") + 1] == ""
    assert "--allowedTools" not in args


def test_mcp_file_and_agent_file_are_named(tmp_path: Path) -> None:
    args = policy_args(grant("mcp__docs__*"), max_turns=5, mcp_file=tmp_path / "m.json",
                       agent=("critic", tmp_path / "a.json"))
    assert args[args.index("--mcp-config") + 1] == str(tmp_path / "m.json")
    assert args[args.index("--agents") + 1] == str(tmp_path / "a.json")
    assert args[args.index("--agent") + 1] == "critic"


def test_agent_definition_lists_the_same_tools_as_the_flags() -> None:
    critic = AgentType(name="critic", prompt="Be harsh.", description="A critic",
                       tools=("Read", "Bash(pytest:*)"))
    got = grant_for(critic, Config())
    assert agent_definition(critic, got, schema=False) == {
        "description": "A critic", "prompt": "Be harsh.", "tools": ["Read", "Bash"]}


def test_agent_definition_offers_structured_output_to_a_schema_agent() -> None:
    critic = AgentType(name="critic", prompt="p", tools=("Read",))
    assert "StructuredOutput" in agent_definition(critic, grant_for(critic, Config()),
                                                  schema=True)["tools"]


def test_agent_definition_offers_whole_servers_for_mcp_wildcards() -> None:
    # a definition's tools take exact MCP names or a whole server; --allowedTools narrows
    critic = AgentType(name="c", prompt="p", tools=("mcp__gh__get_*", "mcp__gh__list_issues"))
    tools = agent_definition(critic, grant_for(critic, Config()), schema=False)["tools"]
    assert tools == ["mcp__gh__*", "mcp__gh__list_issues"]


def test_agent_definition_without_description_gets_one() -> None:
    # Claude Code rejects an --agents entry with an empty description
    bare = AgentType(name="bare", prompt="p")
    assert agent_definition(bare, grant_for(bare, Config()), schema=False)["description"]
