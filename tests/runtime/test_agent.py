"""agent(): outputs, schemas, failures, phases and model routing."""

from __future__ import annotations

import flowdsl
from flowdsl import AgentRequest, AgentResult, Usage
from flowdsl.testing import FunctionBackend


def test_agent_returns_backend_text(script):
    backend = FunctionBackend(lambda r: f"echo {r.prompt}")
    result = flowdsl.run(script('return await agent("hi")'), backend=backend)
    assert result.status == "completed"
    assert result.value == "echo hi"


def test_agent_with_schema_returns_the_validated_object(script):
    backend = FunctionBackend(lambda r: {"ok": True})
    path = script('return await agent("x", schema={"type": "object", '
                  '"properties": {"ok": {"type": "boolean"}}, "required": ["ok"]})')
    assert flowdsl.run(path, backend=backend).value == {"ok": True}


def test_output_that_breaks_the_schema_makes_agent_return_none(script):
    backend = FunctionBackend(lambda r: {"ok": "yes"})
    path = script('return await agent("x", schema={"type": "object", '
                  '"properties": {"ok": {"type": "boolean"}}, "required": ["ok"]})')
    result = flowdsl.run(path, backend=backend)
    assert result.status == "completed"
    assert result.value is None
    assert result.agents[0].status == "failed"
    assert "schema" in (result.agents[0].error or "")


def test_unusable_schema_raises_in_the_script(script):
    backend = FunctionBackend(lambda r: "x")
    result = flowdsl.run(script('return await agent("x", schema={"type": 12})'), backend=backend)
    assert result.status == "failed"
    assert "SchemaError" in (result.error or "")


def test_backend_exception_makes_agent_return_none_with_reason(script):
    def boom(request: AgentRequest) -> str:
        raise RuntimeError("provider exploded")

    result = flowdsl.run(script('return await agent("x", label="a")'),
                         backend=FunctionBackend(boom))
    assert result.status == "completed"
    assert result.value is None
    assert result.agents[0].status == "failed"
    assert "provider exploded" in (result.agents[0].error or "")


def test_agent_defaults_to_the_current_phase(script):
    backend = FunctionBackend(lambda r: r.phase)
    path = script('phase("One")\na = await agent("x")\nphase("Two")\n'
                  'b = await agent("y")\nc = await agent("z", phase="Other")\nreturn [a, b, c]')
    result = flowdsl.run(path, backend=backend)
    assert result.value == ["One", "Two", "Other"]
    assert result.phases == ("One", "Two")


def test_phase_is_fixed_when_agent_is_called_not_when_awaited(script):
    backend = FunctionBackend(lambda r: r.phase)
    path = script('phase("A")\npending = agent("x")\nphase("B")\nreturn await pending')
    assert flowdsl.run(path, backend=backend).value == "A"


def test_model_routing_prefers_call_then_phase_then_default(script):
    backend = FunctionBackend(lambda r: r.model)
    meta = ('meta = {"name": "t", "description": "d", '
            '"phases": [{"title": "Deep", "model": "big"}, {"title": "Plain"}]}\n')
    body = ('phase("Deep")\na = await agent("1")\nb = await agent("2", model="tiny")\n'
            'phase("Plain")\nc = await agent("3")\nreturn [a, b, c]')
    result = flowdsl.run(script(body, meta=meta), backend=backend, model="default-m")
    assert result.value == ["big", "tiny", "default-m"]


def test_usage_is_summed_from_backend_reports(script):
    backend = FunctionBackend(
        lambda r: AgentResult(output="x",
                              usage=Usage(input_tokens=7, output_tokens=3, cost_usd=0.5))
    )
    result = flowdsl.run(script('await agent("a")\nawait agent("b")\nreturn budget.spent()'),
                         backend=backend)
    assert result.value == 20
    assert result.usage.input_tokens == 14
    assert result.usage.cost_usd == 1.0


def test_non_string_prompt_fails_the_run_clearly(script):
    result = flowdsl.run(script('return await agent(42)'), backend=FunctionBackend(lambda r: "x"))
    assert result.status == "failed"
    assert "prompt must be a string" in (result.error or "")


def test_agent_records_keep_request_status_and_duration(script):
    result = flowdsl.run(script('await agent("p", label="L", effort="high", agent_type="Explore")'),
                         backend=FunctionBackend(lambda r: "out"))
    (record,) = result.agents
    assert record.request.label == "L"
    assert record.request.effort == "high"
    assert record.request.agent_type == "Explore"
    assert record.status == "ok"
    assert record.duration >= 0
