"""What a worktree starts from, and who flowdsl's commits are by.

``head``: the commit HEAD names. ``working-tree``: a snapshot commit of the working tree
as it is — uncommitted edits and untracked (not ignored) files included — made without
touching the user's index or files: a copy of the index in a temporary directory
(``GIT_INDEX_FILE``), ``git add -A`` into it, ``git write-tree``, then ``git commit-tree``
with HEAD as parent. The copy starts from the user's index rather than an empty one so
that staged files, sparse-checkout entries and the index's stat cache carry over (``add``
then re-reads only what changed). ``.flowdsl/`` at the top is left out of the snapshot:
it holds the run store (a live SQLite file) and the worktrees themselves; files of it that
the user tracks keep their indexed content.

Commits use the repository's configured ``user.name``/``user.email`` and otherwise
``flowdsl <flowdsl@localhost>``, given to git through ``GIT_AUTHOR_*``/``GIT_COMMITTER_*``
for flowdsl's commands only: no configuration file is written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import anyio

from ...errors import IsolationError
from ._git import git, run_git, try_git

__all__ = ["FALLBACK_EMAIL", "FALLBACK_NAME", "head_commit", "identity_env", "snapshot"]

FALLBACK_NAME = "flowdsl"
FALLBACK_EMAIL = "flowdsl@localhost"
_EXCLUDE_FLOWDSL = ("--", ".", ":(exclude,top).flowdsl")
"""Leaves ``.flowdsl/`` out of the snapshot where the user does not ignore it already
(naming an ignored path in a pathspec makes ``git add`` fail, even to exclude it)."""


async def head_commit(repo: Path) -> str:
    """The full hash of the commit HEAD names.

    Raises:
        IsolationError: the repository has no commit yet (or git fails).
    """
    result = await run_git("rev-parse", "--verify", "--quiet", "HEAD^{commit}", cwd=repo)
    if result.returncode != 0:
        raise IsolationError(f"git repository {repo} has no commit yet: a worktree needs one "
                             "to start from (commit once, then run again)")
    return result.stdout.strip()


async def identity_env(repo: Path) -> dict[str, str]:
    """``GIT_AUTHOR_*``/``GIT_COMMITTER_*`` for what the repository does not configure
    (and the environment does not already set)."""
    name = (await try_git("config", "--get", "user.name", cwd=repo) or "").strip()
    email = (await try_git("config", "--get", "user.email", cwd=repo) or "").strip()
    env: dict[str, str] = {}
    for role in ("AUTHOR", "COMMITTER"):
        if not name and f"GIT_{role}_NAME" not in os.environ:
            env[f"GIT_{role}_NAME"] = FALLBACK_NAME
        if not email and f"GIT_{role}_EMAIL" not in os.environ:
            env[f"GIT_{role}_EMAIL"] = FALLBACK_EMAIL
    return env


async def _index_path(repo: Path) -> Path:
    path = Path((await git("rev-parse", "--git-path", "index", cwd=repo)).strip())
    return path if path.is_absolute() else repo / path


def _copy_if_present(source: Path, target: Path) -> None:
    if source.is_file():
        shutil.copyfile(source, target)


async def snapshot(repo: Path, message: str, identity: dict[str, str]) -> str:
    """A commit of the working tree (see the module docstring) on top of HEAD: its hash.

    Raises:
        IsolationError: no commit yet, or a git command failed.
    """
    parent = await head_commit(repo)
    index = await _index_path(repo)
    with tempfile.TemporaryDirectory(prefix="flowdsl-index-") as tmp:
        temp_index = Path(tmp) / "index"
        await anyio.to_thread.run_sync(_copy_if_present, index, temp_index)
        env = {"GIT_INDEX_FILE": str(temp_index)}
        ignored = await run_git("check-ignore", "--quiet", ".flowdsl", cwd=repo)
        pathspec = () if ignored.returncode == 0 else _EXCLUDE_FLOWDSL
        await git("add", "-A", *pathspec, cwd=repo, env=env)
        tree = (await git("write-tree", cwd=repo, env=env)).strip()
    commit = await git("commit-tree", tree, "-p", parent, "-m", message, cwd=repo, env=identity)
    return commit.strip()
