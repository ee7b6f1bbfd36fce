"""``agent(isolation="worktree")``: each agent works in a worktree of its own; its changes
end on a branch, the project's working tree is never touched."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

import flowdsl
from flowdsl import AgentRequest, RunOptions
from flowdsl.errors import BackendError
from flowdsl.testing import FunctionBackend

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *argv: str) -> str:
    return subprocess.run(["git", *argv], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(git_project: Path) -> Path:
    return git_project


def run_in(project: Path, path: Path, backend: Any, **options: Any) -> flowdsl.RunResult:
    resolved = RunOptions.resolve(project, isolation="inline", **options)
    return flowdsl.run(path, backend=backend, options=resolved)


def writer(request: AgentRequest) -> str:
    """Writes its prompt into notes.txt of its workspace."""
    assert request.workspace is not None
    (Path(request.workspace) / "notes.txt").write_text(request.prompt + "\n")
    return f"wrote {request.prompt}"


def flowdsl_branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--list", "flowdsl/*", "--format=%(refname:short)").split()


def test_parallel_agents_edit_the_same_file_in_their_own_worktrees(
        repo: Path, script: Callable[..., Path]) -> None:
    path = script('''
        done = await parallel(agent(f"fix {i}", label=f"fixer {i}", isolation="worktree")
                              for i in range(8))
        return {"done": done, "branches": branches()}
    ''')
    result = run_in(repo, path, FunctionBackend(writer))
    assert result.status == "completed", result.error
    assert result.value["done"] == [f"wrote fix {i}" for i in range(8)]  # text stays text
    kept = result.value["branches"]
    assert sorted(b["label"] for b in kept) == [f"fixer {i}" for i in range(8)]
    for entry in kept:
        assert entry["files_changed"] == ["notes.txt"]
        assert "1 file changed" in entry["diffstat"]
        shown = git(repo, "show", f"{entry['branch']}:notes.txt")
        assert shown == entry["label"].replace("fixer", "fix") + "\n"
    assert len(flowdsl_branches(repo)) == 8
    assert (repo / "notes.txt").read_text() == "original\n"  # the project is untouched
    assert git(repo, "status", "--porcelain") == ""
    assert not list((repo / ".flowdsl" / "worktrees").glob("*/*-*"))  # no worktree left


def test_the_record_carries_branch_and_commit(repo: Path, script: Callable[..., Path]) -> None:
    result = run_in(repo, script('return await agent("edit", label="one", '
                                 'isolation="worktree")'), FunctionBackend(writer))
    [record] = result.agents
    assert record.worktree is not None
    assert record.worktree.branch.startswith("flowdsl/")
    assert record.worktree.branch.endswith("-one")
    assert git(repo, "rev-parse", record.worktree.branch).strip() == record.worktree.commit
    message = git(repo, "log", "-1", "--format=%B", record.worktree.commit)
    assert message.startswith("one: edit")


def test_an_agent_that_changes_nothing_keeps_no_branch(repo: Path,
                                                       script: Callable[..., Path]) -> None:
    result = run_in(repo, script('return await agent("look", isolation="worktree")'),
                    FunctionBackend(lambda r: "looked"))
    assert result.value == "looked"
    assert result.agents[0].worktree is None
    assert flowdsl_branches(repo) == []


def test_a_failed_agent_leaves_nothing(repo: Path, script: Callable[..., Path]) -> None:
    def fail(request: AgentRequest) -> str:
        writer(request)
        raise BackendError("HTTP 500")

    result = run_in(repo, script('return await agent("x", isolation="worktree")'),
                    FunctionBackend(fail))
    assert result.agents[0].status == "failed"
    assert flowdsl_branches(repo) == []
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_a_cancelled_agent_leaves_nothing(repo: Path, script: Callable[..., Path]) -> None:
    async def slow(request: AgentRequest) -> str:
        writer(request)
        await anyio.sleep(30)
        return "never"

    result = run_in(repo, script('return await agent("x", isolation="worktree")'),
                    FunctionBackend(slow), run_timeout=1.0)
    assert result.status == "failed"
    assert result.agents[0].status == "cancelled"
    assert flowdsl_branches(repo) == []
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_plain_agents_work_in_the_project_directory(repo: Path,
                                                    script: Callable[..., Path]) -> None:
    backend = FunctionBackend(lambda r: r.workspace)
    result = run_in(repo, script('return await agent("where")'), backend)
    assert Path(result.value).resolve() == repo.resolve()


def test_worktree_base_working_tree_includes_uncommitted_changes(
        repo: Path, script: Callable[..., Path]) -> None:
    (repo / "notes.txt").write_text("uncommitted\n")
    (repo / "new.txt").write_text("untracked\n")

    def read(request: AgentRequest) -> str:
        workspace = Path(request.workspace or "")
        return (workspace / "notes.txt").read_text() + (workspace / "new.txt").read_text()

    path = script('return await agent("read", isolation="worktree")')
    result = run_in(repo, path, FunctionBackend(read), worktree_base="working-tree")
    assert result.value == "uncommitted\nuntracked\n"
    assert (repo / "notes.txt").read_text() == "uncommitted\n"
    assert set(git(repo, "status", "--porcelain").split("\n")) >= {" M notes.txt",
                                                                   "?? new.txt"}


@pytest.mark.parametrize(("isolation", "message"), [
    ("worktree", "needs a git repository"),
    ("sandbox", "isolation must be one of worktree (got 'sandbox')"),
])
def test_isolation_that_cannot_be_honoured_fails_before_dispatch(
        tmp_path: Path, script: Callable[..., Path], isolation: str, message: str) -> None:
    backend = FunctionBackend(writer)
    path = script(f'''
        try:
            await agent("x", isolation="{isolation}")
        except IsolationError as exc:
            return "IsolationError: " + str(exc)
    ''')
    result = run_in(tmp_path, path, backend)
    assert result.value.startswith("IsolationError: ")
    assert message in result.value
    assert backend.requests == []
