"""One run's worktrees: created from HEAD or the working tree, finished into a branch (or
nothing), discarded, cleaned up — the main working tree never touched."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from flowdsl._runtime._worktree import Worktrees
from flowdsl.errors import IsolationError

from .conftest import (
    branches,
    exists,
    git,
    install_hook,
    make_repo,
    read,
    state,
    status,
    write,
)
from .conftest import needs_git as needs_git

pytestmark = [pytest.mark.anyio, needs_git]


async def test_a_worktree_is_a_checkout_of_head_on_its_own_branch(repo: Path) -> None:
    before = state(repo)
    tree = await Worktrees(repo, "run1").create(0, "Fix the parser!")
    assert tree.path == repo / ".flowdsl" / "worktrees" / "run1" / "1-fix-the-parser"
    assert tree.branch == "flowdsl/run1/1-fix-the-parser"
    assert tree.base == git(repo, "rev-parse", "HEAD").strip()
    assert read(tree.path / "f1.txt") == "line 1\n"
    assert git(tree.path, "status", "--porcelain") == ""
    assert state(repo) == before  # .flowdsl/worktrees ignores itself


async def test_the_same_label_twice_gets_a_suffix(repo: Path) -> None:
    trees = Worktrees(repo, "run1")
    first, second = await trees.create(0, "fix"), await trees.create(0, "fix")
    assert (first.branch, second.branch) == ("flowdsl/run1/1-fix", "flowdsl/run1/1-fix-2")
    await trees.finish(first, "nothing changed")  # its name stays taken for this run
    assert (await trees.create(0, "fix")).branch == "flowdsl/run1/1-fix-3"


async def test_sixteen_parallel_creations_all_succeed(repo: Path) -> None:
    trees = Worktrees(repo, "run1", concurrency=4)
    made = []

    async def create(index: int) -> None:
        made.append(await trees.create(index, "same label"))

    async with anyio.create_task_group() as group:
        for index in range(16):
            group.start_soon(create, index)
    assert len({tree.path for tree in made}) == 16
    assert all(read(tree.path / "f0.txt") == "line 0\n" for tree in made)
    assert len(branches(repo)) == 16


async def test_finishing_without_changes_removes_worktree_and_branch(repo: Path) -> None:
    trees = Worktrees(repo, "run1")
    tree = await trees.create(0, "look")
    assert await trees.finish(tree, "look: nothing") is None
    assert not exists(tree.path)
    assert branches(repo) == []


async def test_finishing_with_changes_commits_them_on_the_kept_branch(repo: Path) -> None:
    before = state(repo)
    trees = Worktrees(repo, "run1")
    tree = await trees.create(2, "edit")
    write(tree.path / "f0.txt", "edited\n")
    write(tree.path / "new" / "file.txt", "new\n")
    (tree.path / "f2.txt").unlink()
    result = await trees.finish(tree, "edit: change three files\n\nbody")
    assert result is not None
    assert result.branch == "flowdsl/run1/3-edit"
    assert result.files_changed == ("f0.txt", "f2.txt", "new/file.txt")
    assert result.diffstat.startswith("3 files changed")
    assert git(repo, "rev-parse", result.branch).strip() == result.commit
    assert git(repo, "log", "-1", "--format=%s|%an", result.commit) == \
        "edit: change three files|Repo Owner\n"
    assert not exists(tree.path)
    assert state(repo) == before


async def test_commits_skip_the_user_s_hooks(repo: Path) -> None:
    marker = install_hook(repo, "pre-commit", 'touch "$GIT_DIR/../hook-ran"; exit 1')
    trees = Worktrees(repo, "run1")
    tree = await trees.create(0, "edit")
    write(tree.path / "f0.txt", "edited\n")
    assert await trees.finish(tree, "edit") is not None
    assert not exists(marker)


async def test_commits_fall_back_to_a_flowdsl_identity(tmp_path: Path) -> None:
    anonymous = make_repo(tmp_path / "anonymous", identity=False)
    trees = Worktrees(anonymous, "run1")
    tree = await trees.create(0, "edit")
    write(tree.path / "f0.txt", "edited\n")
    result = await trees.finish(tree, "edit")
    assert result is not None
    assert git(anonymous, "log", "-1", "--format=%an <%ae>", result.commit) == \
        "flowdsl <flowdsl@localhost>\n"
    assert git(anonymous, "config", "--list", "--local").count("user.") == 0


async def test_discard_removes_a_changed_worktree_and_its_branch(repo: Path) -> None:
    trees = Worktrees(repo, "run1")
    tree = await trees.create(0, "doomed")
    write(tree.path / "f0.txt", "half done\n")
    await trees.discard(tree)
    await trees.discard(tree)  # twice is fine
    assert not exists(tree.path)
    assert branches(repo) == []


async def test_cleanup_removes_leftovers_and_keeps_branches_with_commits(repo: Path) -> None:
    trees = Worktrees(repo, "run1")
    kept = await trees.create(0, "kept")
    write(kept.path / "f0.txt", "kept\n")
    result = await trees.finish(kept, "kept")
    left = [await trees.create(i, f"left {i}") for i in (1, 2)]
    write(left[0].path / "f1.txt", "uncommitted\n")
    removed = await trees.cleanup()
    assert sorted(removed) == sorted(tree.path for tree in left)
    assert result is not None
    assert branches(repo) == [result.branch]
    assert not exists(repo / ".flowdsl" / "worktrees" / "run1")
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


async def test_working_tree_base_starts_from_uncommitted_changes(repo: Path) -> None:
    write(repo / "f0.txt", "uncommitted\n")
    write(repo / "untracked.txt", "untracked\n")
    before = state(repo)
    trees = Worktrees(repo, "run1", base="working-tree")
    first, second = await trees.create(0, "a"), await trees.create(1, "b")
    assert first.base == second.base != git(repo, "rev-parse", "HEAD").strip()
    assert read(first.path / "f0.txt") == "uncommitted\n"
    assert read(second.path / "untracked.txt") == "untracked\n"
    assert state(repo) == before
    assert "?? untracked.txt" in status(repo)
    assert await trees.finish(first, "a") is None  # the snapshot itself is no change


async def test_a_repository_without_a_commit_is_an_isolation_error(tmp_path: Path) -> None:
    empty = make_repo(tmp_path / "empty", commit=False)
    with pytest.raises(IsolationError, match="has no commit yet"):
        await Worktrees(empty, "run1").create(0, "x")
    assert not exists(empty / ".flowdsl" / "worktrees" / "run1" / "1-x")


@pytest.mark.parametrize(("run_id", "concurrency", "message"), [
    ("../escape", 4, "cannot name a worktree branch"),
    ("run1", 0, "concurrency must be >= 1"),
])
def test_a_bad_run_id_or_concurrency_is_refused(repo: Path, run_id: str, concurrency: int,
                                                message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Worktrees(repo, run_id, concurrency=concurrency)
