"""Finding a repository, listing a run's worktrees and branches, sweeping crashed runs'.

A run that crashed (killed, power lost) leaves its worktrees under
``.flowdsl/worktrees/<run_id>``: the next run in the project sweeps every run directory
whose run is not live (:func:`sweep_orphans`). Branches holding an agent's commits stay
until the user deletes them (``flowdsl runs worktrees --prune``: :func:`delete_branches`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import anyio

from ...errors import IsolationError
from ._git import git, run_git
from ._manager import Worktrees
from ._names import BRANCH_PREFIX, check_run_id, owner_lock, runs_dir
from ._owner import is_owned

__all__ = ["branch_exists", "delete_branches", "find_repo", "run_worktrees", "sweep_orphans"]


async def find_repo(directory: Path) -> Path | None:
    """The top level of the git repository holding ``directory``
    (``git rev-parse --show-toplevel``); None outside git or when git is not installed."""
    try:
        result = await run_git("rev-parse", "--show-toplevel", cwd=directory)
    except IsolationError:  # git not installed, or no such directory
        return None
    top = result.stdout.strip()
    return Path(top) if result.returncode == 0 and top else None


async def branch_exists(repo: Path, branch: str) -> bool:
    """Whether ``refs/heads/<branch>`` exists in ``repo``."""
    result = await run_git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}",
                           cwd=repo)
    return result.returncode == 0


async def run_worktrees(repo: Path, run_id: str) -> tuple[list[Path], list[str]]:
    """The run's leftover worktree directories, and all its branches
    (``refs/heads/flowdsl/<run_id>/*``), both sorted."""
    root = runs_dir(repo) / check_run_id(run_id)
    dirs = await anyio.to_thread.run_sync(_subdirs, root)
    prefix = f"refs/heads/{BRANCH_PREFIX}/{run_id}/"
    out = await git("for-each-ref", "--format=%(refname)", prefix, cwd=repo)
    branches = sorted(line.removeprefix("refs/heads/") for line in out.splitlines() if line)
    return dirs, branches


async def sweep_orphans(repo: Path, is_live: Callable[[str], bool]) -> list[str]:
    """:meth:`Worktrees.cleanup` for every run under ``.flowdsl/worktrees`` that is neither
    live by ``is_live`` nor holding its owner lock (a process that may still use them);
    the run ids swept, sorted. Names that cannot be run ids are left alone."""
    swept: list[str] = []
    for run_id in await anyio.to_thread.run_sync(_run_ids, runs_dir(repo)):
        if is_live(run_id) or is_owned(owner_lock(repo, run_id)):
            continue
        await Worktrees(repo, run_id).cleanup()
        swept.append(run_id)
    return swept


async def delete_branches(repo: Path, branches: Iterable[str]) -> None:
    """``git branch -D`` of every branch given (none: nothing to do).

    Raises:
        IsolationError: git refused one of them (unknown, or checked out in a worktree).
    """
    names = list(branches)
    if names:
        await git("branch", "-D", "--", *names, cwd=repo)


def _subdirs(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(entry for entry in folder.iterdir() if entry.is_dir())


def _run_ids(folder: Path) -> list[str]:
    """The run ids with a directory or an owner lock in ``folder``, sorted."""
    if not folder.is_dir():
        return []
    names = {entry.name.removesuffix(".lock") if entry.is_file() else entry.name
             for entry in folder.iterdir() if entry.is_dir() or entry.name.endswith(".lock")}
    return sorted(name for name in names if _is_run_id(name))


def _is_run_id(name: str) -> bool:
    try:
        check_run_id(name)
    except ValueError:
        return False
    return True
