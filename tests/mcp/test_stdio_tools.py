"""``flowdsl mcp`` over stdio, driven by the MCP SDK's own client: every tool, and the bad
inputs that must come back as one-line tool errors (never a crash of the server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from flowdsl._mcp._scripts import MAX_SCRIPT_CHARS
from flowdsl._mcp._server import INSTRUCTIONS

pytestmark = pytest.mark.anyio

TOOLS = {"workflow_validate", "workflow_run", "workflow_status", "workflow_events",
         "workflow_result", "workflow_stop", "workflow_pause", "workflow_resume",
         "workflow_list", "workflows_saved"}

FAN = '''meta = {"name": "Fan Three", "description": "three agents", "whenToUse": "tests",
        "phases": [{"title": "Fan"}]}
phase("Fan")
outs = await parallel(agent(f"task {i}", label=f"t{i}") for i in range(3))
log("fanned out")
return {"n": len(outs)}
'''

SLOW_BACKEND = '''
import anyio
from flowdsl import AgentResult, Usage

class Slow:
    async def run(self, request):
        await anyio.sleep(0.3)
        return AgentResult(output="done " + request.prompt, usage=Usage(output_tokens=1))

def make():
    return Slow()
'''

SLOW = '''meta = {"name": "slow", "description": "twenty slow agents one by one"}
outs = []
for i in range(20):
    outs.append(await agent(f"step {i}", label=f"s{i}"))
return len(outs)
'''


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "slow.py").write_text(SLOW_BACKEND)
    monkeypatch.delenv("FLOWDSL_STORE", raising=False)
    return folder


@asynccontextmanager
async def connected(project: Path, backend: str = "simulate") -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "flowdsl", "mcp", "--backend", backend],
        cwd=str(project), env={k: v for k, v in os.environ.items() if k != "FLOWDSL_STORE"})
    async with Client(params) as client:
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text  # type: ignore[union-attr]
    assert not result.is_error, text
    assert "\n" not in text
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def refused(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    text: str = result.content[0].text  # type: ignore[union-attr]
    assert "\n" not in text
    assert text.startswith(f"{tool}: ")
    return text


def saved_script(path: str, project: Path) -> str:
    """The text of a script the server saved (it must be under the store's scripts/)."""
    assert Path(path).parent == project / ".flowdsl" / "scripts"
    return Path(path).read_text()


def flowdsl_cli(project: Path, *argv: str) -> Any:
    done = subprocess.run([sys.executable, "-m", "flowdsl", *argv, "--json"], cwd=project,
                          capture_output=True, text=True, timeout=60, check=False)
    return json.loads(done.stdout)


async def test_the_ten_tools_are_listed_with_schemas_and_annotations(project: Path) -> None:
    async with connected(project) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    assert tools["workflow_status"].input_schema["required"] == ["run_id"]
    assert tools["workflow_status"].input_schema["properties"]["wait_seconds"]["maximum"] == 30
    assert tools["workflow_events"].input_schema["properties"]["limit"]["maximum"] == 1000
    annotations = {name: t.annotations for name, t in tools.items()}
    assert all(annotations[n].read_only_hint for n in ("workflow_status", "workflow_events",
                                                       "workflow_result", "workflow_list",
                                                       "workflows_saved", "workflow_validate"))
    assert annotations["workflow_stop"].destructive_hint
    assert not annotations["workflow_run"].read_only_hint
    assert not annotations["workflow_run"].destructive_hint


def test_the_instructions_fit_what_hosts_inject() -> None:
    assert len(INSTRUCTIONS) <= 512
    assert "flowdsl://guide" in INSTRUCTIONS


async def test_validate_gives_meta_phases_and_a_dry_run_projection(project: Path) -> None:
    async with connected(project) as client:
        found = await call(client, "workflow_validate", script=FAN)
    assert found["ok"] is True
    assert (found["name"], found["phases"], found["whenToUse"]) == ("Fan Three", ["Fan"],
                                                                    "tests")
    assert found["dry_run"]["agents"] == 3
    assert found["dry_run"]["input_tokens"] > 0
    assert not (project / ".flowdsl" / "scripts").exists()  # validating saves nothing


async def test_validate_reports_a_script_error_with_line_and_column(project: Path) -> None:
    async with connected(project) as client:
        found = await call(client, "workflow_validate",
                           script='meta = {"name": "x", "description": "y"}\nx = (1,\n')
    assert found["ok"] is False
    (error,) = found["errors"]
    assert error["line"] == 2
    assert error["text"].startswith("script.flow.py:2:")


async def test_a_run_is_an_ordinary_durable_run_with_its_script_saved(project: Path) -> None:
    async with connected(project) as client:
        started = await call(client, "workflow_run", script=FAN)
        assert started["status"] == "running"
        status = await call(client, "workflow_status", run_id=started["run_id"],
                            wait_seconds=30)
        result = await call(client, "workflow_result", run_id=started["run_id"])
    assert saved_script(started["script_path"], project) == FAN
    assert status["status"] == "completed"
    assert status["ok"] is True
    assert status["agents"]["ok"] == 3
    assert status["phase"] == "Fan"
    assert result["result"] == {"n": 3}
    listed = flowdsl_cli(project, "runs", "list")
    assert [(r["run_id"], r["status"]) for r in listed] == [(started["run_id"], "completed")]


async def test_a_foreground_run_answers_with_the_result(project: Path) -> None:
    async with connected(project) as client:
        done = await call(client, "workflow_run", script=FAN, background=False)
    assert (done["status"], done["result"]) == ("completed", {"n": 3})


async def test_the_same_idempotency_key_returns_the_same_run(project: Path) -> None:
    async with connected(project) as client:
        first = await call(client, "workflow_run", script=FAN, idempotency_key="job-1")
        again = await call(client, "workflow_run", script=FAN, idempotency_key="job-1")
        other = await refused(client, "workflow_run", script=FAN.replace("3", "4"),
                              idempotency_key="job-1")
        await call(client, "workflow_status", run_id=first["run_id"], wait_seconds=30)
    assert again["run_id"] == first["run_id"]
    assert "other script" in other
    assert len(flowdsl_cli(project, "runs", "list")) == 1


@pytest.fixture
def saved_fan(project: Path) -> Path:
    (project / "fan.flow.py").write_text(FAN)
    subprocess.run([sys.executable, "-m", "flowdsl", "save", "fan.flow.py", "fan"],
                   cwd=project, check=True, capture_output=True, timeout=60)
    return project


async def test_a_run_by_saved_name_and_saved_workflows_as_list_and_prompts(
        saved_fan: Path) -> None:
    project = saved_fan
    async with connected(project) as client:
        saved = await call(client, "workflows_saved")
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        rendered = await client.get_prompt("fan", {"args": '{"x": 1}'})
        started = await call(client, "workflow_run", name="fan")
        status = await call(client, "workflow_status", run_id=started["run_id"],
                            wait_seconds=30)
    fan = next(w for w in saved["workflows"] if w["name"] == "fan")
    assert (fan["description"], fan["whenToUse"]) == ("three agents", "tests")
    assert {"fan", "review", "audit", "research"} <= set(prompts)
    text = rendered.messages[0].content.text  # type: ignore[union-attr]
    assert "workflow_run" in text
    assert '{"x": 1}' in text
    assert status["status"] == "completed"


async def test_events_come_in_pages_after_a_cursor(project: Path) -> None:
    async with connected(project) as client:
        started = await call(client, "workflow_run", script=FAN)
        await call(client, "workflow_status", run_id=started["run_id"], wait_seconds=30)
        everything = await call(client, "workflow_events", run_id=started["run_id"])
        first = await call(client, "workflow_events", run_id=started["run_id"], limit=1)
        rest = await call(client, "workflow_events", run_id=started["run_id"],
                          cursor=first["next_cursor"])
    texts = [e["text"] for e in everything["events"]]
    assert "Fan" in texts
    assert "fanned out" in texts
    assert first["more"] is True
    assert first["events"] + rest["events"] == everything["events"]
    assert rest["more"] is False


async def test_a_large_result_comes_in_pages_that_join_to_its_json(project: Path) -> None:
    script = ('meta = {"name": "big", "description": "a large result"}\n'
              'return ["x" * 100 for i in range(500)]\n')
    async with connected(project) as client:
        started = await call(client, "workflow_run", script=script)
        await call(client, "workflow_status", run_id=started["run_id"], wait_seconds=30)
        pages, offset = [], 0
        while offset is not None:
            page = await call(client, "workflow_result", run_id=started["run_id"],
                              offset=offset, limit=10_000)
            pages.append(page["result_json_page"])
            offset = page["next_offset"]
    assert len(pages) == 6
    assert json.loads("".join(pages)) == ["x" * 100] * 500


async def test_pause_resume_and_stop_a_run_then_resume_it_to_its_end(project: Path) -> None:
    async with connected(project, backend="slow:make") as client:
        started = await call(client, "workflow_run", script=SLOW, concurrency=1)
        run_id = started["run_id"]
        assert (await call(client, "workflow_pause", run_id=run_id))["status"] == "paused"
        assert (await call(client, "workflow_resume", run_id=run_id))["status"] == "running"
        running = await call(client, "workflow_status", run_id=run_id)
        stopped = await call(client, "workflow_stop", run_id=run_id)
        listed = await call(client, "workflow_list", status="stopped")
        resumed = await call(client, "workflow_run", resume_from_run_id=run_id)
        done = await call(client, "workflow_status", run_id=run_id, wait_seconds=30)
        result = await call(client, "workflow_result", run_id=run_id)
    assert running["status"] == "running"
    assert stopped["status"] == "stopped"
    assert [r["run_id"] for r in listed["runs"]] == [run_id]
    assert resumed["run_id"] == run_id
    assert done["status"] == "completed"
    assert result["result"] == 20


async def test_status_names_the_agents_running_now(project: Path) -> None:
    async with connected(project, backend="slow:make") as client:
        started = await call(client, "workflow_run", script=SLOW, concurrency=1)
        seen: set[str] = set()
        for _ in range(40):
            status = await call(client, "workflow_status", run_id=started["run_id"],
                                wait_seconds=0.2)
            seen.update(status["running"])
            if len(seen) >= 2:
                break
        await call(client, "workflow_stop", run_id=started["run_id"])
    assert len(seen) >= 2
    assert all(label.startswith("s") for label in seen)


@pytest.mark.parametrize("tool", ["workflow_status", "workflow_events", "workflow_result",
                                  "workflow_stop", "workflow_pause", "workflow_resume"])
async def test_an_unknown_run_id_is_a_one_line_error(project: Path, tool: str) -> None:
    async with connected(project) as client:
        await call(client, "workflow_run", script=FAN, background=False)  # a store exists
        text = await refused(client, tool, run_id="feedbeef")
    assert "no run 'feedbeef'" in text


BAD_INPUTS = [
    ("workflow_status", {"run_id": "x", "wait_seconds": 31}, "wait_seconds"),
    ("workflow_events", {"run_id": "x", "limit": 1001}, "limit"),
    ("workflow_status", {}, "run_id"),
    ("workflow_run", {}, "exactly one of script, script_path or name"),
    ("workflow_run", {"script": FAN, "name": "fan"}, "exactly one of"),
    ("workflow_run", {"script_path": "missing.flow.py"}, "missing.flow.py"),
    ("workflow_run", {"name": "nothing-saved"}, "no saved or bundled workflow"),
    ("workflow_run", {"script": "x" * (MAX_SCRIPT_CHARS + 1)}, "524288"),
    ("workflow_run", {"script": FAN, "budget": -1}, "budget"),
    ("workflow_validate", {"script": FAN, "script_path": "a.flow.py"}, "exactly one of"),
]


@pytest.mark.parametrize(("tool", "arguments", "said"), BAD_INPUTS)
async def test_bad_input_is_a_one_line_tool_error(project: Path, tool: str,
                                                  arguments: dict[str, Any], said: str) -> None:
    async with connected(project) as client:
        text = await refused(client, tool, **arguments)
        assert (await client.list_tools()).tools  # the server is still up
    assert said in text


async def test_a_script_error_points_into_the_saved_file(project: Path) -> None:
    async with connected(project) as client:
        text = await refused(client, "workflow_run", script='meta = {"name": "x"}\nx = (\n')
    where = text.removeprefix("workflow_run: ").split(": ")[0]
    path, line, _column = where.rsplit(":", 2)
    assert saved_script(path, project).startswith("meta")
    assert line == "2"


async def test_a_file_over_the_size_limit_is_refused(project: Path) -> None:
    (project / "huge.flow.py").write_text('meta = {"name": "h", "description": "h"}\n'
                                          + "#" * MAX_SCRIPT_CHARS + "\nreturn 1\n")
    async with connected(project) as client:
        text = await refused(client, "workflow_run", script_path="huge.flow.py")
    assert "the limit is 524,288" in text


async def test_no_backend_configured_starts_nothing(project: Path) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "flowdsl", "mcp"],
                                   cwd=str(project))
    async with Client(params) as client:
        text = await refused(client, "workflow_run", script=FAN)
        listed = await call(client, "workflow_list")
    assert "no backend configured" in text
    assert listed["runs"] == []


async def test_the_guide_is_a_resource(project: Path) -> None:
    async with connected(project) as client:
        listed = [str(r.uri) for r in (await client.list_resources()).resources]
        guide = await client.read_resource("flowdsl://guide")
    assert listed == ["flowdsl://guide"]
    text = guide.contents[0].text  # type: ignore[union-attr]
    assert "parallel(" in text
    assert "agent(" in text
