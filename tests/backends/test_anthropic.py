"""The anthropic backend through the real ``anthropic`` SDK and instructor against the fake."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest
from fakeserver import FakeLLMServer, Step

from flowdsl._config import Config
from flowdsl._types import AgentRequest, Usage
from flowdsl.backends._anthropic import AnthropicBackend, create_backend
from flowdsl.errors import BackendConfigError, BackendError, QuotaExhausted, RateLimited

pytestmark = pytest.mark.anyio

FINDING = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
MODEL = "claude-haiku-4-5"
FAST = Config(backoff=0.001, reasks=2, tools=())
"""No tool: these agents take the single-completion path (the loop: test_agent_loop_anthropic)."""


@pytest.fixture
async def backend(server: FakeLLMServer) -> AsyncIterator[AnthropicBackend]:
    async with create_backend(base_url=server.url, model=MODEL, config=FAST) as b:
        yield b


async def test_text_agent_returns_the_text_and_priced_usage(server: FakeLLMServer,
                                                            backend: AnthropicBackend) -> None:
    server.script(Step.reply("bonjour", usage=(1_000_000, 1_000_000)))
    result = await backend.run(AgentRequest(prompt="greet", label="g", phase="P"))
    assert result.output == "bonjour"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (1_000_000, 1_000_000)
    assert result.usage.cost_usd == pytest.approx(1.0 + 5.0)
    body = server.calls("messages")[0].body
    assert "'P'" in body["system"]
    assert body["messages"] == [{"role": "user", "content": "greet"}]
    assert body["max_tokens"] == FAST.max_tokens


async def test_schema_is_the_forced_tools_input_schema(server: FakeLLMServer,
                                                       backend: AnthropicBackend) -> None:
    server.script(Step.tool({"ok": True}))
    assert (await backend.run(AgentRequest(prompt="p", schema=FINDING))).output == {"ok": True}
    body = server.calls("messages")[0].body
    (tool,) = body["tools"]
    shown = {k: v for k, v in tool["input_schema"].items() if k not in ("title", "description")}
    assert shown == FINDING
    assert body["tool_choice"]["name"] == tool["name"]


async def test_invalid_then_valid_is_one_reask_via_tool_result(server: FakeLLMServer,
                                                               backend: AnthropicBackend) -> None:
    server.script(Step.tool({"ok": "x"}, usage=(50, 5)), Step.tool({"ok": False}, usage=(70, 4)))
    result = await backend.run(AgentRequest(prompt="p", schema=FINDING))
    assert result.output == {"ok": False}
    _first, second = server.calls("messages")
    feedback = second.body["messages"][-1]["content"][0]
    assert feedback["type"] == "tool_result"
    assert feedback["is_error"] is True
    assert "$.ok: 'x' is not of type 'boolean'" in feedback["content"]
    assert (result.usage.input_tokens, result.usage.output_tokens) == (120, 9) == server.tokens


async def test_reasks_are_bounded(server: FakeLLMServer, backend: AnthropicBackend) -> None:
    server.default = Step.tool({"ok": 0})
    with pytest.raises(BackendError, match="no valid structured output") as info:
        await backend.run(AgentRequest(prompt="p", schema=FINDING))
    assert len(server.calls("messages")) == 3
    usage = info.value.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens) == server.tokens


async def test_budget_hook_stops_reasks(server: FakeLLMServer) -> None:
    server.default = Step.tool({"ok": 0})
    b = create_backend(base_url=server.url, model=MODEL, config=FAST,
                       should_continue=lambda usage: False)
    async with b:
        with pytest.raises(BackendError, match="budget"):
            await b.run(AgentRequest(prompt="p", schema=FINDING))
    assert len(server.calls("messages")) == 1


async def test_refusal_is_a_failure(server: FakeLLMServer, backend: AnthropicBackend) -> None:
    server.script(Step.refusal("declined"))
    with pytest.raises(BackendError, match="refused: declined"):
        await backend.run(AgentRequest(prompt="p"))


async def test_overloaded_529_and_429_are_retried(server: FakeLLMServer,
                                                  backend: AnthropicBackend) -> None:
    server.script(Step.error(529), Step.error(429, retry_after="0"), Step.reply("made it"))
    assert (await backend.run(AgentRequest(prompt="p"))).output == "made it"
    assert len(server.calls("messages")) == 3


async def test_persistent_429_is_rate_limited(server: FakeLLMServer) -> None:
    server.default = Step.error(429, retry_after="0")
    async with create_backend(base_url=server.url, model=MODEL,
                              config=Config(backoff=0.001, retries=1, tools=())) as b:
        with pytest.raises(RateLimited):
            await b.run(AgentRequest(prompt="p"))
    assert len(server.calls("messages")) == 2


async def test_a_spent_usage_limit_is_quota_with_its_reset_time(
        server: FakeLLMServer, backend: AnthropicBackend) -> None:
    server.script(Step.failure(400, {"type": "error", "error": {
        "type": "invalid_request_error",
        "message": "You have reached your specified API usage limits. You will regain access "
                   "on 2027-01-01 at 00:00 UTC."}}))
    with pytest.raises(QuotaExhausted) as info:
        await backend.run(AgentRequest(prompt="p"))
    assert info.value.resets_at == datetime(2027, 1, 1, tzinfo=UTC).timestamp()
    assert len(server.calls("messages")) == 1


async def test_a_reply_cut_off_at_max_tokens_is_a_failure_with_its_usage(
        server: FakeLLMServer, backend: AnthropicBackend) -> None:
    server.script(Step.reply("half an ans", finish_reason="max_tokens", usage=(30, 8)))
    with pytest.raises(BackendError, match=r"cut off at the output limit "
                                           r"\(stop_reason=max_tokens, max_tokens=4096\)") as info:
        await backend.run(AgentRequest(prompt="p"))
    assert info.value.usage is not None
    assert (info.value.usage.input_tokens, info.value.usage.output_tokens) == (30, 8)


async def test_a_reply_without_a_stop_reason_is_a_failure(server: FakeLLMServer,
                                                          backend: AnthropicBackend) -> None:
    server.script(Step.reply("maybe the whole answer", finish_reason=""))
    with pytest.raises(BackendError, match="no stop reason"):
        await backend.run(AgentRequest(prompt="p"))


async def test_a_structured_reply_cut_off_at_max_tokens_is_not_reasked(
        server: FakeLLMServer, backend: AnthropicBackend) -> None:
    server.script(Step.tool({"ok": True}, finish_reason="max_tokens"))
    with pytest.raises(BackendError, match="cut off at the output limit"):
        await backend.run(AgentRequest(prompt="p", schema=FINDING))
    assert len(server.calls("messages")) == 1


async def test_a_body_cut_off_midway_is_reported_as_such(server: FakeLLMServer) -> None:
    server.default = Step.truncated()
    async with create_backend(base_url=server.url, model=MODEL,
                              config=Config(retries=0, tools=())) as b:
        with pytest.raises(BackendError, match="closed the connection before the response "
                                               "body was complete"):
            await b.run(AgentRequest(prompt="p"))


async def test_malformed_body_is_a_failure(server: FakeLLMServer,
                                           backend: AnthropicBackend) -> None:
    server.script(Step.malformed(b"<html>bad gateway</html>"))
    with pytest.raises(BackendError):
        await backend.run(AgentRequest(prompt="p"))


async def test_peak_in_flight_equals_the_limiter(server: FakeLLMServer,
                                                 backend: AnthropicBackend) -> None:
    server.latency = 0.03
    limiter = anyio.CapacityLimiter(6)
    usages: list[Usage] = []

    async def one(i: int) -> None:
        async with limiter:
            usages.append((await backend.run(AgentRequest(prompt=f"t{i}"))).usage)

    async with anyio.create_task_group() as tg:
        for i in range(24):
            tg.start_soon(one, i)
    total = sum(usages, Usage())
    assert server.peak_in_flight == 6
    assert (total.input_tokens, total.output_tokens) == server.tokens


def test_nothing_configured_lists_what_to_set() -> None:
    with pytest.raises(BackendConfigError, match="ANTHROPIC_API_KEY") as info:
        create_backend(config=Config())
    assert "ANTHROPIC_BASE_URL" in str(info.value)


async def test_fake_messages_sse_streams_with_the_sdk(server: FakeLLMServer) -> None:
    from anthropic import AsyncAnthropic

    server.script(Step.reply("streamed", usage=(9, 4)))
    async with AsyncAnthropic(api_key="k", base_url=server.url, max_retries=0) as client:
        async with client.messages.stream(model=MODEL, max_tokens=10,
                                          messages=[{"role": "user", "content": "p"}]) as s:
            message: Any = await s.get_final_message()
    assert message.content[0].text == "streamed"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (9, 4)


async def test_fake_messages_sse_streams_tool_use(server: FakeLLMServer) -> None:
    from anthropic import AsyncAnthropic

    server.script(Step.tool({"ok": True}))
    tools = [{"name": "final_result", "input_schema": FINDING}]
    async with AsyncAnthropic(api_key="k", base_url=server.url, max_retries=0) as client:
        async with client.messages.stream(model=MODEL, max_tokens=10, tools=tools,  # type: ignore[arg-type]
                                          messages=[{"role": "user", "content": "p"}]) as s:
            message: Any = await s.get_final_message()
    assert json.dumps(message.content[0].input) == json.dumps({"ok": True})
