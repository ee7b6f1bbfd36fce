"""Isolated agents' worktrees and branches, as the store sees them.

- :func:`sweep_project`: before a run starts (or resumes), the worktrees of runs that are
  no longer executing (a crash, kill -9) are removed, with their uncommitted branches; a
  resumed run's own agents that were in flight at the crash run again.
- :func:`check_branches`: a journaled isolated agent is replayed with its recorded branch;
  if the branch was deleted, resume refuses (nothing changes) unless ``rerun_missing``,
  which drops those agents from the journal so they run again.
- :func:`run_repo`: the repository a stored run's agents worked in.
"""

from __future__ import annotations

from pathlib import Path

from .._config import project_folders
from .._runtime import _worktree as wt
from .._store import RunInfo, Store
from ..errors import RunNotFound, UsageError

__all__ = ["check_branches", "remove_run_worktrees", "run_repo", "sweep_project"]


def _worktrees_root(project: Path) -> Path | None:
    """``.flowdsl/worktrees`` in the project or a folder above it, without asking git."""
    for folder in project_folders(project.resolve()):
        root = folder / ".flowdsl" / "worktrees"
        if root.is_dir():
            return root
    return None


async def run_repo(info: RunInfo) -> Path | None:
    """The git repository of a stored run's project directory (None: not in one)."""
    cwd = info.options.get("cwd")
    return await wt.find_repo(Path(cwd)) if isinstance(cwd, str) else None


async def sweep_project(store: Store, project: str | None, *, this_run: str) -> list[str]:
    """Remove the leftover worktrees of every run in ``project`` that is not executing,
    ``this_run``'s own included (it is about to start again: what was in flight runs
    again)."""
    if project is None or _worktrees_root(Path(project)) is None:
        return []  # no isolated agent ever ran here: no git process at all
    repo = await wt.find_repo(Path(project))
    if repo is None:
        return []

    def is_live(run_id: str) -> bool:
        if run_id == this_run:
            return False
        try:
            return store.get_run(run_id).live
        except RunNotFound:
            return False

    return await wt.sweep_orphans(repo, is_live)


async def check_branches(store: Store, info: RunInfo, *, rerun_missing: bool) -> list[str]:
    """The kept branches of ``info``'s isolated agents that no longer exist.

    Raises:
        UsageError: some are missing and ``rerun_missing`` is False (nothing changed).
    """
    kept = store.kept_branches(info.id)
    if not kept:
        return []
    repo = await run_repo(info)
    missing = {key: branch for key, branch in kept.items()
               if repo is None or not await wt.branch_exists(repo, branch)}
    if missing and not rerun_missing:
        names = ", ".join(sorted(missing.values())[:3]) + (" …" if len(missing) > 3 else "")
        raise UsageError(f"run {info.id}: {len(missing)} isolated agent(s) kept their changes "
                         f"on branches that no longer exist ({names}); resume with "
                         "--rerun-missing to run them again")
    if missing:
        store.forget_agents(info.id, list(missing))
    return sorted(missing.values())


async def remove_run_worktrees(info: RunInfo) -> list[Path]:
    """``runs rm``: the run's leftover worktrees (its kept branches stay: they are results)."""
    repo = await run_repo(info)
    return await wt.Worktrees(repo, info.id).cleanup() if repo is not None else []
