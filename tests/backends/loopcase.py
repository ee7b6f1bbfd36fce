"""One scripted task for the tool-using loop, shared by every server and protocol test.

A tiny project whose ``add`` is wrong; an agent type ``fixer`` that may read, grep, edit
and run ``python``. The model reads the file, greps, edits it, runs the check script, then
tries a path outside the workspace and a command it may not run, and answers. The same
steps drive the fake server (both protocols) and stubllm; :func:`assert_fixed` checks the
files on disk, the tool results the server received and the recorded tool calls.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from flowdsl._types import AgentResult

__all__ = ["ANSWER", "CALLS", "assert_fixed", "make_project", "python_on_path", "tool_results"]

ANSWER = "Fixed add(); the check passes."

CALLS: tuple[tuple[tuple[str, dict[str, Any]], ...], ...] = (
    (("read", {"path": "calc.py"}),),
    (("grep", {"pattern": "def add", "output_mode": "content"}),),
    (("edit", {"path": "calc.py", "old_string": "return a - b", "new_string": "return a + b"}),),
    (("bash", {"command": "python check.py"}),),
    (("read", {"path": "../outside.txt"}), ("bash", {"command": "rm -rf calc.py"})),
)
"""The tool calls of each model response, in order; the next response is :data:`ANSWER`."""

FIXER = """---
name: fixer
description: fixes small bugs
tools: Read, Grep, Edit, Bash(python:*)
---
You fix bugs. Check your fix by running the checks.
"""


def make_project(tmp_path: Path, agents_dir: str = ".flowdsl") -> Path:
    """A workspace with ``calc.py`` (wrong), ``check.py`` and the ``fixer`` agent type."""
    project = tmp_path / "project"
    agents = project / agents_dir / "agents"
    agents.mkdir(parents=True)
    (agents / "fixer.md").write_text(FIXER, encoding="utf-8")
    (project / "calc.py").write_text("def add(a, b):\n    return a - b\n", encoding="utf-8")
    (project / "check.py").write_text(
        "from calc import add\nassert add(2, 3) == 5, add(2, 3)\nprint('check ok')\n",
        encoding="utf-8")
    (tmp_path / "outside.txt").write_text("secret\n", encoding="utf-8")
    return project


def python_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """``python`` (the allowed command) is this interpreter, whatever the machine has."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def tool_results(body: dict[str, Any]) -> list[tuple[str, bool]]:
    """(text, is_error) of the tool results in the last turn of a request body, either
    protocol (Chat Completions ``tool`` messages, Messages ``tool_result`` blocks)."""
    messages = body.get("messages", [])
    results: list[tuple[str, bool]] = []
    for message in reversed(messages):
        if message.get("role") == "tool":
            text = message.get("content") or ""
            results.insert(0, (text, text.startswith('{"error"')))
            continue
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, list):
            for block in content:
                if block.get("type") == "tool_result":
                    results.append((_text(block.get("content")), bool(block.get("is_error"))))
        break
    return results


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content or "")


def assert_fixed(project: Path, result: AgentResult, bodies: Sequence[dict[str, Any]]) -> None:
    """The task's outcome on disk, in what the server received, and in the tool calls."""
    assert result.output == ANSWER
    assert (project / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert len(bodies) == len(CALLS) + 1
    read, grep, edit, bash, refused = (tool_results(body) for body in bodies[1:])
    assert read == [(read[0][0], False)]
    assert "return a - b" in read[0][0]
    assert "calc.py:1:def add(a, b):" in grep[0][0]
    assert not edit[0][1]
    assert "return a + b" in edit[0][0]
    assert "check ok" in bash[0][0]
    assert "[exit code 0]" in bash[0][0]
    (outside, outside_error), (command, command_error) = refused
    assert outside_error
    assert "outside the workspace" in outside
    assert command_error
    assert "command refused" in command
    assert [c.name for c in result.tool_calls] == ["read", "grep", "edit", "bash", "read", "bash"]
    assert [c.error is None for c in result.tool_calls] == [True] * 4 + [False] * 2
    assert "outside the workspace" in (result.tool_calls[4].error or "")
    assert result.tool_calls[3].arguments == {"command": "python check.py"}
    assert all(c.result_chars > 0 for c in result.tool_calls[:4])

