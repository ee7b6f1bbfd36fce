"""Resume knows about isolated agents' side effects: finished ones replay with their kept
branch (never run again), one cut short by kill -9 leaves a worktree that the next
execution sweeps, and a deleted branch is an error unless ``--rerun-missing``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flowstore_helpers import WORKTREES, executions

from flowdsl import Store

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

BACKEND = "flowstore_helpers:IsolatedWriter"


def git(repo: Path, *argv: str) -> str:
    return subprocess.run(["git", *argv], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(git_project: Path) -> Path:
    (git_project / "fixers.flow.py").write_text(WORKTREES)
    git(git_project, "add", "-A")
    git(git_project, "commit", "-q", "-m", "the workflow")
    return git_project


def flowdsl(repo: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flowdsl", *argv], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120)


def leftover_trees(repo: Path) -> list[Path]:
    root = repo / ".flowdsl" / "worktrees"
    return sorted(p for p in root.glob("*/*") if p.is_dir()) if root.exists() else []


def test_kill_9_mid_agent_then_resume_replays_the_finished_and_sweeps_the_rest(
        repo: Path, env: dict[str, str], store_dir: Path, tmp_path: Path) -> None:
    started = subprocess.Popen(
        [sys.executable, "-m", "flowdsl", "run", "fixers.flow.py", "--backend", BACKEND],
        cwd=repo, env={**env, "FLOWDSL_TEST_SLOW": "1"}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    run_id = ""
    while time.monotonic() < deadline:  # until the slow agent works in its worktree
        time.sleep(0.1)
        if "slow fix" in executions(tmp_path / "count.txt") and store_dir.exists():
            with Store.open(store_dir) as store:
                runs = store.list_runs()
                if runs and len(store.journal(runs[0].id)) == 4 and leftover_trees(repo):
                    run_id = runs[0].id
                    break
    assert run_id, "the run never reached its slow agent"
    started.send_signal(signal.SIGKILL)
    started.wait(10)

    listed = flowdsl(repo, env, "runs", "worktrees", run_id, "--json")
    assert listed.returncode == 0, listed.stderr
    shown = json.loads(listed.stdout)
    assert len(shown["branches"]) == 4
    assert all(b["exists"] for b in shown["branches"])
    assert len(shown["leftover_worktrees"]) == 1

    resumed = flowdsl(repo, env, "runs", "resume", run_id, "--foreground", "--json")
    assert resumed.returncode == 0, resumed.stderr
    data = json.loads(resumed.stdout)
    assert data["result"]["labels"] == ["f0", "f1", "f2", "f3", "last"]  # replayed ones too
    assert data["agents"]["replayed"] == 4
    counts = executions(tmp_path / "count.txt")
    assert sorted(counts) == sorted([f"fix {i}" for i in range(4)] + ["slow fix"] * 2)
    assert leftover_trees(repo) == []
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert len(git(repo, "branch", "--list", f"flowdsl/{run_id}/*").split()) == 5
    assert git(repo, "status", "--porcelain") == ""


def test_a_deleted_branch_stops_resume_unless_rerun_missing(
        repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    first = flowdsl(repo, env, "run", "fixers.flow.py", "--backend", BACKEND,
                    "--args", '{"fail": true}', "--json")
    assert first.returncode == 1, first.stderr
    run_id = json.loads(first.stdout)["run_id"]
    [gone] = git(repo, "branch", "--list", f"flowdsl/{run_id}/1-*",
                 "--format=%(refname:short)").split()
    git(repo, "branch", "-D", gone)

    refused = flowdsl(repo, env, "runs", "resume", run_id, "--foreground")
    assert refused.returncode == 2
    assert f"1 isolated agent(s) kept their changes on branches that no longer exist ({gone})" \
        in refused.stderr
    assert "--rerun-missing" in refused.stderr
    assert len(executions(tmp_path / "count.txt")) == 5  # nothing ran

    again = flowdsl(repo, env, "runs", "resume", run_id, "--foreground", "--rerun-missing",
                    "--json")
    assert again.returncode == 1  # the script still fails after its agents
    data: dict[str, Any] = json.loads(again.stdout)
    assert data["agents"]["replayed"] == 4
    assert executions(tmp_path / "count.txt").count("fix 0") == 2  # only the missing one
    assert git(repo, "branch", "--list", gone, "--format=%(refname:short)").split() == [gone]


def run_leaving_a_worktree(repo: Path, env: dict[str, str]) -> tuple[str, Path]:
    """A finished run (5 kept branches) and a worktree as a crash leaves one: its run id
    and the worktree."""
    done = flowdsl(repo, env, "run", "fixers.flow.py", "--backend", BACKEND,
                   "--args", '{"fail": true}', "--json")
    run_id = json.loads(done.stdout)["run_id"]
    stray = repo / ".flowdsl" / "worktrees" / run_id / "9-stray"
    git(repo, "worktree", "add", "-q", "-b", f"flowdsl/{run_id}/9-stray", str(stray))
    # as flowdsl leaves one: the commit it started from beside it
    stray.with_name("9-stray.base").write_text(git(repo, "rev-parse", "HEAD"))
    return run_id, stray


def test_runs_rm_removes_leftover_worktrees_and_keeps_branches(
        repo: Path, env: dict[str, str]) -> None:
    run_id, stray = run_leaving_a_worktree(repo, env)
    removed = flowdsl(repo, env, "runs", "rm", run_id)
    assert removed.returncode == 0, removed.stderr
    assert not stray.exists()
    assert len(git(repo, "branch", "--list", f"flowdsl/{run_id}/*").split()) == 5
    assert os.path.exists(repo / "notes.txt")


def test_runs_worktrees_lists_and_prunes_what_no_agent_kept(
        repo: Path, env: dict[str, str]) -> None:
    run_id, stray = run_leaving_a_worktree(repo, env)
    git(repo, "branch", f"flowdsl/{run_id}/8-orphan")

    listed = flowdsl(repo, env, "runs", "worktrees", run_id)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert sum(f"flowdsl/{run_id}/" in line and "1 file changed" in line for line in lines) == 5
    assert f"leftover worktree: {stray}" in lines
    assert f"branch without a journaled agent: flowdsl/{run_id}/8-orphan" in lines

    pruned = flowdsl(repo, env, "runs", "worktrees", run_id, "--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert not stray.exists()
    names = git(repo, "branch", "--list", f"flowdsl/{run_id}/*",
                "--format=%(refname:short)").split()
    assert len(names) == 5
    assert not any("stray" in n or "orphan" in n for n in names)


def test_runs_worktrees_outside_git_is_a_usage_error(tmp_path: Path, env: dict[str, str]) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "w.flow.py").write_text('meta = {"name": "w", "description": "d"}\nreturn 1\n')
    done = flowdsl(plain, env, "run", "w.flow.py", "--backend", "simulate", "--json")
    run_id = json.loads(done.stdout)["run_id"]
    listed = flowdsl(plain, env, "runs", "worktrees", run_id)
    assert listed.returncode == 2
    assert listed.stderr.strip().endswith("its project is not a git repository")
