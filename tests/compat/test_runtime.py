"""The JS layer on the runtime: DSL globals, child workflows, saved workflows, output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import flowdsl
from flowdsl.testing import FunctionBackend, OracleBackend

META = "export const meta = { name: 't', description: 'test workflow' };\n"


def test_agent_options_use_js_names_and_map_to_requests(js: Callable[..., Path]) -> None:
    path = js("phase('P');\nreturn await agent('hi', { label: 'l', agentType: 'Explore', "
              "model: 'haiku', effort: 'low', isolation: 'worktree', unknown: 1 });\n")
    backend = OracleBackend()
    result = flowdsl.run(path, backend=backend)
    assert result.status == "completed"
    [request] = backend.requests
    assert (request.label, request.agent_type, request.model, request.effort, request.phase,
            request.isolation) == ("l", "Explore", "haiku", "low", "P", "worktree")


def test_agent_starts_when_called_like_a_js_promise(js: Callable[..., Path]) -> None:
    path = js("const a = agent('one');\nconst b = agent('two');\nlog('started');\n"
              "return [await b, await a].map((t) => t.length);\n")
    order: list[str] = []
    result = flowdsl.run(path, backend=FunctionBackend(lambda r: order.append(r.prompt) or "x"))
    assert result.value == [1, 1]
    assert sorted(order) == ["one", "two"]


def test_budget_and_missing_globals(js: Callable[..., Path]) -> None:
    path = js("return [budget.total, budget.remaining(), typeof process, typeof require, "
              "typeof fetch, typeof setTimeout, typeof Date.now];\n")
    result = flowdsl.run(path, backend=OracleBackend())
    assert result.value == [None, None, "undefined", "undefined", "undefined", "undefined",
                            "function"]
    limited = flowdsl.run(path, backend=OracleBackend(), budget=100)
    assert limited.value[:2] == [100, 100]


def test_budget_exhaustion_is_catchable(js: Callable[..., Path]) -> None:
    path = js("await agent('a'.repeat(400));\ntry { await agent('b'); } catch (e) {\n"
              "  return [e instanceof Error, e.message]; }\n")
    result = flowdsl.run(path, backend=OracleBackend(), budget=10)
    assert result.value[0] is True
    assert "budget" in result.value[1]


def test_result_is_json_like_js(js: Callable[..., Path]) -> None:
    path = js("return { a: undefined, b: [undefined, NaN, 8 / 2, 7 / 2], c: new Map(), "
              "d: () => 1, e: null };\n")
    result = flowdsl.run(path, backend=OracleBackend())
    assert result.value == {"b": [None, None, 4, 3.5], "c": {}, "e": None}
    assert type(result.value["b"][2]) is int


def test_undefined_result_is_null(js: Callable[..., Path]) -> None:
    assert flowdsl.run(js("log('x');\n"), backend=OracleBackend()).value is None


def test_js_child_workflow_next_to_the_parent(js: Callable[..., Path]) -> None:
    js("return { got: args.n * 2 };\n", name="child.js")
    parent = js("const r = await workflow('child', { n: 21 });\nreturn r.got;\n")
    result = flowdsl.run(parent, backend=OracleBackend())
    assert (result.status, result.value) == ("completed", 42)


def test_saved_workflow_in_claude_workflows(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    saved = tmp_path / ".claude" / "workflows"
    saved.mkdir(parents=True)
    (saved / "helper.js").write_text(META + "return 'helped ' + args;\n", encoding="utf-8")
    project = tmp_path / "project" / "deep"
    project.mkdir(parents=True)
    parent = project / "main.js"
    parent.write_text(META + "return await workflow('helper', 'me');\n", encoding="utf-8")
    result = flowdsl.run(parent, backend=OracleBackend())
    assert (result.status, result.value) == ("completed", "helped me")


def test_child_failure_is_catchable_with_its_message(js: Callable[..., Path]) -> None:
    js("throw new Error('child broke');\n", name="bad.js")
    parent = js("try { await workflow('bad'); } catch (e) { return e.message; }\n")
    assert flowdsl.run(parent, backend=OracleBackend()).value == "child broke"


def test_loops_tick_so_a_runaway_script_times_out(js: Callable[..., Path]) -> None:
    path = js("let n = 0;\nwhile (true) { n++; }\n")
    result = flowdsl.run(path, backend=OracleBackend(), run_timeout=0.3)
    assert result.status == "failed"
    assert "wall-clock" in (result.error or "")
