"""The ``--mcp-config`` content for one agent: only the servers its grant reaches."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType

import pytest

from flowdsl._config import Config
from flowdsl.backends._grants import ToolGrant
from flowdsl.backends._mcp_config import mcp_config
from flowdsl.errors import BackendConfigError


def workspace(tmp_path: Path, servers: dict[str, object]) -> Path:
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    return tmp_path


def test_a_grant_without_mcp_patterns_starts_no_server(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"gh": {"command": "gh-mcp"}})
    assert mcp_config(ToolGrant(), ws, Config()) is None


def test_only_the_reached_servers_are_passed(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"gh": {"command": "gh-mcp", "args": ["stdio"]},
                              "docs": {"type": "http", "url": "http://127.0.0.1:9/mcp"}})
    got = mcp_config(ToolGrant(mcp=("mcp__gh__get_*",)), ws, Config())
    assert got == {"mcpServers": {"gh": {"type": "stdio", "command": "gh-mcp",
                                         "args": ["stdio"]}}}


def test_config_servers_win_over_mcp_json(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"docs": {"type": "http", "url": "http://127.0.0.1:9/old"}})
    config = Config(mcp_servers=MappingProxyType({
        "docs": MappingProxyType({"type": "sse", "url": "http://127.0.0.1:9/new"})}))
    got = mcp_config(ToolGrant(mcp=("mcp__docs__*",)), ws, config)
    assert got == {"mcpServers": {"docs": {"type": "sse", "url": "http://127.0.0.1:9/new"}}}


def test_environment_references_are_expanded_for_the_cli(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the CLI's environment is trimmed: it could not expand ${GH_TOKEN} itself
    monkeypatch.setenv("GH_TOKEN", "secret")
    ws = workspace(tmp_path, {"gh": {"command": "gh-mcp", "env": {"TOKEN": "${GH_TOKEN}"}}})
    got = mcp_config(ToolGrant(mcp=("mcp__gh__*",)), ws, Config())
    assert got is not None
    assert got["mcpServers"]["gh"]["env"] == {"TOKEN": "secret"}


def test_an_undefined_server_is_a_config_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(BackendConfigError, match=r"MCP server.*jira"):
        mcp_config(ToolGrant(mcp=("mcp__jira__*",)), tmp_path, Config())
