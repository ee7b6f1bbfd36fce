"""``flowdsl run`` exports its trace over OTLP/HTTP: a real CLI process, a loopback
collector decoding the protobuf payload, a collector that is not there, a missing extra."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from flowdsl._cli import main

WORKFLOW = '''\
meta = {"name": "exported", "description": "two phases, a fan-out",
        "phases": [{"title": "Ask"}, {"title": "Fan"}]}
phase("Ask")
first = await agent("Say hello", label="greeter")
phase("Fan")
return await parallel(agent(f"Part {i}", label=f"part {i}") for i in range(3))
'''

SPANS = {"invoke_workflow exported", "phase Ask", "phase Fan", "invoke_agent greeter",
         "invoke_agent part 0", "invoke_agent part 1", "invoke_agent part 2"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "x.flow.py").write_text(WORKFLOW, encoding="utf-8")
    return folder


def flowdsl(project: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "flowdsl", *argv], cwd=project,
                          env=environment, capture_output=True, text=True, timeout=180,
                          check=False)


def attributes(span: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for kv in span.attributes:
        kind = kv.value.WhichOneof("value")
        values[kv.key] = getattr(kv.value, kind) if kind else None
    return values


def test_a_cli_run_sends_every_span_before_it_exits(project: Path, receiver: Any) -> None:
    proc = flowdsl(project, "run", "x.flow.py", "--backend", "simulate",
                   OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url,
                   OTEL_EXPORTER_OTLP_HEADERS="Authorization=Basic cGs6c2s=")
    assert proc.returncode == 0, proc.stderr
    spans = receiver.spans()  # already here: nothing is waited for after the exit
    assert {s.name for s in spans} == SPANS
    assert {r.path for r in receiver.received} == {"/v1/traces"}
    assert {r.headers["authorization"] for r in receiver.received} == {"Basic cGs6c2s="}
    assert {r.headers["content-type"] for r in receiver.received} == {"application/x-protobuf"}
    resource = receiver.received[0].request.resource_spans[0].resource
    assert attributes(resource)["service.name"] == "flowdsl"
    assert len({s.trace_id for s in spans}) == 1
    named = {s.name: s for s in spans}
    root, fan = named["invoke_workflow exported"], named["phase Fan"]
    assert root.parent_span_id == b""
    assert named["invoke_agent part 1"].parent_span_id == fan.span_id
    run = attributes(root)
    assert run["gen_ai.operation.name"] == "invoke_workflow"
    assert run["flowdsl.run.status"] == "completed"
    assert run["flowdsl.run.id"]
    agent = attributes(named["invoke_agent greeter"])
    assert (agent["gen_ai.operation.name"], agent["gen_ai.provider.name"],
            agent["flowdsl.agent.outcome"]) == ("invoke_agent", "simulate", "ok")
    assert agent["gen_ai.usage.input_tokens"] > 0


def test_otel_service_name_names_the_service(project: Path, receiver: Any) -> None:
    proc = flowdsl(project, "run", "x.flow.py", "--backend", "simulate", "--otel",
                   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=receiver.url + "/v1/traces",
                   OTEL_SERVICE_NAME="nightly-audit")
    assert proc.returncode == 0, proc.stderr
    resource = receiver.received[0].request.resource_spans[0].resource
    assert attributes(resource)["service.name"] == "nightly-audit"


def test_no_otel_sends_nothing_even_with_an_endpoint_set(project: Path, receiver: Any) -> None:
    proc = flowdsl(project, "run", "x.flow.py", "--backend", "simulate", "--no-otel",
                   OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url)
    assert proc.returncode == 0, proc.stderr
    assert receiver.received == []


def test_a_background_run_exports_from_its_worker(project: Path, receiver: Any) -> None:
    started = flowdsl(project, "run", "x.flow.py", "--backend", "simulate", "--otel",
                      "--background", "--json", OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url)
    assert started.returncode == 0, started.stderr
    run_id = json.loads(started.stdout)["run_id"]
    waited = flowdsl(project, "runs", "result", run_id, "--wait", "--timeout", "120")
    assert waited.returncode == 0, waited.stderr
    assert {s.name for s in receiver.wait_for(len(SPANS))} == SPANS


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_collector_costs_a_bounded_wait_and_one_line(project: Path) -> None:
    began = time.monotonic()
    # the exporter alone would retry for a minute; the run waits at most FLUSH_SECONDS
    proc = flowdsl(project, "run", "x.flow.py", "--backend", "simulate", "--json",
                   OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{closed_port()}",
                   OTEL_EXPORTER_OTLP_TIMEOUT="60")
    elapsed = time.monotonic() - began
    assert proc.returncode == 0, proc.stderr
    assert '"status": "completed"' in proc.stdout
    assert elapsed < 40, elapsed
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("flowdsl: warning: OpenTelemetry: spans not sent")


def test_otel_without_the_extra_is_a_one_line_error(
        project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter",
                        None)  # import fails as it does without the package
    monkeypatch.chdir(project)
    code = main(["run", "x.flow.py", "--backend", "simulate", "--isolation", "inline", "--otel"])
    assert code == 2
    assert capsys.readouterr().err == (
        "flowdsl: error: --otel needs the otel extra: pip install 'flowdsl[otel]'\n")


def test_an_endpoint_without_the_extra_runs_untraced_with_a_notice(
        project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.chdir(project)
    code = main(["run", "x.flow.py", "--backend", "simulate", "--isolation", "inline", "--json"])
    assert code == 0
    err = capsys.readouterr().err
    assert err.startswith("flowdsl: notice: an OTLP endpoint is set but the otel extra")
    assert err.count("\n") == 1


def test_runs_resume_otel_traces_the_resumed_run_with_its_replays(
        project: Path, receiver: Any) -> None:
    (project / "fails.flow.py").write_text(
        WORKFLOW.replace('phase("Fan")', 'raise ValueError("not yet")'), encoding="utf-8")
    first = flowdsl(project, "run", "fails.flow.py", "--backend", "simulate", "--json",
                    "--no-otel", OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url)
    assert first.returncode == 1, first.stderr
    assert receiver.received == []  # stored untraced: the resume's --otel turns it on
    run_id = json.loads(first.stdout)["run_id"]
    resumed = flowdsl(project, "runs", "resume", run_id, "--foreground", "--otel",
                      "--script", "x.flow.py", "--json",
                      OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url)
    assert resumed.returncode == 0, resumed.stderr
    named = {s.name: s for s in receiver.spans()}
    assert set(named) == SPANS
    assert attributes(named["invoke_agent greeter"])["flowdsl.agent.outcome"] == "replayed"
    assert attributes(named["invoke_agent part 0"])["flowdsl.agent.outcome"] == "ok"
    assert attributes(named["invoke_workflow exported"])["flowdsl.run.id"] == run_id


def test_runs_resume_no_otel_keeps_a_traced_run_quiet(project: Path, receiver: Any) -> None:
    (project / "fails.flow.py").write_text(
        WORKFLOW.replace('phase("Fan")', 'raise ValueError("not yet")'), encoding="utf-8")
    first = flowdsl(project, "run", "fails.flow.py", "--backend", "simulate", "--json",
                    "--otel", OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url)
    assert first.returncode == 1, first.stderr
    receiver.received.clear()
    resumed = flowdsl(project, "runs", "resume", json.loads(first.stdout)["run_id"],
                      "--foreground", "--no-otel", "--script", "x.flow.py", "--json",
                      OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url)
    assert resumed.returncode == 0, resumed.stderr
    assert receiver.received == []
