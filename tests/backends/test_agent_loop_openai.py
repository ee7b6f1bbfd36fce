"""The tool-using loop of the openai backend (Chat Completions) against the fake server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fakeserver import FakeLLMServer, Step
from loopcase import ANSWER, CALLS, assert_fixed, make_project, python_on_path

from flowdsl._config import Config
from flowdsl._types import AgentRequest, Usage
from flowdsl.backends._openai import OpenAIBackend, create_backend
from flowdsl.errors import BackendError

pytestmark = pytest.mark.anyio

FAST = Config(backoff=0.001, reasks=2)
FINDING = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
           "additionalProperties": False}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    python_on_path(monkeypatch)
    return make_project(tmp_path)


@pytest.fixture
async def backend(server: FakeLLMServer, project: Path) -> AsyncIterator[OpenAIBackend]:
    async with create_backend(base_url=server.url + "/v1", model="gpt-4o-mini", config=FAST,
                              cwd=project) as b:
        yield b


def offered(server: FakeLLMServer, index: int = 0) -> list[str]:
    return [t["function"]["name"] for t in server.calls()[index].body.get("tools", [])]


async def test_an_agent_reads_greps_edits_runs_and_is_refused(
        server: FakeLLMServer, backend: OpenAIBackend, project: Path) -> None:
    server.script(*(Step.use(*calls) for calls in CALLS), Step.reply(ANSWER))
    result = await backend.run(AgentRequest(prompt="fix add", agent_type="fixer"))
    assert_fixed(project, result, [r.body for r in server.calls()])
    assert offered(server) == ["read", "grep", "edit", "bash"]
    assert (result.usage.input_tokens, result.usage.output_tokens) == server.tokens


async def test_the_system_prompt_carries_the_context_and_the_agent_type(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    await backend.run(AgentRequest(prompt="fix add", agent_type="fixer", label="L", phase="P"))
    system, user = server.calls()[0].body["messages"]
    assert system["role"] == "system"
    assert "'L'" in system["content"]
    assert "You fix bugs." in system["content"]
    assert user == {"role": "user", "content": "fix add"}


async def test_an_agent_without_a_type_gets_the_configured_read_only_tools(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    assert (await backend.run(AgentRequest(prompt="p"))).output == "ok"
    assert offered(server) == ["read", "list", "glob", "grep"]


async def test_bash_tells_the_model_which_commands_it_may_run(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    await backend.run(AgentRequest(prompt="p", agent_type="fixer"))
    (bash,) = [t for t in server.calls()[0].body["tools"] if t["function"]["name"] == "bash"]
    assert "Allowed commands start with: python" in bash["function"]["description"]
    assert bash["function"]["parameters"]["required"] == ["command"]


async def test_no_tools_configured_keeps_the_single_completion(
        server: FakeLLMServer, project: Path) -> None:
    config = Config(backoff=0.001, tools=())
    async with create_backend(base_url=server.url, model="m", config=config, cwd=project) as b:
        assert (await b.run(AgentRequest(prompt="p"))).output == "ok"
    assert "tools" not in server.calls()[0].body


async def test_a_schema_agent_answers_through_the_verbatim_schema_after_using_tools(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.script(Step.use(("read", {"path": "calc.py"})),
                  Step.use(("final_result", {"ok": "yes"})),
                  Step.use(("final_result", {"ok": False})))
    result = await backend.run(AgentRequest(prompt="is add right?", schema=FINDING))
    assert result.output == {"ok": False}
    tools = {t["function"]["name"]: t["function"] for t in server.calls()[0].body["tools"]}
    assert tools["final_result"]["parameters"] == FINDING
    feedback = json.dumps(server.calls()[2].body["messages"][-1])
    assert "$.ok: 'yes' is not of type 'boolean'" in feedback
    assert [c.name for c in result.tool_calls] == ["read"]


async def test_a_non_object_schema_is_wrapped_and_unwrapped(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    schema = {"type": "array", "items": {"type": "integer"}}
    server.script(Step.use(("final_result", {"value": [1, 2]})))
    assert (await backend.run(AgentRequest(prompt="p", schema=schema))).output == [1, 2]


async def test_invalid_output_is_reasked_at_most_reasks_times(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.default = Step.use(("final_result", {"ok": 1}), usage=(10, 1))
    with pytest.raises(BackendError, match="no valid structured output after 3 attempt") as info:
        await backend.run(AgentRequest(prompt="p", schema=FINDING))
    assert len(server.calls()) == FAST.reasks + 1
    assert info.value.usage is not None
    assert (info.value.usage.input_tokens, info.value.usage.output_tokens) == (30, 3)


async def test_max_turns_stops_an_agent_that_never_answers(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.default = Step.use(("read", {"path": "calc.py"}))
    with pytest.raises(BackendError, match="stopped at max_turns=3 without a final answer") as e:
        await backend.run(AgentRequest(prompt="p", max_turns=3))
    assert len(server.calls()) == 3
    assert [c.name for c in e.value.tool_calls] == ["read"] * 3
    assert e.value.usage is not None
    assert e.value.usage.total_tokens > 0


async def test_max_turns_defaults_to_the_configuration(server: FakeLLMServer,
                                                       project: Path) -> None:
    server.default = Step.use(("list", {}))
    config = Config(backoff=0.001, max_turns=2)
    async with create_backend(base_url=server.url, model="m", config=config, cwd=project) as b:
        with pytest.raises(BackendError, match="max_turns=2"):
            await b.run(AgentRequest(prompt="p"))


async def test_the_budget_gate_is_told_every_response_and_stops_the_agent_at_once(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.default = Step.use(("read", {"path": "calc.py"}), usage=(100, 5))
    seen: list[Usage] = []

    def gate(used: Usage) -> bool:
        seen.append(used)
        return len(seen) < 2

    with pytest.raises(BackendError, match="token budget was reached after 2 model turn") as e:
        await backend.run(AgentRequest(prompt="p", budget_gate=gate))
    assert [u.total_tokens for u in seen] == [105, 210]
    assert len(server.calls()) == 2
    assert e.value.usage is not None
    assert e.value.usage.total_tokens == 210
    assert [c.name for c in e.value.tool_calls] == ["read"]  # the second was never run


@pytest.mark.parametrize(("finish", "message"), [
    ("length", "cut off at the output limit"),
    ("", "no finish reason"),
    ("content_filter", "content filter"),
])
async def test_a_final_reply_cut_off_or_unfinished_fails_the_agent(
        server: FakeLLMServer, backend: OpenAIBackend, finish: str, message: str) -> None:
    server.script(Step.reply("half an answ", finish_reason=finish, usage=(7, 3)))
    with pytest.raises(BackendError, match=message) as info:
        await backend.run(AgentRequest(prompt="p"))
    assert info.value.usage is not None
    assert (info.value.usage.input_tokens, info.value.usage.output_tokens) == (7, 3)


async def test_a_refusal_fails_the_agent(server: FakeLLMServer,
                                         backend: OpenAIBackend) -> None:
    server.script(Step.refusal("no way"))
    with pytest.raises(BackendError, match="refused: no way"):
        await backend.run(AgentRequest(prompt="p"))


async def test_transient_errors_in_the_loop_are_retried_with_our_policy(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.script(Step.use(("list", {})), Step.error(429, retry_after="0"), Step.error(503),
                  Step.reply("done"))
    assert (await backend.run(AgentRequest(prompt="p"))).output == "done"
    assert len(server.calls()) == 4


async def test_client_errors_are_translated_with_the_tool_calls_so_far(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.script(Step.use(("list", {})), Step.error(401))
    with pytest.raises(BackendError, match="HTTP 401") as info:
        await backend.run(AgentRequest(prompt="p"))
    assert [c.name for c in info.value.tool_calls] == ["list"]


async def test_a_reported_cost_is_believed(server: FakeLLMServer,
                                           backend: OpenAIBackend) -> None:
    server.script(Step.use(("list", {}), cost=0.25), Step.reply("done", cost=0.5))
    assert (await backend.run(AgentRequest(prompt="p"))).usage.cost_usd == pytest.approx(0.75)


async def test_usage_without_a_report_is_estimated(server: FakeLLMServer,
                                                   backend: OpenAIBackend) -> None:
    server.script(Step.reply("an answer", usage=None))
    usage = (await backend.run(AgentRequest(prompt="p" * 400))).usage
    assert usage.estimated
    assert usage.input_tokens >= 100


async def test_a_made_up_tool_or_bad_arguments_go_back_to_the_model(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.script(Step.use(("delete_everything", {})), Step.use(("read", {"offset": 1})),
                  Step.reply("done"))
    result = await backend.run(AgentRequest(prompt="p"))
    assert result.output == "done"
    assert [c.name for c in result.tool_calls] == ["delete_everything", "read"]
    assert all(c.error for c in result.tool_calls)
    assert "path" in (result.tool_calls[1].error or "")


async def test_long_arguments_are_recorded_cut(server: FakeLLMServer, project: Path) -> None:
    text = "x" * 5000
    server.script(Step.use(("write", {"path": "big.txt", "content": text})), Step.reply("done"))
    config = Config(backoff=0.001, tools=("write",))
    async with create_backend(base_url=server.url, model="m", config=config, cwd=project) as b:
        result = await b.run(AgentRequest(prompt="p"))
    assert (project / "big.txt").read_text() == text
    recorded: Any = result.tool_calls[0].arguments
    assert recorded["content"].startswith("x" * 1000)
    assert "4,000 more characters not recorded" in recorded["content"]
    assert len(recorded["content"]) < 1100


async def test_writes_to_the_run_store_are_refused(server: FakeLLMServer,
                                                   project: Path) -> None:
    server.script(Step.use(("write", {"path": ".flowdsl/runs.db", "content": "x"})),
                  Step.reply("done"))
    config = Config(backoff=0.001, tools=("write",))
    async with create_backend(base_url=server.url, model="m", config=config, cwd=project) as b:
        result = await b.run(AgentRequest(prompt="p"))
    assert "protected" in (result.tool_calls[0].error or "")
    assert not (project / ".flowdsl" / "runs.db").exists()


async def test_web_search_is_not_offered_and_the_prompt_says_so(
        server: FakeLLMServer, backend: OpenAIBackend, project: Path) -> None:
    (project / ".flowdsl" / "agents" / "surfer.md").write_text(
        "---\ntools: WebSearch, Read\n---\nSurf.")
    await backend.run(AgentRequest(prompt="p", agent_type="surfer"))
    body = server.calls()[0].body
    assert offered(server) == ["read"]
    assert "You have no web access in this run" in body["messages"][0]["content"]
    assert "web_search_options" not in body


async def test_web_tools_alone_unavailable_fall_back_to_one_completion_saying_so(
        server: FakeLLMServer, backend: OpenAIBackend, project: Path) -> None:
    (project / ".flowdsl" / "agents" / "surfer.md").write_text("---\ntools: WebSearch\n---\nS.")
    await backend.run(AgentRequest(prompt="p", agent_type="surfer"))
    body = server.calls()[0].body
    assert "tools" not in body
    assert "You have no web access in this run" in body["messages"][0]["content"]


async def test_agent_types_are_found_in_claude_agents(server: FakeLLMServer,
                                                      tmp_path: Path) -> None:
    project = make_project(tmp_path, agents_dir=".claude")
    async with create_backend(base_url=server.url, model="m", config=FAST, cwd=project) as b:
        await b.run(AgentRequest(prompt="p", agent_type="fixer"))
    assert offered(server) == ["read", "grep", "edit", "bash"]
    assert "You fix bugs." in server.calls()[0].body["messages"][0]["content"]


async def test_effort_reaches_the_request(server: FakeLLMServer, project: Path) -> None:
    async with create_backend(base_url=server.url, model="o4-mini", config=FAST,
                              cwd=project) as b:
        await b.run(AgentRequest(prompt="p", effort="low"))
    assert server.calls()[0].body["reasoning_effort"] == "low"


async def test_cancelling_the_agent_cancels_the_request_in_flight(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.script(Step.use(("list", {})), Step.hang())
    with pytest.raises(TimeoutError), anyio.fail_after(1.0):
        await backend.run(AgentRequest(prompt="p"))
    with anyio.fail_after(5):
        assert await anyio.to_thread.run_sync(server.wait_disconnects, 1)


async def test_a_final_answer_over_the_budget_is_kept(server: FakeLLMServer,
                                                      backend: OpenAIBackend) -> None:
    server.script(Step.use(("read", {"path": "calc.py"}), usage=(100, 5)),
                  Step.reply("the answer", usage=(100, 5)))
    seen: list[Usage] = []

    def gate(used: Usage) -> bool:
        seen.append(used)
        return len(seen) < 2  # the answer's own response crosses the budget

    result = await backend.run(AgentRequest(prompt="p", budget_gate=gate))
    assert result.output == "the answer"
    assert result.usage.total_tokens == 210
