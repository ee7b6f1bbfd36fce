"""``execute_tool`` spans of a real tool loop: the openai backend against the loopback fake
model, its agent reading, grepping, editing and running a check in a workspace."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import flowdsl

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "backends"))

from fakeserver import FakeLLMServer, Step  # noqa: E402
from loopcase import ANSWER, CALLS, make_project, python_on_path  # noqa: E402

SCRIPT = '''\
meta = {"name": "fix", "description": "one agent with tools"}
phase("Fix")
return await agent("fix add", label="fixer", agent_type="fixer")
'''


def test_each_tool_the_agent_ran_is_a_timed_span_under_it(
        tmp_path: Path, memory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    python_on_path(monkeypatch)
    project = make_project(tmp_path)
    (project / "fix.flow.py").write_text(SCRIPT, encoding="utf-8")
    with FakeLLMServer() as server:
        server.script(*(Step.use(*calls) for calls in CALLS), Step.reply(ANSWER))
        result = flowdsl.run(project / "fix.flow.py", backend="openai", model="gpt-4o-mini",
                             base_url=server.url + "/v1", cwd=str(project),
                             isolation="inline", tracer_provider=memory.provider)
    assert result.status == "completed", result.error
    (record,) = result.agents
    spans = memory.spans()
    (agent,) = [s for s in spans if s.name == "invoke_agent fixer"]
    tools = sorted((s for s in spans if s.name.startswith("execute_tool ")),
                   key=lambda s: s.start_time)
    assert [s.name for s in tools] == [f"execute_tool {c.name}" for c in record.tool_calls]
    assert {s.parent.span_id for s in tools if s.parent} == {agent.context.span_id}
    assert all(agent.start_time <= s.start_time <= s.end_time <= agent.end_time for s in tools)
    assert not any("flowdsl.tool.timing" in (s.attributes or {}) for s in tools)
    failed = [s for s in tools if (s.attributes or {}).get("error.type")]
    assert len(failed) == sum(1 for c in record.tool_calls if c.error)
    attributes = agent.attributes or {}
    assert (attributes["gen_ai.provider.name"], attributes["gen_ai.request.model"],
            attributes["gen_ai.usage.input_tokens"]) == (
        "openai", "gpt-4o-mini", record.usage.input_tokens)
