"""The commit a worktree starts from, and the identity of flowdsl's commits."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowdsl._runtime._worktree._base import head_commit, identity_env, snapshot
from flowdsl.errors import IsolationError

from .conftest import agit, git, make_repo, needs_git, state, write

pytestmark = [pytest.mark.anyio, needs_git]

FALLBACK = {"GIT_AUTHOR_NAME": "flowdsl", "GIT_AUTHOR_EMAIL": "flowdsl@localhost",
            "GIT_COMMITTER_NAME": "flowdsl", "GIT_COMMITTER_EMAIL": "flowdsl@localhost"}


def tree_files(repo: Path, commit: str) -> list[str]:
    return git(repo, "ls-tree", "-r", "--name-only", commit).split()


async def test_head_commit_is_the_full_hash(repo: Path) -> None:
    assert await head_commit(repo) == git(repo, "rev-parse", "HEAD").strip()


async def test_head_commit_of_a_repository_without_commits_raises(tmp_path: Path) -> None:
    empty = make_repo(tmp_path / "empty", commit=False)
    with pytest.raises(IsolationError, match="has no commit yet"):
        await head_commit(empty)


async def test_snapshot_holds_uncommitted_and_untracked_files(repo: Path) -> None:
    write(repo / "f0.txt", "edited\n")
    write(repo / "new" / "untracked.txt", "untracked\n")
    commit = await snapshot(repo, "snap", {})
    assert await agit(repo, "show", f"{commit}:f0.txt") == "edited\n"
    assert await agit(repo, "show", f"{commit}:new/untracked.txt") == "untracked\n"


async def test_snapshot_has_head_as_parent_and_the_message(repo: Path) -> None:
    commit = await snapshot(repo, "flowdsl: working tree of run r", {})
    assert (await agit(repo, "rev-parse", f"{commit}^")) == git(repo, "rev-parse", "HEAD")
    assert (await agit(repo, "log", "-1", "--format=%s", commit)).strip() == (
        "flowdsl: working tree of run r")


async def test_snapshot_leaves_index_and_working_tree_byte_identical(repo: Path) -> None:
    write(repo / "f0.txt", "edited\n")
    write(repo / "f1.txt", "staged\n")
    git(repo, "add", "f1.txt")
    write(repo / "untracked.txt", "u\n")
    before = state(repo)
    await snapshot(repo, "snap", {})
    assert state(repo) == before
    assert (repo / "f0.txt").read_text() == "edited\n"


@pytest.mark.parametrize("ignore", ["*.log\n", "*.log\n.flowdsl/\n"])
async def test_snapshot_leaves_out_ignored_files_and_the_flowdsl_folder(
        repo: Path, ignore: str) -> None:
    write(repo / ".gitignore", ignore)
    write(repo / "debug.log", "noise\n")
    write(repo / ".flowdsl" / "flowdsl.db", "store\n")
    commit = await snapshot(repo, "snap", {})
    files = tree_files(repo, commit)
    assert ".gitignore" in files
    assert "debug.log" not in files
    assert not any(f.startswith(".flowdsl/") for f in files)


async def test_snapshot_records_a_deleted_tracked_file(repo: Path) -> None:
    (repo / "f2.txt").unlink()
    commit = await snapshot(repo, "snap", {})
    assert "f2.txt" not in tree_files(repo, commit)


async def test_identity_is_left_to_a_configured_repository(repo: Path) -> None:
    assert await identity_env(repo) == {}


async def test_identity_falls_back_to_flowdsl_without_configuration(tmp_path: Path) -> None:
    bare = make_repo(tmp_path / "anonymous", identity=False)
    assert await identity_env(bare) == FALLBACK


async def test_identity_keeps_what_the_environment_sets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare = make_repo(tmp_path / "anonymous", identity=False)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Env Author")
    env = await identity_env(bare)
    assert "GIT_AUTHOR_NAME" not in env
    assert env["GIT_COMMITTER_NAME"] == "flowdsl"
