"""The openai backend through the real ``openai`` SDK and instructor against the fake server.

These agents are offered no tool (``tools = []``), so they take the single-completion path;
the tool-using loop is tested in ``test_agent_loop_openai.py``.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from fakeserver import FakeLLMServer, Step

from flowdsl._config import Config, Price
from flowdsl._types import AgentRequest, Usage
from flowdsl.backends import load_backend
from flowdsl.backends._openai import OpenAIBackend, create_backend
from flowdsl.errors import (
    AgentTypeError,
    BackendConfigError,
    BackendError,
    QuotaExhausted,
    RateLimited,
    SchemaError,
)

pytestmark = pytest.mark.anyio

FINDING = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
FAST = Config(backoff=0.001, reasks=2, aliases={"fast": "gpt-4o-mini"}, tools=())


def make(server: FakeLLMServer, **kw: Any) -> OpenAIBackend:
    kw["config"] = replace(kw.get("config", FAST), tools=())  # no tool: one completion
    kw.setdefault("model", "fast")
    return create_backend(base_url=server.url + "/v1", **kw)


@pytest.fixture
async def backend(server: FakeLLMServer) -> AsyncIterator[OpenAIBackend]:
    async with make(server) as b:
        yield b


def server_usage(server: FakeLLMServer) -> tuple[int, int]:
    return server.tokens


def ours(usage: Usage) -> tuple[int, int]:
    return usage.input_tokens, usage.output_tokens


async def test_text_agent_returns_the_message_text(server: FakeLLMServer,
                                                   backend: OpenAIBackend) -> None:
    server.script(Step.reply("hello there", usage=(12, 3)))
    result = await backend.run(AgentRequest(prompt="greet", label="greeter", phase="Intro"))
    assert result.output == "hello there"
    assert ours(result.usage) == (12, 3)
    assert not result.usage.estimated


async def test_prompt_carries_label_phase_and_alias_resolved_model(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    await backend.run(AgentRequest(prompt="do it", label="L1", phase="Review"))
    body = server.calls()[0].body
    assert body["model"] == "gpt-4o-mini"
    system, user = body["messages"]
    assert "'Review'" in system["content"]
    assert "'L1'" in system["content"]
    assert user == {"role": "user", "content": "do it"}


async def test_request_model_wins_over_the_default(server: FakeLLMServer,
                                                   backend: OpenAIBackend) -> None:
    await backend.run(AgentRequest(prompt="p", model="my-local-model"))
    assert server.calls()[0].body["model"] == "my-local-model"


async def test_cost_comes_from_genai_prices(server: FakeLLMServer,
                                             backend: OpenAIBackend) -> None:
    server.script(Step.reply("x", usage=(1_000_000, 1_000_000)))
    result = await backend.run(AgentRequest(prompt="p"))
    assert result.usage.cost_usd == pytest.approx(0.15 + 0.60)  # gpt-4o-mini's list price
    assert result.usage.cost_complete


async def test_a_configured_price_is_used_for_its_exact_name(server: FakeLLMServer) -> None:
    config = Config(backoff=0.001, prices={"tiny": Price(1.0, 2.0)})
    async with make(server, config=config, model="tiny") as b:
        server.script(Step.reply("x", usage=(500_000, 250_000)))
        result = await b.run(AgentRequest(prompt="p"))
    assert result.usage.cost_usd == pytest.approx(0.5 + 0.5)


async def test_an_unpriced_model_has_unknown_cost_and_warns_once(
        server: FakeLLMServer, backend: OpenAIBackend, caplog: pytest.LogCaptureFixture) -> None:
    for _ in range(2):
        server.script(Step.reply("x", usage=(30, 12)))
        result = await backend.run(AgentRequest(prompt="p", model="unpriced-local-model"))
        assert (result.usage.unpriced_tokens, result.usage.known_cost()) == (42, None)
    assert [r.getMessage() for r in caplog.records].count(
        "no price for model 'unpriced-local-model': its cost is unknown (shown as such, never "
        "$0); add it under [tool.flowdsl.prices] (USD per million input/output tokens)") == 1


async def test_reported_cost_is_believed(server: FakeLLMServer,
                                         backend: OpenAIBackend) -> None:
    server.script(Step.reply("x", usage=(10, 10), cost=0.125))
    assert (await backend.run(AgentRequest(prompt="p"))).usage.cost_usd == 0.125


async def test_missing_usage_is_estimated_and_marked(server: FakeLLMServer,
                                                     backend: OpenAIBackend) -> None:
    server.script(Step.reply("an answer of some length", usage=None))
    result = await backend.run(AgentRequest(prompt="p" * 400))
    assert result.usage.estimated
    assert result.usage.input_tokens >= 100
    assert result.usage.output_tokens > 0


async def test_schema_agent_sees_the_exact_schema_as_tool_parameters(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    schema = {"type": "object", "properties": {"b": {"type": "integer", "minimum": 3},
                                               "a": {"enum": ["x", "y"]}},
              "required": ["a", "b"], "additionalProperties": False}
    server.script(Step.tool({"a": "x", "b": 4}))
    result = await backend.run(AgentRequest(prompt="p", schema=schema))
    assert result.output == {"a": "x", "b": 4}
    (tool,) = server.calls()[0].body["tools"]
    assert tool["function"]["parameters"] == schema
    assert server.calls()[0].body["tool_choice"]["function"]["name"] == tool["function"]["name"]


async def test_json_schema_mode_asks_with_response_format(server: FakeLLMServer) -> None:
    server.script(Step.reply('{"ok": true}'))
    async with make(server, mode="json_schema") as b:
        result = await b.run(AgentRequest(prompt="p", schema=FINDING))
    assert result.output == {"ok": True}
    body = server.calls()[0].body
    assert "response_format" in body
    assert "tools" not in body


def test_an_unknown_mode_is_a_config_error(server: FakeLLMServer) -> None:
    with pytest.raises(BackendConfigError, match="'tools' or 'json_schema', got 'xml'"):
        make(server, mode="xml")


async def test_invalid_then_valid_output_is_reasked_once_with_the_errors(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.script(Step.tool({"ok": "yes"}, usage=(100, 10)),
                  Step.tool({"ok": True}, usage=(150, 5)))
    result = await backend.run(AgentRequest(prompt="p", schema=FINDING))
    assert result.output == {"ok": True}
    first, second = server.calls()
    feedback = json.dumps(second.body["messages"][len(first.body["messages"]):])
    assert "$.ok: 'yes' is not of type 'boolean'" in feedback
    assert ours(result.usage) == (250, 15) == server_usage(server)


async def test_reasks_are_bounded_n_reasks_mean_n_plus_one_requests(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.default = Step.tool({"ok": 1})
    with pytest.raises(BackendError, match="no valid structured output after 3") as info:
        await backend.run(AgentRequest(prompt="p", schema=FINDING))
    assert len(server.calls()) == FAST.reasks + 1 == 3
    assert info.value.usage is not None
    assert ours(info.value.usage) == server_usage(server)


async def test_malformed_tool_arguments_are_reasked(server: FakeLLMServer,
                                                    backend: OpenAIBackend) -> None:
    server.script(Step.tool("{not json"), Step.tool({"ok": False}))
    result = await backend.run(AgentRequest(prompt="p", schema=FINDING))
    assert result.output == {"ok": False}
    assert len(server.calls()) == 2


async def test_the_budget_hook_stops_reasks(server: FakeLLMServer) -> None:
    seen: list[Usage] = []

    def should_continue(usage: Usage) -> bool:
        seen.append(usage)
        return False

    server.default = Step.tool({"ok": "no"}, usage=(40, 2))
    async with make(server, should_continue=should_continue) as b:
        with pytest.raises(BackendError, match="budget") as info:
            await b.run(AgentRequest(prompt="p", schema=FINDING))
    assert len(server.calls()) == 1
    assert ours(seen[0]) == (40, 2)
    assert info.value.usage is not None
    assert ours(info.value.usage) == (40, 2)


async def test_the_requests_budget_gate_stops_reasks(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.default = Step.tool({"ok": "no"}, usage=(40, 2))
    seen: list[Usage] = []

    def gate(usage: Usage) -> bool:
        seen.append(usage)
        return False

    with pytest.raises(BackendError, match="budget") as info:
        await backend.run(AgentRequest(prompt="p", schema=FINDING, budget_gate=gate))
    assert len(server.calls()) == 1
    assert [ours(u) for u in seen] == [(40, 2)]
    assert info.value.usage is not None
    assert ours(info.value.usage) == (40, 2)


async def test_the_backends_own_gate_is_asked_instead_of_the_requests(
        server: FakeLLMServer) -> None:
    server.default = Step.tool({"ok": "no"})
    async with make(server, should_continue=lambda usage: True) as b:
        with pytest.raises(BackendError, match="no valid structured output"):
            await b.run(AgentRequest(prompt="p", schema=FINDING,
                                     budget_gate=lambda usage: False))
    assert len(server.calls()) == FAST.reasks + 1


async def test_non_object_schema_is_wrapped_and_unwrapped(server: FakeLLMServer,
                                                          backend: OpenAIBackend) -> None:
    schema = {"type": "array", "items": {"type": "string"}, "minItems": 1}
    server.script(Step.tool({"value": []}), Step.tool({"value": ["a", "b"]}))
    result = await backend.run(AgentRequest(prompt="p", schema=schema))
    assert result.output == ["a", "b"]
    params = server.calls()[0].body["tools"][0]["function"]["parameters"]
    assert params["properties"]["value"] == schema


async def test_invalid_schema_raises_schema_error_before_any_request(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    with pytest.raises(SchemaError):
        await backend.run(AgentRequest(prompt="p", schema={"type": "no-such-type"}))
    assert server.requests == []


async def test_429_and_500_are_retried_with_backoff_honouring_retry_after(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.script(Step.error(429, retry_after="0.2"), Step.error(500), Step.reply("fine"))
    start = time.monotonic()
    result = await backend.run(AgentRequest(prompt="p"))
    assert result.output == "fine"
    assert time.monotonic() - start >= 0.2
    assert len(server.calls()) == 3


async def test_retries_are_bounded_then_rate_limited(server: FakeLLMServer) -> None:
    server.default = Step.error(429, retry_after="0")
    config = Config(backoff=0.001, retries=2)
    async with make(server, config=config) as b:
        with pytest.raises(RateLimited):
            await b.run(AgentRequest(prompt="p"))
    assert len(server.calls()) == 3


async def test_insufficient_quota_is_not_retried_and_names_the_reset(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    body = {"error": {"message": "You exceeded your current quota, please check your plan and "
                                 "billing details.", "type": "insufficient_quota",
                      "code": "insufficient_quota"}}
    server.script(Step.failure(429, body, (("x-ratelimit-reset-requests", "1h2m"),)))
    start = time.time()
    with pytest.raises(QuotaExhausted, match="insufficient_quota") as info:
        await backend.run(AgentRequest(prompt="p"))
    assert len(server.calls()) == 1
    assert info.value.resets_at is not None
    assert start + 3720 <= info.value.resets_at <= time.time() + 3720


async def test_402_is_quota_not_configuration(server: FakeLLMServer,
                                              backend: OpenAIBackend) -> None:
    server.script(Step.failure(402, {"error": {"message": "add credits to continue"}}))
    with pytest.raises(QuotaExhausted, match="add credits"):
        await backend.run(AgentRequest(prompt="p"))
    assert len(server.calls()) == 1


async def test_client_errors_are_not_retried(server: FakeLLMServer,
                                             backend: OpenAIBackend) -> None:
    server.script(Step.error(401))
    with pytest.raises(BackendConfigError, match="HTTP 401"):
        await backend.run(AgentRequest(prompt="p"))
    assert len(server.calls()) == 1


async def test_malformed_body_is_a_failure_with_the_reason(server: FakeLLMServer,
                                                           backend: OpenAIBackend) -> None:
    server.script(Step.malformed())
    with pytest.raises(BackendError, match="malformed"):
        await backend.run(AgentRequest(prompt="p"))
    assert len(server.calls()) == 1


async def test_body_without_choices_is_malformed(server: FakeLLMServer,
                                                 backend: OpenAIBackend) -> None:
    server.script(Step.malformed(b'{"id": "x", "object": "chat.completion"}'))
    with pytest.raises(BackendError, match="malformed"):
        await backend.run(AgentRequest(prompt="p"))


@pytest.mark.parametrize("schema", [None, FINDING])
async def test_refusal_is_a_failure_with_the_reason(server: FakeLLMServer, backend: OpenAIBackend,
                                                    schema: dict[str, Any] | None) -> None:
    server.script(Step.refusal("no way"))
    with pytest.raises(BackendError, match="refused: no way"):
        await backend.run(AgentRequest(prompt="p", schema=schema))
    assert len(server.calls()) == 1


@pytest.mark.parametrize("stream", [False, True])
async def test_a_reply_cut_off_at_the_output_limit_is_a_failure_with_its_usage(
        server: FakeLLMServer, stream: bool) -> None:
    server.script(Step.reply("half an ans", finish_reason="length", usage=(30, 8)))
    async with make(server, config=Config(stream=stream, backoff=0.001)) as b:
        with pytest.raises(BackendError, match=r"cut off at the output limit "
                                               r"\(finish_reason=length\)") as info:
            await b.run(AgentRequest(prompt="p"))
    assert info.value.usage is not None
    assert ours(info.value.usage) == (30, 8) == server_usage(server)
    assert len(server.calls()) == 1


@pytest.mark.parametrize("stream", [False, True])
async def test_a_reply_without_a_finish_reason_is_a_failure(server: FakeLLMServer,
                                                            stream: bool) -> None:
    server.script(Step.reply("maybe the whole answer", finish_reason=""))
    async with make(server, config=Config(stream=stream, backoff=0.001)) as b:
        with pytest.raises(BackendError, match="no finish reason"):
            await b.run(AgentRequest(prompt="p"))


async def test_a_structured_reply_cut_off_at_the_output_limit_is_not_reasked(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.script(Step.tool({"ok": True}, finish_reason="length"))
    with pytest.raises(BackendError, match=r"cut off at the output limit"):
        await backend.run(AgentRequest(prompt="p", schema=FINDING))
    assert len(server.calls()) == 1


@pytest.mark.parametrize("stream", [False, True], ids=["content-length", "chunked-sse"])
async def test_a_body_cut_off_midway_is_reported_as_such(server: FakeLLMServer,
                                                          stream: bool) -> None:
    server.default = Step.truncated()
    async with make(server, config=Config(stream=stream, retries=0)) as b:
        with pytest.raises(BackendError, match="closed the connection before the response "
                                               "body was complete") as info:
            await b.run(AgentRequest(prompt="p"))
    assert "cannot reach" not in str(info.value)


async def test_a_body_cut_off_midway_is_retried(server: FakeLLMServer,
                                                backend: OpenAIBackend) -> None:
    server.script(Step.truncated(), Step.reply("whole"))
    assert (await backend.run(AgentRequest(prompt="p"))).output == "whole"
    assert len(server.calls()) == 2


async def test_a_hang_ends_at_the_timeout_and_the_request_is_cancelled(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.script(Step.hang())
    start = time.monotonic()
    with pytest.raises(TimeoutError), anyio.fail_after(0.3):
        await backend.run(AgentRequest(prompt="p"))
    assert 0.3 <= time.monotonic() - start < 1.5
    with anyio.fail_after(2):
        await anyio.to_thread.run_sync(server.wait_disconnects, 1)


async def test_peak_in_flight_equals_the_limiter_and_tokens_match(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.latency = 0.03
    limiter = anyio.CapacityLimiter(8)
    totals: list[Usage] = []

    async def one(i: int) -> None:
        async with limiter:
            totals.append((await backend.run(AgentRequest(prompt=f"task {i}"))).usage)

    async with anyio.create_task_group() as tg:
        for i in range(40):
            tg.start_soon(one, i)
    assert server.peak_in_flight == 8
    total = sum(totals, Usage())
    assert ours(total) == server_usage(server)


def test_one_backend_serves_successive_event_loops_and_closes_its_clients(
        server: FakeLLMServer) -> None:
    backend = make(server)  # never aclose()d: each loop closes its own client at shutdown

    async def once() -> Any:
        return (await backend.run(AgentRequest(prompt="p"))).output

    assert anyio.run(once) == anyio.run(once) == "ok"
    gc.collect()  # an unclosed socket would raise ResourceWarning here (filterwarnings=error)


async def test_agent_type_loads_the_agent_definition(server: FakeLLMServer,
                                                     tmp_path: Path) -> None:
    agents = tmp_path / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "critic.md").write_text("---\nname: critic\n---\nYou are a harsh critic.\n")
    async with make(server, cwd=tmp_path) as backend:
        await backend.run(AgentRequest(prompt="p", agent_type="critic"))
    assert "You are a harsh critic." in server.calls()[0].body["messages"][0]["content"]


async def test_unknown_agent_type_fails_before_any_request(server: FakeLLMServer,
                                                           tmp_path: Path) -> None:
    async with make(server, cwd=tmp_path) as backend:
        with pytest.raises(AgentTypeError, match="agent_type 'nope'"):
            await backend.run(AgentRequest(prompt="p", agent_type="nope"))
    assert server.requests == []


async def test_effort_is_sent_as_reasoning_effort(server: FakeLLMServer,
                                                  backend: OpenAIBackend) -> None:
    await backend.run(AgentRequest(prompt="p", effort="low"))
    assert server.calls()[0].body["reasoning_effort"] == "low"


async def test_no_model_anywhere_is_a_config_error(server: FakeLLMServer) -> None:
    async with create_backend(base_url=server.url, config=Config()) as b:
        with pytest.raises(BackendConfigError, match="--model"):
            await b.run(AgentRequest(prompt="p"))


def test_nothing_configured_lists_what_to_set() -> None:
    with pytest.raises(BackendConfigError) as info:
        create_backend(config=Config())
    for hint in ("OPENAI_API_KEY", "--base-url", "FLOWDSL_OPENAI_BASE_URL", "OPENAI_BASE_URL",
                 "[tool.flowdsl]"):
        assert hint in str(info.value)


@pytest.mark.parametrize(
    ("arg", "config_url", "env", "expected"),
    [
        ("http://arg", "http://cfg", {"FLOWDSL_OPENAI_BASE_URL": "http://fl"}, "http://arg"),
        (None, "http://cfg", {"FLOWDSL_OPENAI_BASE_URL": "http://fl"}, "http://cfg"),
        (None, None, {"FLOWDSL_OPENAI_BASE_URL": "http://fl", "OPENAI_BASE_URL": "http://o"},
         "http://fl"),
        (None, None, {"OPENAI_BASE_URL": "http://o"}, "http://o"),
    ],
)
def test_base_url_precedence(monkeypatch: pytest.MonkeyPatch, arg: str | None,
                             config_url: str | None, env: dict[str, str], expected: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    backend = create_backend(base_url=arg, config=Config(base_url=config_url))
    assert backend.base_url == expected


def test_api_key_alone_configures_api_openai_com(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    backend = create_backend(config=Config(model="gpt-4.1"))
    assert (backend.api_key, backend.base_url, backend.model) == ("sk-test", None, "gpt-4.1")


async def test_load_backend_builds_it_by_name(server: FakeLLMServer) -> None:
    backend = load_backend("openai", base_url=server.url, model="m", config=FAST)
    assert isinstance(backend, OpenAIBackend)
    try:
        assert (await backend.run(AgentRequest(prompt="p"))).output == "ok"
    finally:
        await backend.aclose()


async def test_streamed_text_agent_takes_usage_from_the_last_chunk(
        server: FakeLLMServer) -> None:
    async with make(server, config=Config(stream=True, backoff=0.001)) as b:
        server.script(Step.error(503), Step.reply("a long streamed answer", usage=(21, 5)))
        result = await b.run(AgentRequest(prompt="p"))
    assert result.output == "a long streamed answer"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (21, 5)
    assert not result.usage.estimated
    last = server.calls()[-1].body
    assert last["stream"] is True
    assert last["stream_options"] == {"include_usage": True}


async def test_streamed_answer_without_usage_chunk_is_estimated(server: FakeLLMServer) -> None:
    async with make(server, config=Config(stream=True)) as b:
        server.script(Step.reply("text", usage=None))
        assert (await b.run(AgentRequest(prompt="p"))).usage.estimated


async def test_streaming_fake_chat_completions_speaks_sse_with_usage(
        server: FakeLLMServer) -> None:
    from openai import AsyncOpenAI

    server.script(Step.reply("streamed text", usage=(7, 3)))
    async with AsyncOpenAI(api_key="k", base_url=server.url + "/v1", max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "p"}], stream=True,
            stream_options={"include_usage": True})
        parts: list[str] = []
        usage: Any = None
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
            if chunk.usage is not None:
                usage = chunk.usage
    assert "".join(parts) == "streamed text"
    assert (usage.prompt_tokens, usage.completion_tokens) == (7, 3)
