"""Finding the repository, listing a run's leftovers, sweeping crashed runs'."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from flowdsl._runtime._worktree import (
    Worktrees,
    branch_exists,
    delete_branches,
    find_repo,
    run_worktrees,
    sweep_orphans,
)
from flowdsl.errors import IsolationError

from .conftest import branches, exists, git, needs_git, write

pytestmark = needs_git


@pytest.mark.anyio
async def test_the_repository_is_found_from_a_subdirectory(repo: Path) -> None:
    await anyio.Path(repo / "sub" / "deeper").mkdir(parents=True)
    assert await find_repo(repo / "sub" / "deeper") == Path(await anyio.Path(repo).resolve())


@pytest.mark.anyio
async def test_outside_git_there_is_no_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert await find_repo(tmp_path / "plain") is None
    assert await find_repo(tmp_path / "missing") is None


@pytest.mark.anyio
async def test_a_run_s_leftovers_and_branches_are_listed(repo: Path) -> None:
    trees = Worktrees(repo, "run1")
    kept = await trees.create(0, "kept")
    write(kept.path / "f0.txt", "x\n")
    await trees.finish(kept, "kept")
    left = await trees.create(1, "left")
    dirs, names = await run_worktrees(repo, "run1")
    assert dirs == [left.path]
    assert names == ["flowdsl/run1/1-kept", "flowdsl/run1/2-left"]
    assert await branch_exists(repo, "flowdsl/run1/1-kept")
    assert not await branch_exists(repo, "flowdsl/run1/9-none")


@pytest.mark.anyio
async def test_the_sweep_cleans_runs_that_are_not_live(repo: Path) -> None:
    live_tree = await Worktrees(repo, "live").create(0, "a")
    dead_tree = live_tree.path.parent.parent / "dead" / "1-a"  # as a crashed run left it
    git(repo, "worktree", "add", "-q", "-b", "flowdsl/dead/1-a", str(dead_tree))
    write(dead_tree.with_name("1-a.base"), live_tree.base)
    (repo / ".flowdsl" / "worktrees" / "not a run id").mkdir()
    swept = await sweep_orphans(repo, lambda run_id: run_id == "live")
    assert swept == ["dead"]
    assert not exists(dead_tree)
    assert exists(live_tree.path)
    assert branches(repo) == ["flowdsl/live/1-a"]
    assert exists(repo / ".flowdsl" / "worktrees" / "not a run id")


@pytest.mark.anyio
async def test_delete_branches_deletes_them_and_refuses_unknown_ones(repo: Path) -> None:
    trees = Worktrees(repo, "run1")
    tree = await trees.create(0, "a")
    write(tree.path / "f0.txt", "x\n")
    result = await trees.finish(tree, "a")
    assert result is not None
    await delete_branches(repo, [])
    await delete_branches(repo, [result.branch])
    assert branches(repo) == []
    with pytest.raises(IsolationError, match="not found"):
        await delete_branches(repo, ["flowdsl/run1/none"])


@pytest.mark.anyio
async def test_a_run_holding_its_owner_lock_is_never_swept(repo: Path) -> None:
    owned = Worktrees(repo, "unstored-1234")  # e.g. flowdsl.run() without a store
    tree = await owned.create(0, "busy")
    assert await sweep_orphans(repo, lambda run_id: False) == []
    assert exists(tree.path)
    await owned.cleanup()
    assert not exists(repo / ".flowdsl" / "worktrees" / "unstored-1234.lock")


def test_a_killed_owner_s_worktrees_are_swept(repo: Path) -> None:
    code = ("import anyio, pathlib, sys\n"
            "from flowdsl._runtime._worktree import Worktrees\n"
            "async def main():\n"
            "    await Worktrees(pathlib.Path(sys.argv[1]), 'crashed').create(0, 'a')\n"
            "    print('ready', flush=True)\n"
            "    await anyio.sleep(60)\n"
            "anyio.run(main)\n")
    with subprocess.Popen([sys.executable, "-c", code, str(repo)], stdout=subprocess.PIPE,
                          text=True) as child:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
        assert anyio.run(sweep_orphans, repo, lambda run_id: False) == []
        child.kill()
    assert anyio.run(sweep_orphans, repo, lambda run_id: False) == ["crashed"]
    assert branches(repo) == []
    assert list((repo / ".flowdsl" / "worktrees").iterdir()) == [
        repo / ".flowdsl" / "worktrees" / ".gitignore"]
