"""``flowdsl mcp --http PORT``: streamable HTTP on 127.0.0.1 behind a bearer token, driven
by the MCP SDK's own client (and plain HTTP for what a client without the token gets)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

pytestmark = pytest.mark.anyio

FAN = '''meta = {"name": "fan", "description": "two agents"}
outs = await parallel(agent(f"task {i}") for i in range(2))
return len(outs)
'''

TOKEN = "t0ken-for-the-tests-0123456789"
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+)/mcp)")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class HttpServer:
    url: str
    token: str
    line: str
    process: subprocess.Popen[str]


def _start(project: Path, env: dict[str, str], *args: str) -> HttpServer:
    process = subprocess.Popen(
        [sys.executable, "-m", "flowdsl", "mcp", "--backend", "simulate", "--http", "0", *args],
        cwd=project, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    line = process.stderr.readline()  # the server says where it listens before serving
    found = LISTENING.search(line)
    if found is None:
        process.kill()
        pytest.fail(f"no 'listening on' line: {line!r}")
    token = env.get("FLOWDSL_MCP_TOKEN") or line.split("bearer token ")[1].split(" ")[0]
    return HttpServer(url=found.group(1), token=token, line=line, process=process)


def _stop(server: HttpServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    assert server.process.stderr is not None
    server.process.stderr.close()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("FLOWDSL_STORE", "FLOWDSL_MCP_TOKEN")}
    return {**env, **extra}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


@pytest.fixture
def server(project: Path) -> Iterator[HttpServer]:
    started = _start(project, _env(FLOWDSL_MCP_TOKEN=TOKEN))
    try:
        yield started
    finally:
        _stop(started)


@asynccontextmanager
async def _client(server: HttpServer, token: str | None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with httpx2.AsyncClient(headers=headers, timeout=60) as http, \
            Client(streamable_http_client(server.url, http_client=http)) as client:
        yield client


async def _call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def test_with_the_token_a_client_runs_a_workflow_to_its_end(server: HttpServer) -> None:
    async with _client(server, TOKEN) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        started = await _call(client, "workflow_run", script=FAN)
        status = await _call(client, "workflow_status", run_id=started["run_id"],
                             wait_seconds=30)
        result = await _call(client, "workflow_result", run_id=started["run_id"])
    assert "workflow_run" in names
    assert status["status"] == "completed"
    assert result["result"] == 2


@pytest.mark.parametrize("token", [None, "wrong-token-of-some-length", TOKEN + "x"])
async def test_a_request_without_the_right_token_is_refused(server: HttpServer,
                                                            token: str | None) -> None:
    headers = {"Content-Type": "application/json",
               "Accept": "application/json, text/event-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    async with httpx2.AsyncClient(timeout=30) as http:
        response = await http.post(server.url, json=body, headers=headers)
    assert response.status_code == 401
    assert "workflow_run" not in response.text


async def test_the_sdk_client_without_the_token_cannot_connect(server: HttpServer) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 — whatever the SDK raises: no session
        async with _client(server, "wrong-token-of-some-length") as client:
            await client.list_tools()


def test_it_listens_on_loopback_only(server: HttpServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")


async def test_without_a_token_in_the_environment_one_is_generated_and_printed_once(
        project: Path) -> None:
    started = _start(project, _env())
    try:
        assert "bearer token " in started.line
        assert len(started.token) >= 32
        async with _client(started, started.token) as client:
            assert (await client.list_tools()).tools
    finally:
        _stop(started)


@pytest.mark.parametrize("token", ["short", "has a space in it, long enough"])
def test_a_weak_token_in_the_environment_is_refused(project: Path, token: str) -> None:
    done = subprocess.run([sys.executable, "-m", "flowdsl", "mcp", "--http", "0"], cwd=project,
                          env=_env(FLOWDSL_MCP_TOKEN=token), capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "FLOWDSL_MCP_TOKEN must be at least 16" in done.stderr


def test_a_port_in_use_is_a_one_line_error(project: Path, server: HttpServer) -> None:
    port = server.url.split(":")[2].split("/")[0]
    done = subprocess.run([sys.executable, "-m", "flowdsl", "mcp", "--http", port],
                          cwd=project, env=_env(FLOWDSL_MCP_TOKEN=TOKEN), capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith(f"flowdsl: error: --http {port}: cannot listen")
