"""The same tool-using task against stubllm, a third-party mock LLM server (not ours).

stubllm ("Deterministic mock server for LLM APIs") serves OpenAI Chat Completions and
Anthropic Messages from fixtures. One fixture matches the task's user prompt and answers
with a ``sequence``: the tool calls of :data:`loopcase.CALLS` (several per response where
the task has several), then the final text. Its pytest plugin's ``stubllm_server`` runs it
on 127.0.0.1 on a free port and logs every request body, so the test checks the files on
disk, the tool results stubllm received and the recorded tool calls as the fake-server
tests do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from loopcase import ANSWER, CALLS, assert_fixed, make_project, python_on_path

from flowdsl._config import Config
from flowdsl._types import AgentRequest
from flowdsl.backends import load_backend
from flowdsl.errors import BackendError

pytestmark = pytest.mark.anyio

PROMPT = "fix add in calc.py"


def fixture(protocol: str) -> list[Any]:
    """The task as stubllm fixtures (its own loader validates them)."""
    from stubllm.fixtures.loader import FixtureLoader

    ids = iter(range(1, 100))
    steps: list[dict[str, Any]] = [
        {"tool_calls": [{"id": f"call_{next(ids)}", "type": "function",
                         "function": {"name": name, "arguments": json.dumps(args)}}
                        for name, args in calls],
         "finish_reason": "tool_calls",
         "usage": {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55}}
        for calls in CALLS]
    final = "stop" if protocol == "openai" else "end_turn"
    steps.append({"content": ANSWER, "finish_reason": final,
                  "usage": {"prompt_tokens": 60, "completion_tokens": 7, "total_tokens": 67}})
    return FixtureLoader().load_from_dict({"fixtures": [{
        "name": "fix-add",
        "match": {"provider": protocol,
                  "messages": [{"role": "user", "content": {"contains": PROMPT}}]},
        "sequence": steps,
    }]})


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_the_task_runs_against_stubllm(protocol: str, stubllm_server: Any,
                                             tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    python_on_path(monkeypatch)
    project = make_project(tmp_path)
    stubllm_server.reset()
    stubllm_server.replace_fixtures(fixture(protocol))
    base_url = stubllm_server.openai_url if protocol == "openai" else stubllm_server.url
    backend: Any = load_backend(protocol, base_url=base_url, model="stub-model",
                                config=Config(backoff=0.001), cwd=project)
    async with backend:
        result = await backend.run(AgentRequest(prompt=PROMPT, agent_type="fixer"))
    bodies = [c["body"] for c in stubllm_server.calls]
    assert_fixed(project, result, bodies)
    stubllm_server.assert_fixture_hit("fix-add", times=len(CALLS) + 1)
    assert (result.usage.input_tokens, result.usage.output_tokens) == (
        50 * len(CALLS) + 60, 5 * len(CALLS) + 7)


async def test_a_reply_cut_off_at_the_output_limit_fails_against_stubllm(
        stubllm_server: Any, tmp_path: Path) -> None:
    from stubllm.fixtures.loader import FixtureLoader

    stubllm_server.reset()
    stubllm_server.replace_fixtures(FixtureLoader().load_from_dict({"fixtures": [{
        "name": "cut", "response": {"content": "half an", "finish_reason": "length"}}]}))
    backend: Any = load_backend("openai", base_url=stubllm_server.openai_url, model="stub",
                                config=Config(backoff=0.001), cwd=tmp_path)
    async with backend:
        with pytest.raises(BackendError, match="cut off at the output limit"):
            await backend.run(AgentRequest(prompt="p"))
