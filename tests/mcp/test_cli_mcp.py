"""The ``flowdsl mcp`` command line: ``install`` writes or prints a host's entry, and the
server without the MCP SDK says what to install."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def flowdsl(cwd: Path, *argv: str, home: Path | None = None,
            code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home or cwd)}
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "flowdsl", *argv]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_install_writes_the_project_entry_and_says_so(tmp_path: Path) -> None:
    done = flowdsl(tmp_path, "mcp", "install", "--host", "claude")
    entry = json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]["flowdsl"]
    assert done.returncode == 0
    assert "created the flowdsl MCP server" in done.stdout
    assert entry["command"] == sys.executable
    assert entry["args"] == ["-m", "flowdsl", "mcp"]
    again = flowdsl(tmp_path, "mcp", "install", "--host", "claude")
    assert "unchanged" in again.stdout


def test_install_print_writes_nothing(tmp_path: Path) -> None:
    done = flowdsl(tmp_path, "mcp", "install", "--host", "codex", "--scope", "user",
                   "--print")
    assert done.returncode == 0
    assert "[mcp_servers.flowdsl]" in done.stdout
    assert not (tmp_path / ".codex").exists()


def test_install_into_a_broken_file_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / ".cursor").mkdir()
    (tmp_path / ".cursor" / "mcp.json").write_text('{"mcpServers": {,}}')
    done = flowdsl(tmp_path, "mcp", "install", "--host", "cursor")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "mcp.json:1:" in done.stderr


@pytest.mark.parametrize("argv", [["mcp", "install"], ["mcp", "install", "--host", "vim"],
                                  ["mcp", "--http", "70000"]])
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, argv: list[str]) -> None:
    done = flowdsl(tmp_path, *argv)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1


def test_the_server_without_the_mcp_sdk_says_what_to_install(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['mcp'] = None\n"
            "from flowdsl._cli import main\n"
            "sys.exit(main(['mcp']))")
    done = flowdsl(tmp_path, code=code)
    assert done.returncode == 2
    assert "pip install 'flowdsl[mcp]'" in done.stderr
    assert done.stderr.count("\n") == 1
