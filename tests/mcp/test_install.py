"""``flowdsl mcp install``: each host's MCP configuration file, written without harm."""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from flowdsl._mcp import _install
from flowdsl._mcp._install import Host, Scope, install, server_command
from flowdsl.errors import UsageError

CMD = ["/opt/py/bin/python", "-m", "flowdsl", "mcp"]
ALL = [(host, scope) for host in ("claude", "codex", "cursor") for scope in ("project", "user")]
JSON_HOSTS = [pair for pair in ALL if pair[0] != "codex"]
CODEX = [pair for pair in ALL if pair[0] == "codex"]
WHERE = {
    ("claude", "project"): "project/.mcp.json",
    ("claude", "user"): "home/.claude.json",
    ("codex", "project"): "project/.codex/config.toml",
    ("codex", "user"): "home/.codex/config.toml",
    ("cursor", "project"): "project/.cursor/mcp.json",
    ("cursor", "user"): "home/.cursor/mcp.json",
}
ENTRY: dict[str, dict[str, Any]] = {
    "claude": {"type": "stdio", "command": CMD[0], "args": CMD[1:], "env": {}},
    "codex": {"command": CMD[0], "args": CMD[1:]},
    "cursor": {"command": CMD[0], "args": CMD[1:]},
}


def run(tmp_path: Path, host: Host, scope: Scope, **kwargs: Any) -> _install.InstallOutcome:
    return install(host, scope=scope, project_dir=tmp_path / "project",
                   home=tmp_path / "home", command=CMD, **kwargs)


def existing(tmp_path: Path, host: Host, scope: Scope, text: str) -> Path:
    path = tmp_path / WHERE[host, scope]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def servers(text: str, host: str) -> dict[str, Any]:
    if host == "codex":
        return tomllib.loads(text)["mcp_servers"]  # type: ignore[no-any-return]
    return json.loads(text)["mcpServers"]  # type: ignore[no-any-return]


def test_server_command_runs_this_interpreter() -> None:
    assert server_command() == [sys.executable, "-m", "flowdsl", "mcp"]
    assert Path(server_command()[0]).is_absolute()


@pytest.mark.parametrize(("host", "scope"), ALL)
def test_creates_the_hosts_file_with_the_entry(tmp_path: Path, host: Host, scope: Scope) -> None:
    outcome = run(tmp_path, host, scope)
    path = tmp_path / WHERE[host, scope]
    assert (outcome.action, outcome.path) == ("created", path)
    assert outcome.text == path.read_text(encoding="utf-8")
    assert servers(outcome.text, host) == {"flowdsl": ENTRY[host]}


@pytest.mark.parametrize(("host", "scope"), ALL)
def test_second_run_is_unchanged_and_byte_identical(tmp_path: Path, host: Host,
                                                    scope: Scope) -> None:
    run(tmp_path, host, scope)
    before = (tmp_path / WHERE[host, scope]).read_bytes()
    assert run(tmp_path, host, scope).action == "unchanged"
    assert (tmp_path / WHERE[host, scope]).read_bytes() == before


@pytest.mark.parametrize(("host", "scope"), JSON_HOSTS)
def test_json_keeps_other_keys_and_entries_in_order(tmp_path: Path, host: Host,
                                                    scope: Scope) -> None:
    original = {"numStartups": 7, "mcpServers": {"other": {"command": "x", "args": []}},
                "projects": {"/a": {"allowedTools": ["Bash"]}}, "zlast": "é"}
    existing(tmp_path, host, scope, json.dumps(original))
    outcome = run(tmp_path, host, scope)
    data = json.loads(outcome.text)
    assert outcome.action == "updated"
    assert list(data) == ["numStartups", "mcpServers", "projects", "zlast"]
    assert list(data["mcpServers"]) == ["other", "flowdsl"]
    assert {**data, "mcpServers": {"other": data["mcpServers"]["other"]}} == original
    assert outcome.text.endswith("}\n")
    assert '\n  "numStartups": 7,' in outcome.text


@pytest.mark.parametrize(("host", "scope"), JSON_HOSTS)
def test_json_different_entry_is_replaced_keeping_its_env(tmp_path: Path, host: Host,
                                                          scope: Scope) -> None:
    old = {"command": "/old/python", "args": [], "env": {"K": "v"}, "cwd": "/x"}
    existing(tmp_path, host, scope, json.dumps({"mcpServers": {"a": {}, "flowdsl": old,
                                                               "z": {}}}))
    outcome = run(tmp_path, host, scope)
    assert outcome.action == "updated"
    assert list(servers(outcome.text, host)) == ["a", "flowdsl", "z"]
    assert servers(outcome.text, host)["flowdsl"] == {**ENTRY[host], "env": {"K": "v"}}


CODEX_CONFIG = """\
# my codex settings
model = "o3"  # the good one

[mcp_servers.docs]
command = "docs-mcp"   # keep me
args = ["--stdio"]

[profiles.fast]
model = "o4-mini"
"""


@pytest.mark.parametrize(("host", "scope"), CODEX)
def test_codex_keeps_comments_and_other_tables_byte_for_byte(tmp_path: Path, host: Host,
                                                             scope: Scope) -> None:
    existing(tmp_path, host, scope, CODEX_CONFIG)
    outcome = run(tmp_path, host, scope)
    assert outcome.action == "updated"
    assert outcome.text.startswith(CODEX_CONFIG + "\n[mcp_servers.flowdsl]\n")
    assert tomllib.loads(outcome.text) == {
        "model": "o3", "profiles": {"fast": {"model": "o4-mini"}},
        "mcp_servers": {"docs": {"command": "docs-mcp", "args": ["--stdio"]},
                        "flowdsl": ENTRY["codex"]}}


@pytest.mark.parametrize(("host", "scope"), CODEX)
def test_codex_different_entry_is_edited_in_place_keeping_env(tmp_path: Path, host: Host,
                                                              scope: Scope) -> None:
    head = '# top\n[mcp_servers.flowdsl]\n'
    tail = '\n[mcp_servers.flowdsl.env]\nK = "v"  # secret\n\n[tui]\nx = 1\n'
    existing(tmp_path, host, scope, head + 'command = "/old"\nenabled = false\n' + tail)
    outcome = run(tmp_path, host, scope)
    assert outcome.action == "updated"
    assert outcome.text == (head + f'command = "{CMD[0]}"\nargs = ["-m", "flowdsl", "mcp"]\n'
                            + tail)
    assert run(tmp_path, host, scope).action == "unchanged"


@pytest.mark.parametrize(("host", "scope"), CODEX)
def test_codex_inline_servers_table_gets_an_inline_entry(tmp_path: Path, host: Host,
                                                         scope: Scope) -> None:
    existing(tmp_path, host, scope, 'mcp_servers = { a = { command = "x" } }\n')
    outcome = run(tmp_path, host, scope)
    assert servers(outcome.text, host) == {"a": {"command": "x"}, "flowdsl": ENTRY["codex"]}


def test_codex_edit_that_would_change_other_settings_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = existing(tmp_path, "codex", "user", "model = 1\n")
    monkeypatch.setattr(_install, "_with_toml_entry", lambda doc, text, wanted: "model = 2\n")
    with pytest.raises(UsageError, match="without changing other settings"):
        run(tmp_path, "codex", "user")
    assert path.read_text(encoding="utf-8") == "model = 1\n"


@pytest.mark.parametrize(("host", "scope"), JSON_HOSTS)
def test_invalid_json_names_file_line_col_and_leaves_it(tmp_path: Path, host: Host,
                                                        scope: Scope) -> None:
    path = existing(tmp_path, host, scope, '{\n  "mcpServers": {,\n}\n')
    with pytest.raises(UsageError) as caught:
        run(tmp_path, host, scope)
    assert str(caught.value).startswith(f"{path}:2:18: invalid JSON")
    assert "\n" not in str(caught.value)
    assert path.read_text(encoding="utf-8") == '{\n  "mcpServers": {,\n}\n'


@pytest.mark.parametrize(("host", "scope"), CODEX)
def test_invalid_toml_names_file_line_col_and_leaves_it(tmp_path: Path, host: Host,
                                                        scope: Scope) -> None:
    path = existing(tmp_path, host, scope, 'model = "o3"\nx = = 2\n')
    with pytest.raises(UsageError) as caught:
        run(tmp_path, host, scope)
    assert str(caught.value).startswith(f"{path}:2:5: invalid TOML")
    assert "\n" not in str(caught.value)
    assert path.read_text(encoding="utf-8") == 'model = "o3"\nx = = 2\n'


@pytest.mark.parametrize(("host", "text", "message"), [
    ("claude", '{"mcpServers": []}', '"mcpServers" is an array, not an object'),
    ("cursor", '{"mcpServers": "x"}', '"mcpServers" is a string, not an object'),
    ("claude", "[1, 2]", "the top level is an array, not an object"),
    ("codex", "mcp_servers = 3\n", "mcp_servers is a number, not a table"),
    ("codex", "[[mcp_servers]]\na = 1\n", "mcp_servers is an array, not a table"),
])
def test_wrong_shape_is_a_one_line_error(tmp_path: Path, host: Host, text: str,
                                         message: str) -> None:
    path = existing(tmp_path, host, "project", text)
    with pytest.raises(UsageError, match="^" + re.escape(f"{path}: {message}")):
        run(tmp_path, host, "project")
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(("host", "scope"), ALL)
def test_print_only_writes_nothing(tmp_path: Path, host: Host, scope: Scope) -> None:
    outcome = run(tmp_path, host, scope, print_only=True)
    assert (outcome.action, outcome.path) == ("printed", tmp_path / WHERE[host, scope])
    assert servers(outcome.text, host) == {"flowdsl": ENTRY[host]}
    assert not (tmp_path / "project").exists()
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize(("host", "scope"), ALL)
def test_permission_bits_are_kept(tmp_path: Path, host: Host, scope: Scope) -> None:
    path = existing(tmp_path, host, scope, "")
    path.chmod(0o640)
    assert run(tmp_path, host, scope).action == "updated"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_new_claude_user_file_is_private(tmp_path: Path) -> None:
    run(tmp_path, "claude", "user")
    assert stat.S_IMODE((tmp_path / "home/.claude.json").stat().st_mode) == 0o600


def test_a_symlinked_file_is_written_through(tmp_path: Path) -> None:
    target = existing(tmp_path, "claude", "user", '{"theme": "dark"}')
    dotfiles = tmp_path / "dotfiles.json"
    target.rename(dotfiles)
    target.symlink_to(dotfiles)
    run(tmp_path, "claude", "user")
    assert target.is_symlink()
    assert json.loads(dotfiles.read_text(encoding="utf-8"))["theme"] == "dark"


def test_a_failed_write_leaves_the_file_and_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = existing(tmp_path, "cursor", "project", '{"mcpServers": {}}')

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    expected = f"{path}: cannot write: Permission denied"
    with pytest.raises(UsageError, match=f"^{re.escape(expected)}$"):
        run(tmp_path, "cursor", "project")
    assert path.read_text(encoding="utf-8") == '{"mcpServers": {}}'
    assert os.listdir(path.parent) == ["mcp.json"]


def test_an_unreadable_path_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / WHERE["cursor", "project"]).mkdir(parents=True)
    with pytest.raises(UsageError, match=r"mcp\.json: cannot read: Is a directory$"):
        run(tmp_path, "cursor", "project")


def test_non_utf8_content_is_a_usage_error(tmp_path: Path) -> None:
    path = existing(tmp_path, "codex", "user", "")
    path.write_bytes(b"model = '\xff'\n")
    with pytest.raises(UsageError, match="not UTF-8"):
        run(tmp_path, "codex", "user")


def test_empty_command_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="command is empty"):
        install("cursor", project_dir=tmp_path, home=tmp_path, command=[])
