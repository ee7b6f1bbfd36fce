"""``flowdsl runs agents``: every finished agent with its tokens, tools and error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import flowdsl
from flowdsl import AgentResult, ToolCall, Usage
from flowdsl._cli import main
from flowdsl.testing import FunctionBackend, TurnsBackend


def journaled_run(script: Callable[..., Path], store: Path) -> str:
    path = script('''
        ok = await agent("short", label="short one")
        return [ok, await agent("long", label="long one", max_turns=2)]
    ''')
    result = flowdsl.run(path, backend=TurnsBackend(turns=3, per_turn=Usage(input_tokens=10,
                                                                            output_tokens=5)),
                         journal=True, store=str(store), isolation="inline")
    assert result.run_id is not None
    return result.run_id


def test_agents_lists_tokens_tools_and_errors(script: Callable[..., Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    run_id = journaled_run(script, tmp_path / "store")
    assert main(["runs", "agents", run_id, "--store", str(tmp_path / "store")]) == 0
    out = capsys.readouterr().out
    assert "1. ok       short one  30 in / 15 out" in out
    assert "tools: read×2" in out
    assert "2. failed   long one" in out
    assert "error: BackendError: stopped at max_turns=2 without a final answer" in out


def test_agents_json_has_every_tool_call(script: Callable[..., Path], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    run_id = journaled_run(script, tmp_path / "store")
    assert main(["runs", "agents", run_id, "--store", str(tmp_path / "store"), "--json"]) == 0
    short, long = json.loads(capsys.readouterr().out)
    assert short["tool_calls"] == [
        {"name": "read", "arguments": {"path": "file1.txt"}, "result_chars": 42, "error": None},
        {"name": "read", "arguments": {"path": "file2.txt"}, "result_chars": 42, "error": None}]
    assert long["status"] == "failed"
    assert long["usage"]["input_tokens"] == 20


def test_tool_names_from_a_server_are_printed_escaped(script: Callable[..., Path],
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    hostile = ToolCall(name="mcp__x__\x1b]0;pwned\x07", error="\x1b[2Jgone")
    backend = FunctionBackend(lambda r: AgentResult(output="x", tool_calls=(hostile,)))
    result = flowdsl.run(script('return await agent("x")'), backend=backend, journal=True,
                         store=str(tmp_path / "store"), isolation="inline")
    assert main(["runs", "agents", str(result.run_id), "--store", str(tmp_path / "store")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "(1 refused or failed)" in out
