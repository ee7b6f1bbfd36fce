"""The tool-using loop of the anthropic backend (Messages API) against the fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakeserver import FakeLLMServer, Step
from genai_prices import Usage as PricedUsage
from genai_prices import calc_price
from loopcase import ANSWER, CALLS, assert_fixed, make_project, python_on_path

from flowdsl._config import Config
from flowdsl._types import AgentRequest
from flowdsl.backends._anthropic import AnthropicBackend, create_backend
from flowdsl.errors import BackendError

pytestmark = pytest.mark.anyio

MODEL = "claude-haiku-4-5"
FAST = Config(backoff=0.001, reasks=2, max_tokens=1024)
FINDING = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    python_on_path(monkeypatch)
    return make_project(tmp_path)


@pytest.fixture
async def backend(server: FakeLLMServer, project: Path) -> AsyncIterator[AnthropicBackend]:
    async with create_backend(base_url=server.url, model=MODEL, config=FAST, cwd=project) as b:
        yield b


def tools(server: FakeLLMServer, index: int = 0) -> dict[str, dict[str, object]]:
    return {t["name"]: t for t in server.calls("messages")[index].body.get("tools", [])}


async def test_an_agent_reads_greps_edits_runs_and_is_refused(
        server: FakeLLMServer, backend: AnthropicBackend, project: Path) -> None:
    server.script(*(Step.use(*calls) for calls in CALLS), Step.reply(ANSWER))
    result = await backend.run(AgentRequest(prompt="fix add", agent_type="fixer"))
    assert_fixed(project, result, [r.body for r in server.calls("messages")])
    assert list(tools(server)) == ["read", "grep", "edit", "bash"]
    assert (result.usage.input_tokens, result.usage.output_tokens) == server.tokens


async def test_the_request_carries_system_prompt_and_max_tokens(
        server: FakeLLMServer, backend: AnthropicBackend) -> None:
    await backend.run(AgentRequest(prompt="fix add", agent_type="fixer", phase="Fix"))
    body = server.calls("messages")[0].body
    system = body["system"] if isinstance(body["system"], str) else body["system"][0]["text"]
    assert "'Fix'" in system
    assert "You fix bugs." in system
    assert body["max_tokens"] == FAST.max_tokens


async def test_cache_reads_and_writes_count_as_input_at_their_own_prices(
        server: FakeLLMServer, backend: AnthropicBackend) -> None:
    server.script(Step.reply("done", usage=(10, 5), cache=(100, 1000)))
    usage = (await backend.run(AgentRequest(prompt="p"))).usage
    assert (usage.input_tokens, usage.output_tokens) == (1110, 5)
    expected = calc_price(PricedUsage(input_tokens=1110, output_tokens=5, cache_write_tokens=100,
                                      cache_read_tokens=1000), MODEL, provider_id="anthropic")
    assert usage.cost_usd == pytest.approx(float(expected.total_price))
    assert usage.cost_usd < (1110 * 1.0 + 5 * 5.0) / 1_000_000  # reads cost a tenth


async def test_a_schema_agent_answers_through_the_verbatim_input_schema(
        server: FakeLLMServer, backend: AnthropicBackend) -> None:
    server.script(Step.use(("grep", {"pattern": "add"})),
                  Step.use(("final_result", {"ok": "no"})),
                  Step.use(("final_result", {"ok": True})))
    result = await backend.run(AgentRequest(prompt="p", schema=FINDING))
    assert result.output == {"ok": True}
    assert tools(server)["final_result"]["input_schema"] == FINDING
    (retry,) = [b for b in server.calls("messages")[2].body["messages"][-1]["content"]
                if b["type"] == "tool_result"]
    assert "$.ok: 'no' is not of type 'boolean'" in str(retry["content"])
    assert retry["is_error"] is True


async def test_web_search_runs_at_the_provider_when_granted(
        server: FakeLLMServer, backend: AnthropicBackend, project: Path) -> None:
    (project / ".flowdsl" / "agents" / "surfer.md").write_text(
        "---\ntools: WebSearch, Read\n---\nSurf.")
    await backend.run(AgentRequest(prompt="p", agent_type="surfer"))
    body = server.calls("messages")[0].body
    kinds = [t.get("type", "custom") for t in body["tools"]]
    assert any(k.startswith("web_search") for k in kinds)
    assert "no web access" not in str(body["system"])


@pytest.mark.parametrize(("stop", "message"), [
    ("max_tokens", "cut off at the output limit"),
    ("model_context_window_exceeded", "cut off"),
    ("", "no finish reason"),
])
async def test_a_reply_cut_off_or_unfinished_fails_the_agent(
        server: FakeLLMServer, backend: AnthropicBackend, stop: str, message: str) -> None:
    server.script(Step.reply("half an answ", finish_reason=stop, usage=(9, 4)))
    with pytest.raises(BackendError, match=message) as info:
        await backend.run(AgentRequest(prompt="p"))
    assert info.value.usage is not None
    assert (info.value.usage.input_tokens, info.value.usage.output_tokens) == (9, 4)


async def test_a_refusal_fails_the_agent(server: FakeLLMServer,
                                         backend: AnthropicBackend) -> None:
    server.script(Step.refusal("I won't."))
    with pytest.raises(BackendError, match=r"refused: I won't\."):
        await backend.run(AgentRequest(prompt="p"))


async def test_529_overloaded_is_retried(server: FakeLLMServer,
                                         backend: AnthropicBackend) -> None:
    server.script(Step.use(("list", {})), Step.error(529), Step.reply("done"))
    assert (await backend.run(AgentRequest(prompt="p"))).output == "done"
    assert len(server.calls("messages")) == 3


async def test_max_turns_stops_the_agent(server: FakeLLMServer,
                                         backend: AnthropicBackend) -> None:
    server.default = Step.use(("list", {}))
    with pytest.raises(BackendError, match="stopped at max_turns=2") as info:
        await backend.run(AgentRequest(prompt="p", max_turns=2))
    assert len(server.calls("messages")) == 2
    assert [c.name for c in info.value.tool_calls] == ["list", "list"]
