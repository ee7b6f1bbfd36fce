"""Agents with tools under ``isolation="worktree"``: their tools work in their own worktree
(the openai loop against the fake server; the real Claude Code CLI), their edits end on a
branch, the project's files stay as they were."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import anyio
import pytest
from fakeserver import FakeLLMServer, Step
from loopcase import make_project, python_on_path
from npmcli import npm_bin
from test_cli_policy import call_then_done, define, result_text

import flowdsl
from flowdsl import RunOptions
from flowdsl._config import Config
from flowdsl.backends import _claude
from flowdsl.backends._openai import create_backend

pytestmark = [pytest.mark.anyio,
              pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")]

SCRIPT = '''meta = {"name": "fix", "description": "one isolated fixer"}
return await agent("fix add", label="fixer", agent_type=args, isolation="worktree")
'''


def git(repo: Path, *argv: str) -> str:
    return subprocess.run(["git", *argv], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    python_on_path(monkeypatch)
    project = make_project(tmp_path)
    (project / ".gitignore").write_text("__pycache__/\n")  # the checks run python
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "-c", "user.name=T", "-c", "user.email=t@example.invalid",
        "commit", "-q", "-m", "start")
    (tmp_path / "fix.flow.py").write_text(SCRIPT)
    return project


def kept_branch(result: flowdsl.RunResult) -> tuple[str, tuple[str, ...]]:
    [record] = result.agents
    assert record.ok, record.error
    assert record.worktree is not None, "the agent's change was not kept"
    return record.worktree.branch, record.worktree.files_changed


async def test_an_api_agent_edits_its_worktree_not_the_project(
        server: FakeLLMServer, repo: Path) -> None:
    server.script(Step.use(("edit", {"path": "calc.py", "old_string": "return a - b",
                                     "new_string": "return a + b"})),
                  Step.use(("bash", {"command": "python check.py"})),
                  Step.reply("fixed"))
    async with create_backend(base_url=server.url + "/v1", model="gpt-4o-mini",
                              config=Config(backoff=0.001), cwd=repo) as backend:
        result = await flowdsl.run_async(repo.parent / "fix.flow.py", args="fixer",
                                         backend=backend,
                                         options=RunOptions.resolve(repo, isolation="inline"))
    assert result.value == "fixed"
    branch, files = kept_branch(result)
    assert files == ("calc.py",)
    assert "return a + b" in git(repo, "show", f"{branch}:calc.py")
    assert "check ok" in str(server.calls()[2].body["messages"][-1])  # ran in the worktree
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a - b\n"
    assert git(repo, "status", "--porcelain") == ""


async def test_a_claude_code_agent_runs_in_its_worktree(server: FakeLLMServer,
                                                        repo: Path) -> None:
    command = npm_bin("claude")
    define(repo, "runner", "description: Runs python\ntools: Read, Bash(python3:*)")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-qm", "r")
    server.responder = call_then_done("Bash", {
        "command": "python3 -c \"import os; open('where.txt', 'w').write(os.getcwd())\"",
        "description": "note the working directory"})
    backend = _claude.create_backend(command=command, base_url=server.url, api_key="sk-fake",
                                     model="claude-haiku-4-5", config=Config(timeout=60),
                                     cwd=repo)
    result = await flowdsl.run_async(repo.parent / "fix.flow.py", args="runner",
                                     backend=backend,
                                     options=RunOptions.resolve(repo, isolation="inline"))
    assert not result_text(server)[1]
    branch, files = kept_branch(result)
    assert files == ("where.txt",)
    where = git(repo, "show", f"{branch}:where.txt")
    top = await anyio.Path(repo).resolve()
    assert Path(where).parent.parent == Path(top) / ".flowdsl" / "worktrees"
    assert git(repo, "status", "--porcelain") == ""  # no where.txt in the project
