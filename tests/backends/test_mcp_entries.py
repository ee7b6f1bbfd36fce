"""Reading MCP server entries: ``.mcp.json`` and ``mcp_servers``, errors naming both."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType

import pytest

from flowdsl._config import Config
from flowdsl.backends._mcp_entries import McpServerEntry, read_servers
from flowdsl.errors import BackendConfigError


def mcp_json(tmp_path: Path, data: object) -> Path:
    (tmp_path / ".mcp.json").write_text(json.dumps(data))
    return tmp_path


def test_stdio_and_http_entries_are_read(tmp_path: Path) -> None:
    ws = mcp_json(tmp_path, {"mcpServers": {
        "gh": {"command": "gh-mcp", "args": ["stdio"], "env": {"A": "1"}},
        "docs": {"type": "http", "url": "http://127.0.0.1:9/mcp", "headers": {"X": "y"}},
        "old": {"type": "sse", "url": "http://127.0.0.1:9/sse"}}})
    servers = read_servers(ws, Config())
    assert servers["gh"] == McpServerEntry(name="gh", source=str(ws / ".mcp.json"),
                                           kind="stdio", command="gh-mcp", args=("stdio",),
                                           env={"A": "1"})
    assert (servers["docs"].kind, servers["docs"].headers) == ("http", {"X": "y"})
    assert servers["old"].kind == "sse"


def test_no_file_and_no_config_is_no_server(tmp_path: Path) -> None:
    assert read_servers(tmp_path, Config()) == {}


def test_the_configuration_wins_a_name_clash(tmp_path: Path) -> None:
    ws = mcp_json(tmp_path, {"mcpServers": {"a": {"command": "from-file"}}})
    config = Config(mcp_servers=MappingProxyType({"a": MappingProxyType({"command": "mine"})}))
    assert read_servers(ws, config)["a"].command == "mine"


def test_environment_references_are_expanded(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWDSL_TEST_TOKEN", "t0k")
    ws = mcp_json(tmp_path, {"mcpServers": {"a": {
        "command": "x", "env": {"T": "${FLOWDSL_TEST_TOKEN}", "U": "${FLOWDSL_UNSET_X:-dflt}"}}}})
    assert read_servers(ws, Config())["a"].env == {"T": "t0k", "U": "dflt"}


@pytest.mark.parametrize(("entry", "message"), [
    ({"args": ["x"]}, "give a 'command'"),
    ({"command": ""}, "'command' must be a non-empty string"),
    ({"command": "x", "args": "not a list"}, "'args' must be a list of strings"),
    ({"command": "x", "env": {"A": 1}}, "'env' must map names to strings"),
    ({"type": "websocket", "url": "ws://x"}, "unknown type 'websocket'"),
    ({"type": "http"}, "'url' must be a non-empty string"),
    ({"command": "${FLOWDSL_SURELY_UNSET}"}, "FLOWDSL_SURELY_UNSET is not set"),
    ("a string", "must be an object"),
])
def test_a_bad_entry_names_the_file_and_the_server(tmp_path: Path, entry: object,
                                                   message: str) -> None:
    ws = mcp_json(tmp_path, {"mcpServers": {"bad": entry}})
    with pytest.raises(BackendConfigError) as info:
        read_servers(ws, Config())
    assert str(info.value).startswith(f"{ws / '.mcp.json'}: MCP server 'bad': ")
    assert message in str(info.value)


def test_a_file_that_is_not_json_is_named(tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text("{nope")
    with pytest.raises(BackendConfigError, match=r"\.mcp\.json: cannot read the MCP servers"):
        read_servers(tmp_path, Config())


def test_a_bad_configured_entry_names_the_configuration(tmp_path: Path) -> None:
    config = Config(source=tmp_path / "pyproject.toml",
                    mcp_servers=MappingProxyType({"c": MappingProxyType({"url": "x"})}))
    with pytest.raises(BackendConfigError, match=r"pyproject\.toml \[mcp_servers\]: MCP "
                                                 r"server 'c'"):
        read_servers(tmp_path, config)
