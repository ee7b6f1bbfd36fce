"""The openai backend under the real runtime: limiter, routing and token totals, end to end.

Agents without tools (single completions); the loop under the runtime: test_agent_budget.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fakeserver import FakeLLMServer, Recorded, Step

import flowdsl
from flowdsl._config import Config
from flowdsl.backends._openai import create_backend

WORKFLOW = """
FINDING = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
phase("Review")
reviews = await parallel(agent(f"Review {i}", label=str(i), schema=FINDING) for i in range(24))
phase("Summarize")
summary = await agent("Summarize", model="smart")
return {"reviews": reviews.count(None), "summary": summary}
"""
META = ('meta = {"name": "review", "description": "test", "phases": '
        '[{"title": "Review", "model": "fast"}, {"title": "Summarize"}]}\n')


def reply(rec: Recorded) -> Step:
    if not rec.body.get("tools"):
        return Step.reply("all good")
    first_try = len(rec.body["messages"]) == 2
    label = rec.body["messages"][1]["content"]
    # every third review is invalid once, then valid: one re-ask each
    return Step.tool({"ok": "?"} if first_try and label.endswith(("0", "3", "6")) else {"ok": True})


def test_a_workflow_runs_against_the_fake_with_exact_totals(
        server: FakeLLMServer, script: Callable[..., Path]) -> None:
    server.latency = 0.02
    server.responder = reply
    config = Config(backoff=0.001, model="default-model", tools=(),
                    aliases={"fast": "gpt-4o-mini", "smart": "gpt-4.1"})
    backend = create_backend(base_url=server.url, config=config)
    result = flowdsl.run(script(WORKFLOW, meta=META), backend=backend, concurrency=5)
    assert result.status == "completed", result.error
    assert result.value == {"reviews": 0, "summary": "all good"}
    assert server.peak_in_flight == 5
    assert (result.usage.input_tokens, result.usage.output_tokens) == server.tokens
    models = [r.body["model"] for r in server.calls()]
    assert models.count("gpt-4.1") == 1
    reasks = sum(1 for i in range(24) if str(i).endswith(("0", "3", "6")))
    assert models.count("gpt-4o-mini") == 24 + reasks


def test_a_hung_agent_times_out_to_none(server: FakeLLMServer,
                                        script: Callable[..., Path]) -> None:
    server.script(Step.hang())
    backend = create_backend(base_url=server.url, model="m", config=Config(tools=()))
    result = flowdsl.run(script('return [await agent("a"), await agent("b")]\n'),
                         backend=backend, agent_timeout=0.5)
    assert result.value == [None, "ok"]
    assert [a.status for a in result.agents] == ["timeout", "ok"]
    assert server.wait_disconnects(1)


@pytest.mark.parametrize("status", [400, 401])
def test_a_failing_agent_is_recorded_with_the_reason(server: FakeLLMServer,
                                                     script: Callable[..., Path],
                                                     status: int) -> None:
    server.script(Step.error(status))
    backend = create_backend(base_url=server.url, model="m", config=Config(tools=()))
    result = flowdsl.run(script('return await agent("a")\n'), backend=backend)
    assert result.value is None
    (record,) = result.agents
    assert record.status == "failed"
    assert f"HTTP {status}" in (record.error or "")
