"""Taking worktrees down: robust steps that never raise, for finish, discard and cleanup.

Each step is its own git call and tolerates what an earlier step (or a crash, or the
user) already did: a worktree whose directory vanished is pruned, a directory git no
longer knows is deleted, a branch already gone is fine. Next to each worktree directory
lies ``<name>.base``, the commit it started from, so that a later ``cleanup`` (even by
another process, after a crash) can tell a branch with commits of its own from one
without.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio

from ._git import try_git

__all__ = [
    "base_file",
    "branch_tip",
    "delete_branch",
    "forget_base",
    "read_base",
    "remove_worktree",
    "write_base",
]


def base_file(path: Path) -> Path:
    """``<root>/<name>.base`` for the worktree directory ``<root>/<name>``."""
    return path.with_name(path.name + ".base")


def write_base(path: Path, commit: str) -> None:
    base_file(path).write_text(commit + "\n", encoding="ascii")


def read_base(path: Path) -> str | None:
    """The recorded base commit of worktree ``path``, None when unknown."""
    try:
        text = base_file(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def forget_base(path: Path) -> None:
    base_file(path).unlink(missing_ok=True)


async def remove_worktree(repo: Path, path: Path) -> None:
    """Remove the worktree at ``path`` with its files, whatever state it is in."""
    # --force twice: also a worktree with changes, untracked files or a lock
    failed = await try_git("worktree", "remove", "--force", "--force", str(path),
                           cwd=repo) is None
    # unknown to git, half-created, or holding a submodule: delete the files, prune git's
    if failed or await anyio.Path(path).exists():
        await anyio.to_thread.run_sync(_rmtree, path)
        await try_git("worktree", "prune", cwd=repo)


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


async def delete_branch(repo: Path, branch: str) -> None:
    """``git branch -D branch``; a branch that is already gone is fine."""
    await try_git("branch", "-D", branch, cwd=repo)


async def branch_tip(repo: Path, branch: str) -> str | None:
    """The commit ``refs/heads/<branch>`` points at, None when there is no such branch."""
    tip = await try_git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}",
                        cwd=repo)
    return tip.strip() if tip else None
