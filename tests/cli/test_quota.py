"""Quota stops the run, resumably: the provider said the account cannot continue.

Through ``flowdsl run`` against the loopback fake model answering with OpenAI- and
Anthropic-shaped quota errors, and a stand-in ``claude`` CLI printing Claude Code's
usage-limit result: nothing new is dispatched, the run ends ``paused`` (exit 4) with the
reset time, and ``runs resume`` continues without re-running a finished agent.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flowdsl._cli import main

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "backends"))

from fakeserver import FakeLLMServer, Recorded, Step  # noqa: E402

OPENAI_QUOTA = {"error": {"message": "You exceeded your current quota, please check your plan "
                                     "and billing details.", "type": "insufficient_quota",
                          "code": "insufficient_quota"}}
FAN_OUT = 'return await parallel(agent(f"item {i}") for i in range(10))'


class QuotaAfter:
    """A model that answers ``ok`` ``n`` times, then refuses every request with ``refusal``
    until :meth:`lift` is called (or, with ``refusals``, after that many refusals)."""

    def __init__(self, n: int, refusal: Step, refusals: int | None = None) -> None:
        self.n = n
        self.refusal = refusal
        self.refusals = refusals
        self.lifted = False
        self._lock = threading.Lock()

    def __call__(self, rec: Recorded) -> Step:
        with self._lock:
            if self.lifted or self.n > 0:
                self.n -= 1
                return Step.reply("ok")
            if self.refusals is not None:
                self.refusals -= 1
                self.lifted = self.refusals <= 0
            return self.refusal

    def lift(self) -> None:
        self.lifted = True


@pytest.fixture
def server() -> Any:
    with FakeLLMServer() as fake:
        yield fake


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json"])
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return code, data


def openai_run(path: Path, server: FakeLLMServer, *flags: str) -> list[str]:
    return ["run", str(path), "--backend", "openai", "--base-url", server.url,
            "--model", "gpt-4.1", "--concurrency", "1", *flags]


def test_openai_quota_pauses_the_run_and_resume_finishes_it(
        capsys: pytest.CaptureFixture[str], script: Callable[..., Path],
        server: FakeLLMServer) -> None:
    model = QuotaAfter(3, Step.failure(429, OPENAI_QUOTA,
                                       (("x-ratelimit-reset-requests", "2h0m0s"),)))
    server.responder = model
    started = time.time()
    code, data = run_json(capsys, *openai_run(script(FAN_OUT), server))
    assert code == 4
    assert data["status"] == "paused"
    assert data["error_type"] == "QuotaExhausted"
    assert data["agents"] == {"total": 10, "ok": 3, "failed": 1, "refused": 6,
                              "cancelled": 0, "replayed": 0}
    assert len(server.calls()) == 4  # the quota 429 is not retried; nothing sent after it
    paused = data["paused"]
    assert paused["reason"] == "quota"
    assert paused["resets_at"] is not None
    assert started + 7200 - 60 < time_of(paused["resets_at"]) < time.time() + 7200 + 60

    code, status = run_json(capsys, "runs", "status", data["run_id"])
    assert status["status"] == "paused"
    assert status["paused"]["resets_at"] == paused["resets_at"]

    model.lift()
    code, resumed = run_json(capsys, "runs", "resume", data["run_id"], "--foreground")
    assert code == 0
    assert resumed["status"] == "completed"
    assert resumed["agents"]["replayed"] == 3
    assert resumed["agents"]["ok"] == 7
    assert len(server.calls()) == 4 + 7  # no finished agent ran again


def test_the_summary_says_paused_for_quota_and_how_to_go_on(
        capsys: pytest.CaptureFixture[str], script: Callable[..., Path],
        server: FakeLLMServer) -> None:
    server.responder = QuotaAfter(0, Step.failure(429, OPENAI_QUOTA))
    code = main(openai_run(script(FAN_OUT), server))
    err = capsys.readouterr().err
    assert code == 4
    assert "status: paused" in err
    assert "9 × refused: not sent" in err
    assert "exit 4: paused for quota; the provider gave no reset time; continue with " \
           "'flowdsl runs resume" in err


def test_anthropic_usage_limit_pauses_with_the_reset_it_names(
        capsys: pytest.CaptureFixture[str], script: Callable[..., Path],
        server: FakeLLMServer) -> None:
    server.responder = QuotaAfter(2, Step.failure(400, {"type": "error", "error": {
        "type": "invalid_request_error",
        "message": "You have reached your specified API usage limits. You will regain access "
                   "on 2027-01-01 at 00:00 UTC."}}))
    code, data = run_json(capsys, "run", str(script(FAN_OUT)), "--backend", "anthropic",
                          "--base-url", server.url, "--model", "claude-sonnet-4-5",
                          "--concurrency", "1")
    assert code == 4
    assert data["paused"] == {"reason": "quota", "resets_at": "2027-01-01T00:00:00+00:00"}
    assert data["agents"]["ok"] == 2
    assert len(server.calls("messages")) == 3


def test_402_pauses_and_agents_in_flight_finish_first(
        capsys: pytest.CaptureFixture[str], script: Callable[..., Path],
        server: FakeLLMServer) -> None:
    slow_ok = Step.reply("ok", latency=0.5)

    def model(rec: Recorded) -> Step:
        prompt = json.dumps(rec.body["messages"])
        return Step.failure(402, {"error": {"message": "payment required"}}) \
            if "item 0" in prompt else slow_ok

    server.responder = model
    code, data = run_json(capsys, *openai_run(script(FAN_OUT), server, "--concurrency", "3"))
    assert code == 4
    agents = data["agents"]
    assert agents["failed"] == 1
    assert agents["ok"] == 2  # items 1 and 2 were in flight: they finished and count
    assert agents["cancelled"] == 0
    assert agents["refused"] == 7


def test_a_cli_usage_limit_message_pauses_the_run(
        capsys: pytest.CaptureFixture[str], script: Callable[..., Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "claude"
    result = {"type": "result", "subtype": "success", "is_error": True,
              "result": "Claude AI usage limit reached|1798761600", "api_error_status": 429,
              "usage": {"input_tokens": 0, "output_tokens": 0}}
    fake.write_text(f"#!/bin/sh\necho '{json.dumps(result)}'\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    (tmp_path / "flowdsl.toml").write_text(f'[commands]\nclaude = "{fake}"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, data = run_json(capsys, "run", str(script(FAN_OUT)), "--backend", "claude",
                          "--concurrency", "1")
    assert code == 4
    assert data["paused"] == {"reason": "quota", "resets_at": "2027-01-01T00:00:00+00:00"}
    assert "usage limit" in data["error"]
    assert data["agents"]["refused"] == 9


def test_resume_after_quota_waits_for_the_reset_then_finishes(
        capsys: pytest.CaptureFixture[str], script: Callable[..., Path],
        server: FakeLLMServer) -> None:
    refusal = Step.failure(429, {"error": {"type": "usage_limit_reached", "message": "The "
                                           "usage limit has been reached",
                                           "resets_in_seconds": 1}})
    server.responder = QuotaAfter(4, refusal, refusals=1)  # the reset comes in 1 s
    started = time.monotonic()
    code, data = run_json(capsys, *openai_run(script(FAN_OUT), server, "--resume-after-quota"))
    assert code == 0
    assert data["status"] == "completed"
    assert data["agents"]["replayed"] == 4
    assert time.monotonic() - started >= 1.0  # it waited for the reset
    assert len(server.calls()) == 4 + 1 + 6


def test_stopping_a_paused_run_ends_it(capsys: pytest.CaptureFixture[str],
                                       script: Callable[..., Path],
                                       server: FakeLLMServer) -> None:
    server.responder = QuotaAfter(1, Step.failure(429, OPENAI_QUOTA))
    _, data = run_json(capsys, *openai_run(script(FAN_OUT), server))
    code, stopped = run_json(capsys, "runs", "stop", data["run_id"])
    assert code == 0
    assert stopped["status"] == "stopped"


def time_of(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()
