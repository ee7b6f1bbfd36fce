"""workflow() nesting, uncaught errors with file:line, and the public run API."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

import flowdsl
from flowdsl.testing import FunctionBackend


def echo() -> FunctionBackend:
    return FunctionBackend(lambda r: r.prompt)


def test_workflow_runs_a_child_inline_sharing_the_agent_cap(script):
    script('phase("Child")\nreturn await agent("child " + args["x"])', name="child.flow.py")
    parent = script('a = await agent("parent")\nb = await workflow("child", {"x": "y"})\n'
                    'return [a, b]')
    result = flowdsl.run(parent, backend=echo())
    assert result.value == ["parent", "child y"]
    assert len(result.agents) == 2
    assert result.agents[1].request.phase == "Child"


def test_workflow_nests_one_level_only(script):
    script('return await workflow("grandchild")', name="child.flow.py")
    script('return 1', name="grandchild.flow.py")
    result = flowdsl.run(script('return await workflow("child")'), backend=echo())
    assert result.status == "failed"
    assert "one level only" in (result.error or "")


def test_workflow_unknown_name_fails_clearly(script):
    result = flowdsl.run(script('return await workflow("nope")'), backend=echo())
    assert result.status == "failed"
    assert "workflow 'nope' not found" in (result.error or "")


def test_uncaught_exception_fails_with_file_and_line(script):
    path = script('x = 1\ny = {}\nreturn y["missing"]')
    result = flowdsl.run(path, backend=echo())
    assert result.status == "failed"
    assert result.error == f"{path}:4: KeyError: 'missing'"


def test_result_is_converted_to_json(script):
    result = flowdsl.run(script('return {"t": (1, 2), "n": None, "f": 1.5}'), backend=echo())
    assert result.value == {"t": [1, 2], "n": None, "f": 1.5}


def test_non_json_result_fails_the_run(script):
    result = flowdsl.run(script('return {1, 2}'), backend=echo())
    assert result.status == "failed"
    assert "not JSON-compatible" in (result.error or "")


def test_logs_and_args_reach_the_result(script):
    result = flowdsl.run(script('log("n =", args["n"])\nreturn args["n"] * 2'),
                         args={"n": 21}, backend=echo())
    assert result.value == 42
    assert result.logs == ("n = 21",)


def test_run_async_gives_the_same_result(script):
    path = script('return await agent("z")')

    async def main() -> flowdsl.RunResult:
        return await flowdsl.run_async(path, backend=echo())

    assert anyio.run(main).value == "z"


def test_script_errors_raise_before_running(script):
    with pytest.raises(flowdsl.ScriptError):
        flowdsl.run(script('return (', name="bad.flow.py"), backend=echo())


def test_unreadable_file_is_a_usage_error(tmp_path: Path):
    with pytest.raises(flowdsl.UsageError, match="cannot read"):
        flowdsl.run(tmp_path / "missing.flow.py", backend=echo())


def test_backend_by_name(script):
    result = flowdsl.run(script('return await agent("x")'), backend="simulate")
    assert result.status == "completed"
    assert result.usage.total_tokens > 0


def test_missing_backend_is_a_clear_error(script, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(flowdsl.FlowError, match="backend"):
        flowdsl.run(script('return 1'))
