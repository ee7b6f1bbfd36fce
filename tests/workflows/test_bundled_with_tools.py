"""``@review`` end to end on the openai backend against the loopback fake model, whose
agents call real tools: the diff reader asks git through ``bash``, reviewers read the
changed file and are refused a command outside their grant, verifiers grep."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import flowdsl
from flowdsl.testing import oracle_value

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "backends"))

from fakeserver import FakeLLMServer, Recorded, Step  # noqa: E402

WORKSPACE_TOOLS = {"read", "list", "glob", "grep", "edit", "write", "bash"}


def git(repo: Path, *argv: str) -> None:
    subprocess.run(["git", "-c", "user.name=flowdsl", "-c", "user.email=f@example.invalid",
                    *argv], cwd=repo, check=True, capture_output=True)


def model(rec: Recorded) -> Step:
    """A scripted model: one tool turn, then the answer through the output tool."""
    tools = {t["function"]["name"]: t["function"] for t in rec.body.get("tools", [])}
    results = [m["content"] for m in rec.body["messages"] if m.get("role") == "tool"]
    answer = next((n for n in tools if n not in WORKSPACE_TOOLS), None)
    prompt = json.dumps(rec.body["messages"])
    if not results:
        if "git status" in prompt and "bash" in tools:  # the diff reader
            return Step.use(("bash", {"command": "git status --porcelain"}))
        if "bash" in tools:  # a reviewer: read the file, try a command it may not run
            path = re.search(r"Review the change to `?([^\s`]+)", prompt)
            return Step.use(("read", {"path": path.group(1) if path else "app.py"}),
                            ("bash", {"command": "rm -rf ."}))
        return Step.use(("grep", {"pattern": "def add", "path": "."}))
    if answer is None:
        return Step.reply("Verdict: the change to app.py breaks add().")
    schema = tools[answer]["parameters"]
    value: Any = oracle_value(schema, "seed", "$")
    if "files" in schema.get("properties", {}):  # what git said, as the diff reader's answer
        changed = re.findall(r"^ ?[MADRC?]{1,2} (\S+)$", str(results[0]), re.MULTILINE)
        value = {"files": [{"path": p, "summary": "changed"} for p in changed], "note": ""}
    return Step.use((answer, value))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "app.py").write_text("def add(a, b):\n    return a + b\n")
    git(repo, "add", "app.py")
    git(repo, "commit", "-q", "-m", "initial")
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    return repo


def test_review_runs_its_agents_with_tools(repo: Path, tmp_path: Path) -> None:
    with FakeLLMServer() as server:
        server.responder = model
        result = flowdsl.run(ROOT / "flowdsl" / "workflows" / "review.flow.py",
                             backend="openai", base_url=server.url, model="m",
                             cwd=str(repo), store=str(tmp_path / "store"))
    assert result.status == "completed", result.error
    assert result.value["files_reviewed"] == ["app.py"]
    by_type = {a.request.agent_type: a for a in result.agents}
    reader = by_type["flowdsl-diff-reader"]
    assert [(c.name, c.arguments, c.error) for c in reader.tool_calls] == [
        ("bash", {"command": "git status --porcelain"}, None)]
    reviewer = by_type["flowdsl-reviewer"]
    read, refused = reviewer.tool_calls
    assert (read.name, read.error, read.result_chars > 0) == ("read", None, True)
    assert refused.name == "bash"
    assert "git diff" in (refused.error or "")  # the refusal names what is allowed
    assert (repo / "app.py").exists()
    verifiers = [a for a in result.agents if a.request.agent_type == "flowdsl-verifier"]
    assert verifiers
    assert all(a.tool_calls[0].name == "grep" for a in verifiers)


@pytest.mark.parametrize(("name", "args"), [
    ("audit", {"max_areas": 2}),
    ("research", {"question": "Why does add() subtract?", "max_lenses": 2}),
])
def test_audit_and_research_run_their_agents_with_tools(repo: Path, tmp_path: Path, name: str,
                                                        args: dict[str, Any]) -> None:
    with FakeLLMServer() as server:
        server.responder = model
        result = flowdsl.run(ROOT / "flowdsl" / "workflows" / f"{name}.flow.py", args=args,
                             backend="openai", base_url=server.url, model="m",
                             cwd=str(repo), store=str(tmp_path / "store"))
        prompts = json.dumps([r.body["messages"] for r in server.requests])
    assert result.status == "completed", result.error
    assert result.agents
    assert all(a.ok for a in result.agents), [a.error for a in result.agents if not a.ok]
    assert all(a.tool_calls and a.tool_calls[0].name == "grep" for a in result.agents
               if a.request.schema is not None)
    if name == "research":  # openai Chat Completions has no web tool: the agents are told
        assert "no web access in this run" in prompts
