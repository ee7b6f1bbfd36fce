"""``flowdsl mcp`` end to end under a real MCP host: the pinned Claude Code CLI.

Claude Code (``@anthropic-ai/claude-code``, installed by ``.ci/run`` under
``$FLOWDSL_TEST_NPM_PREFIX``, see :mod:`npmcli`) starts ``python -m flowdsl mcp`` from
``--mcp-config`` in a temporary project whose ``flowdsl.toml`` selects the simulate
backend, and talks to the loopback fake Anthropic Messages server (:mod:`fakeserver`).
The fake plays the model, answering from what each request holds rather than by order:

1. no tool result yet: call ``mcp__flowdsl__workflow_run`` with an inline fan-out script;
2. a ``workflow_run`` result: call ``mcp__flowdsl__workflow_status`` with the run id read
   from it and ``wait_seconds`` 30 (the server long-polls until the run ends);
3. a ``workflow_status`` result: answer with a final text naming the run.

Then: Claude Code exited 0 and printed the final text; the fake saw the MCP tools offered
and both tool results (the run id, status completed); ``flowdsl runs list`` / ``runs
result`` in the same project show the run completed with ``{"n": 3}``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "backends"))

from fakeserver import FakeLLMServer, Recorded, Step  # noqa: E402
from npmcli import npm_bin  # noqa: E402
from processes import wait_gone  # noqa: E402

from flowdsl._mcp._install import install  # noqa: E402

RUN = "mcp__flowdsl__workflow_run"
STATUS = "mcp__flowdsl__workflow_status"
RESULT = "mcp__flowdsl__workflow_result"
SCRIPT = (
    'meta = {"name": "e2e", "description": "fan out three simulated agents"}\n'
    'outs = await parallel(agent(f"task {i}") for i in range(3))\n'
    'return {"n": len(outs)}\n'
)
FINAL = "FLOWDSL-E2E-DONE run {run_id} is {status}"
RUN_ID = re.compile(r"\b[0-9a-f]{8}\b")
REMINDER = re.compile(r"\s*<system-reminder>.*?</system-reminder>\s*", re.DOTALL)


# -- reading the requests Claude Code sends --------------------------------------------------
def tool_names(rec: Recorded) -> set[str]:
    return {t.get("name", "") for t in rec.body.get("tools") or []}


def tool_uses(rec: Recorded) -> dict[str, dict[str, Any]]:
    """Every tool_use block in the conversation so far, by id."""
    found = {}
    for message in rec.body.get("messages") or []:
        content = message.get("content")
        if message.get("role") == "assistant" and isinstance(content, list):
            found.update({c["id"]: c for c in content if c.get("type") == "tool_use"})
    return found


def last_tool_result(rec: Recorded) -> tuple[str, dict[str, Any]] | None:
    """The newest tool_result block and the name of the tool it answers."""
    messages = rec.body.get("messages") or []
    if not messages or messages[-1].get("role") != "user":
        return None
    content = messages[-1].get("content")
    if not isinstance(content, list):
        return None
    results = [c for c in content if c.get("type") == "tool_result"]
    if not results:
        return None
    block = results[-1]
    use = tool_uses(rec).get(block.get("tool_use_id", ""), {})
    return use.get("name", "?"), block


def result_text(block: dict[str, Any]) -> str:
    """A tool_result's content as one text (a string, or its text blocks joined), without
    the ``<system-reminder>`` Claude Code appends (the tokens left)."""
    content = block.get("content")
    if isinstance(content, list):
        content = "\n".join(c.get("text", json.dumps(c)) for c in content
                            if isinstance(c, dict))
    elif not isinstance(content, str):
        content = json.dumps(content)
    return REMINDER.sub("\n", content).strip()


def run_id_in(text: str) -> str | None:
    """The run id in a tool result: a JSON ``run_id`` if there is one, else 8 hex digits."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if isinstance(value, dict) and isinstance(value.get("run_id"), str):
        return value["run_id"]
    match = RUN_ID.search(text)
    return match.group(0) if match else None


class Model:
    """The fake model's turns, chosen from each request's content (see the module doc)."""

    def __init__(self) -> None:
        self.run_id: str | None = None
        self.status_text: str | None = None
        self.run_text: str | None = None
        self.aside: list[Recorded] = []

    def __call__(self, rec: Recorded) -> Step:
        if RUN not in tool_names(rec):  # a side request (title, quota, ...): not the agent
            self.aside.append(rec)
            return Step.reply("ok")
        answered = last_tool_result(rec)
        if answered is None:
            return Step.use((RUN, {"script": SCRIPT}))
        name, block = answered
        text = result_text(block)
        if name == RUN:
            self.run_text = text
            self.run_id = run_id_in(text)
            if self.run_id is None or block.get("is_error"):
                return Step.reply(f"FLOWDSL-E2E-FAILED workflow_run said: {text}")
            return Step.use((STATUS, {"run_id": self.run_id, "wait_seconds": 30}))
        if name == STATUS:
            self.status_text = text
            status = "completed" if "completed" in text else "not completed"
            return Step.reply(FINAL.format(run_id=self.run_id, status=status))
        return Step.reply(f"FLOWDSL-E2E-FAILED unexpected tool result for {name}: {text}")


class Server(FakeLLMServer):
    """The fake with a fresh Messages id per reply (it sends ``msg_1`` every time, and
    Claude Code merges assistant replies that share an id into one turn)."""

    def __init__(self) -> None:
        super().__init__()
        base = self._httpd.RequestHandlerClass
        ids = itertools.count(1)

        def send_sse(handler: Any, events: Iterator[tuple[str | None, Any]]) -> None:
            def renamed() -> Iterator[tuple[str | None, Any]]:
                for event, data in events:
                    if event == "message_start":
                        data = {**data, "message": {**data["message"],
                                                    "id": f"msg_e2e_{next(ids)}"}}
                    yield event, data

            base.send_sse(handler, renamed())

        self._httpd.RequestHandlerClass = type("Handler", (base,), {"send_sse": send_sse})


# -- the project, the host's configuration and environment -----------------------------------
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "flowdsl.toml").write_text('backend = "simulate"\n', encoding="utf-8")
    return root


def mcp_config(tmp_path: Path) -> Path:
    """The entry ``flowdsl mcp install --host claude --print`` gives (what a user pastes
    into ``.mcp.json``): the host must start the server from exactly that."""
    outcome = install("claude", project_dir=tmp_path, home=tmp_path, print_only=True)
    assert json.loads(outcome.text)["mcpServers"]["flowdsl"]["args"][-2:] == ["flowdsl", "mcp"]
    path = tmp_path / "mcp.json"
    path.write_text(outcome.text, encoding="utf-8")
    return path


def host_env(home: Path, base_url: str) -> dict[str, str]:
    """A clean environment: a private HOME, the fake as the API, no telemetry or updates."""
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")}
    env.update({
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": "sk-fake",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "MCP_TIMEOUT": "60000",  # ms for the server to start (a loaded 2-core machine)
        "MCP_TOOL_TIMEOUT": "90000",  # ms for one tool call (workflow_status waits <= 30 s)
    })
    return env


def started_under(home: Path) -> list[int]:
    """Live processes whose HOME is ``home``: Claude Code's children (the MCP server, the
    runs it started) once Claude Code itself has exited."""
    marker = f"HOME={home}".encode() + b"\0"
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue
            if marker in environ:
                pids.append(int(proc.name))
    return pids


def mcp_log(home: Path) -> str:
    """Claude Code's log of the flowdsl server (connection, the server's stderr, calls)."""
    lines = []
    for path in sorted(home.glob(".cache/claude-cli-nodejs/*/mcp-logs-flowdsl/*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                entry = {"debug": line}
            lines.append(str(entry.get("error") or entry.get("debug") or entry))
    return "\n".join(lines)[-4000:]


def structured(text: str | None) -> dict[str, Any]:
    """A tool result as Claude Code (2.1.330) hands it to the model: a tool that returns
    ``structuredContent`` has that object as compact JSON text, its text content left out."""
    assert text is not None, "the fake model saw no such tool result"
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise AssertionError(f"not the structuredContent JSON: {text!r}") from None
    assert isinstance(value, dict), text
    return value


def flowdsl(cwd: Path, env: dict[str, str], *argv: str) -> Any:
    out = subprocess.run([sys.executable, "-m", "flowdsl", *argv, "--json"], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_claude_code_runs_a_workflow_through_flowdsl_mcp(tmp_path: Path) -> None:
    claude = npm_bin("claude")
    root = project(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    config = mcp_config(tmp_path)
    model = Model()
    with Server() as server:
        server.responder = model
        env = host_env(home, server.url)
        argv = [claude, "-p", "--output-format", "json", "--no-session-persistence",
                "--model", "claude-haiku-4-5", "--tools", "", "--setting-sources", "",
                "--strict-mcp-config", "--mcp-config", str(config),
                "--allowedTools", RUN, STATUS, "--permission-mode", "dontAsk",
                "--max-turns", "6",
                "--", "Run the fan-out workflow with flowdsl and tell me when it is done."]
        try:
            out = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True,
                                 stdin=subprocess.DEVNULL, timeout=120)
        finally:
            left = [pid for pid in started_under(home) if not wait_gone(pid, 30)]
            for pid in left:
                os.kill(pid, signal.SIGKILL)
        requests = server.calls("messages")

    detail = (f"exit {out.returncode}\nstdout: {out.stdout[-2000:]}\nstderr: "
              f"{out.stderr[-2000:]}\nrun result: {model.run_text}\n"
              f"status result: {model.status_text}\nMCP log:\n{mcp_log(home)}")
    # the MCP handshake: Claude Code offered the server's tools, under mcp__flowdsl__
    assert requests, detail
    first = next((r for r in requests if r.body.get("tools")), requests[0])  # not a side one
    offered = {t["name"]: t for t in first.body.get("tools") or []}
    assert {RUN, STATUS, RESULT} <= set(offered), f"offered {sorted(offered)}\n{detail}"
    assert "script" in offered[RUN]["input_schema"]["properties"]
    assert "run_id" in offered[STATUS]["input_schema"]["properties"]

    # the host exited 0 with the final answer, which names the run and its status
    assert out.returncode == 0, detail
    result = json.loads(out.stdout)
    assert result.get("subtype") == "success", detail
    assert model.run_id is not None, detail
    assert result["result"] == FINAL.format(run_id=model.run_id, status="completed"), detail
    assert result.get("permission_denials") in (None, []), detail
    turns = [r for r in requests if r not in model.aside]
    assert len(turns) == 3, [sorted(tool_names(r)) for r in requests]  # run, status, answer

    # the tool results Claude Code sent back: the run started, then it completed
    assert re.fullmatch(r"[0-9a-f]{8}", model.run_id), detail
    started, finished = structured(model.run_text), structured(model.status_text)
    assert started["run_id"] == model.run_id
    assert started["status"] in ("running", "completed")
    assert finished["run_id"] == model.run_id
    assert finished["status"] == "completed", detail

    # the MCP server ran in the project folder: its store is there; nothing is left running
    assert (root / ".flowdsl").is_dir()
    assert left == [], f"still running after Claude Code exited: {left}"

    # the store, read by the CLI from the same folder
    plain = {k: v for k, v in env.items() if not k.startswith(("ANTHROPIC_", "MCP_"))}
    runs = {r["run_id"]: r for r in flowdsl(root, plain, "runs", "list")}
    assert runs[model.run_id]["status"] == "completed", runs
    assert runs[model.run_id]["name"] == "e2e"
    assert runs[model.run_id]["agents"]["done"] == 3
    stored = flowdsl(root, plain, "runs", "result", model.run_id)
    assert stored["status"] == "completed"
    assert stored["result"] == {"n": 3}
