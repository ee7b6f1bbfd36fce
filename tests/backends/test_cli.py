"""The claude and codex backends: subprocess handling, and the real CLIs against the fake.

The subprocess tests need only ``sh``. The CLI tier runs the real ``@anthropic-ai/claude-code``
and ``@openai/codex`` npm packages, installed by ``.ci/run`` with ``npm install --prefix
$FLOWDSL_TEST_NPM_PREFIX`` (:mod:`npmcli`), against the fake server (``ANTHROPIC_BASE_URL``;
a private ``CODEX_HOME`` with a custom Responses-API provider). The tool policy under which
they run is tested in ``test_cli_policy.py``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from fakeserver import FakeLLMServer, Recorded, Step
from npmcli import npm_bin
from processes import wait_gone

from flowdsl._config import Config
from flowdsl._types import AgentRequest
from flowdsl.backends import _claude, _codex
from flowdsl.backends._subprocess import run_cli
from flowdsl.errors import BackendConfigError, BackendError, RateLimited

FINDING = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
           "additionalProperties": False}


def agent_homes() -> list[int]:
    """PIDs of live processes started with a flowdsl private HOME (leftovers = orphans)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if b"HOME=" in environ and b"flowdsl-agent-" in environ:
            pids.append(int(proc.name))
    return pids


# -- subprocess handling (no node needed) ---------------------------------------------------
@pytest.mark.anyio
async def test_cancellation_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = f"sleep 30 & echo $! > {pidfile}; wait"
    with anyio.move_on_after(0.5):
        await run_cli(["sh", "-c", script], env={"PATH": os.environ["PATH"]}, cwd=tmp_path,
                      time_limit=60)
    child = int(pidfile.read_text())
    assert await anyio.to_thread.run_sync(wait_gone, child)




@pytest.mark.anyio
async def test_time_limit_raises_backend_error_and_kills(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(BackendError, match=r"did not finish within 0\.3 s"):
        await run_cli(["sh", "-c", "sleep 30"], env={"PATH": os.environ["PATH"]},
                      cwd=tmp_path, time_limit=0.3)
    assert time.monotonic() - start < 3


@pytest.mark.anyio
async def test_a_leftover_background_tool_does_not_hold_the_run(tmp_path: Path) -> None:
    start = time.monotonic()
    out = await run_cli(["sh", "-c", "sleep 30 & echo done"], env={"PATH": os.environ["PATH"]},
                        cwd=tmp_path, time_limit=20)
    assert out.stdout.strip() == "done"
    assert time.monotonic() - start < 5


@pytest.mark.anyio
async def test_stdin_is_closed(tmp_path: Path) -> None:
    out = await run_cli(["sh", "-c", "cat; echo eof"], env={"PATH": os.environ["PATH"]},
                        cwd=tmp_path, time_limit=5)
    assert out.stdout.strip() == "eof"


def test_missing_cli_is_a_config_error_naming_the_package() -> None:
    with pytest.raises(BackendConfigError, match="@anthropic-ai/claude-code"):
        _claude.create_backend(command="no-such-claude-binary", config=Config())
    with pytest.raises(BackendConfigError, match="@openai/codex"):
        _codex.create_backend(config=Config(commands={"codex": "/nonexistent/codex"}))


def test_claude_error_result_is_a_failure_with_usage() -> None:
    backend = _claude.ClaudeBackend(command="claude", model=None, base_url=None, api_key=None,
                                    config=Config())
    result = {"type": "result", "subtype": "error_max_turns", "is_error": True,
              "result": "too many turns", "total_cost_usd": 0.5,
              "usage": {"input_tokens": 10, "output_tokens": 2}}
    with pytest.raises(BackendError, match="too many turns") as info:
        backend.parse(json.dumps(result), "", 1, AgentRequest(prompt="p"))
    assert info.value.usage is not None
    assert info.value.usage.cost_usd == 0.5


def test_claude_rate_limit_result_is_rate_limited() -> None:
    backend = _claude.ClaudeBackend(command="claude", model=None, base_url=None, api_key=None,
                                    config=Config())
    result = {"type": "result", "subtype": "success", "is_error": True, "result": "429",
              "api_error_status": 429}
    with pytest.raises(RateLimited):
        backend.parse(json.dumps(result), "", 1, AgentRequest(prompt="p"))


def test_claude_without_result_object_reports_stderr() -> None:
    backend = _claude.ClaudeBackend(command="claude", model=None, base_url=None, api_key=None,
                                    config=Config())
    with pytest.raises(BackendError, match="Invalid API key"):
        backend.parse("", "Invalid API key", 1, AgentRequest(prompt="p"))


def test_codex_turn_failed_is_a_failure() -> None:
    backend = _codex.CodexBackend(command="codex", model="gpt-4.1", base_url=None,
                                  api_key=None, config=Config())
    events = [{"type": "turn.started"},
              {"type": "turn.failed", "error": {"message": "stream disconnected"}}]
    with pytest.raises(BackendError, match="stream disconnected"):
        backend.parse("\n".join(map(json.dumps, events)), "", 1, AgentRequest(prompt="p"))


def codex_events(*events: dict[str, Any]) -> str:
    return "\n".join(map(json.dumps, events))


def test_codex_error_followed_by_a_completed_turn_is_recovered() -> None:
    backend = _codex.CodexBackend(command="codex", model="gpt-4.1", base_url=None,
                                  api_key=None, config=Config())
    stdout = codex_events(
        {"type": "turn.started"},
        {"type": "error", "message": "Reconnecting... 1/5 (stream disconnected)"},
        {"type": "item.completed", "item": {"type": "agent_message", "text": "hi"}},
        {"type": "turn.completed", "usage": {"input_tokens": 10, "output_tokens": 1}})
    assert backend.parse(stdout, "", 0, AgentRequest(prompt="p")).output == "hi"


def test_codex_error_without_a_later_completed_turn_is_a_failure() -> None:
    backend = _codex.CodexBackend(command="codex", model="gpt-4.1", base_url=None,
                                  api_key=None, config=Config())
    stdout = codex_events(
        {"type": "turn.completed", "usage": {"input_tokens": 10, "output_tokens": 1}},
        {"type": "item.completed", "item": {"type": "agent_message", "text": "hi"}},
        {"type": "error", "message": "stream disconnected: retries exhausted"})
    with pytest.raises(BackendError, match="retries exhausted"):
        backend.parse(stdout, "", 1, AgentRequest(prompt="p"))


def test_codex_usage_sums_turns_and_is_priced() -> None:
    backend = _codex.CodexBackend(command="codex", model="gpt-4.1", base_url=None,
                                  api_key=None, config=Config())
    events = [{"type": "turn.completed", "usage": {"input_tokens": 500_000, "output_tokens": 0}},
              {"type": "item.completed", "item": {"type": "agent_message", "text": "hi"}},
              {"type": "turn.completed", "usage": {"input_tokens": 500_000,
                                                   "output_tokens": 1_000_000}}]
    result = backend.parse("\n".join(map(json.dumps, events)), "", 0, AgentRequest(prompt="p"))
    assert result.output == "hi"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (1_000_000, 1_000_000)
    assert result.usage.cost_usd == pytest.approx(2.0 + 8.0)


# -- the real Claude Code CLI ---------------------------------------------------------------
def claude(server: FakeLLMServer, cwd: Path, **kw: Any) -> _claude.ClaudeBackend:
    return _claude.create_backend(command=npm_bin("claude"), base_url=server.url,
                                  api_key="sk-fake", model="claude-haiku-4-5",
                                  config=kw.pop("config", Config(timeout=60)), cwd=cwd, **kw)


def structured_then_done(rec: Recorded) -> Step:
    last = rec.body["messages"][-1]["content"]
    if isinstance(last, list) and any(c.get("type") == "tool_result" for c in last):
        return Step.reply("done")
    return Step.tool({"ok": True}, tool_name="StructuredOutput")


@pytest.mark.anyio
async def test_claude_text_agent_usage_and_cost(server: FakeLLMServer, tmp_path: Path) -> None:
    backend = claude(server, tmp_path)
    server.default = Step.reply("hello from the fake")
    result = await backend.run(AgentRequest(prompt="say hi", label="greeter", phase="Intro"))
    assert result.output == "hello from the fake"
    assert (result.usage.input_tokens, result.usage.output_tokens) == server.tokens
    assert result.usage.cost_usd > 0  # total_cost_usd from the CLI's result object
    assert not result.usage.estimated
    prompt = json.dumps(server.calls("messages")[-1].body["messages"])
    assert "greeter" in prompt
    assert "Intro" in prompt


@pytest.mark.anyio
async def test_claude_schema_agent_uses_json_schema(server: FakeLLMServer,
                                                    tmp_path: Path) -> None:
    backend = claude(server, tmp_path)
    server.responder = structured_then_done
    result = await backend.run(AgentRequest(prompt="judge", schema=FINDING))
    assert result.output == {"ok": True}
    tools = {t["name"]: t for t in server.calls("messages")[0].body["tools"]}
    assert tools["StructuredOutput"]["input_schema"] == FINDING


@pytest.mark.anyio
async def test_claude_agent_type_selects_the_agent_definition(server: FakeLLMServer,
                                                              tmp_path: Path) -> None:
    agents = tmp_path / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "critic.md").write_text(
        "---\nname: critic\ndescription: A harsh critic\n---\nYou are a HARSH CRITIC.\n")
    backend = claude(server, tmp_path)
    await backend.run(AgentRequest(prompt="review", agent_type="critic"))
    assert "HARSH CRITIC" in json.dumps(server.calls("messages")[-1].body.get("system"))


@pytest.mark.anyio
async def test_claude_hang_is_cancelled_without_orphans(server: FakeLLMServer,
                                                        tmp_path: Path) -> None:
    backend = claude(server, tmp_path)
    server.default = Step.hang()
    start = time.monotonic()
    with anyio.move_on_after(2):
        await backend.run(AgentRequest(prompt="p"))
    assert time.monotonic() - start < 8
    assert await anyio.to_thread.run_sync(server.wait_disconnects, 1)
    assert agent_homes() == []


# -- the real Codex CLI ---------------------------------------------------------------------
def codex(server: FakeLLMServer, cwd: Path) -> _codex.CodexBackend:
    return _codex.create_backend(command=npm_bin("codex"), base_url=server.url + "/v1",
                                 model="gpt-4.1", config=Config(timeout=60), cwd=cwd)


@pytest.mark.anyio
async def test_codex_text_agent_usage_from_turn_completed(server: FakeLLMServer,
                                                          tmp_path: Path) -> None:
    backend = codex(server, tmp_path)
    server.default = Step.reply("codex says hi", usage=(1000, 20))
    result = await backend.run(AgentRequest(prompt="say hi", label="L"))
    assert result.output == "codex says hi"
    assert (result.usage.input_tokens, result.usage.output_tokens) == server.tokens
    assert result.usage.cost_usd == pytest.approx(server.tokens[0] * 2e-6 + server.tokens[1] * 8e-6)
    body = server.calls("responses")[-1].body
    assert body["model"] == "gpt-4.1"
    assert "'L'" in json.dumps(body["input"])


@pytest.mark.anyio
async def test_codex_schema_agent_uses_output_schema(server: FakeLLMServer,
                                                     tmp_path: Path) -> None:
    backend = codex(server, tmp_path)
    server.default = Step.reply('{"ok": false}')
    result = await backend.run(AgentRequest(prompt="judge", schema=FINDING))
    assert result.output == {"ok": False}
    fmt = server.calls("responses")[-1].body["text"]["format"]
    assert fmt["schema"] == FINDING


@pytest.mark.anyio
async def test_codex_invalid_structured_output_is_a_failure(server: FakeLLMServer,
                                                            tmp_path: Path) -> None:
    backend = codex(server, tmp_path)
    server.default = Step.reply('{"ok": "maybe"}')
    with pytest.raises(BackendError, match="does not match the schema"):
        await backend.run(AgentRequest(prompt="judge", schema=FINDING))


@pytest.mark.anyio
async def test_codex_recovers_from_a_dropped_stream(server: FakeLLMServer,
                                                    tmp_path: Path) -> None:
    backend = codex(server, tmp_path)
    server.script(Step.truncated("cut off"))  # the CLI reports an error event, then retries
    server.default = Step.reply("after the retry")
    result = await backend.run(AgentRequest(prompt="p"))
    assert result.output == "after the retry"
    assert len(server.calls("responses")) == 2


@pytest.mark.anyio
async def test_codex_hang_is_cancelled_without_orphans(server: FakeLLMServer,
                                                       tmp_path: Path) -> None:
    backend = codex(server, tmp_path)
    server.default = Step.hang()
    with anyio.move_on_after(2):
        await backend.run(AgentRequest(prompt="p"))
    assert await anyio.to_thread.run_sync(server.wait_disconnects, 1)
    assert agent_homes() == []


if sys.platform != "linux":  # pragma: no cover - /proc is how orphans are found
    pytestmark = pytest.mark.skip(reason="the subprocess tests inspect /proc (Linux only)")
