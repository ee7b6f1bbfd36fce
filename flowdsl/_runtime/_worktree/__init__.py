"""Git worktrees for ``agent(..., isolation="worktree")``: all of flowdsl's git work.

Each isolated agent gets a fresh worktree on a branch of its own; afterwards its changes
are committed on that branch and the worktree removed — or, when it changed nothing,
both are removed. ``_git`` runs git (the only module that starts it) and translates its
failures; ``_names`` makes slugs, directory and branch names; ``_base`` the commit a
worktree starts from (HEAD, or a snapshot of the working tree) and the commit identity;
``_remove`` takes worktrees and branches down robustly; ``_manager`` is
:class:`Worktrees`, one run's worktrees; ``_sweep`` finds the repository, lists a run's
leftovers and sweeps crashed runs'.

The main working tree and index are never touched: worktrees live under
``<repo>/.flowdsl/worktrees/`` (ignored by a ``.gitignore`` there), the working-tree
snapshot goes through a temporary index, and no configuration is written.
"""

from __future__ import annotations

from ._manager import Worktree as Worktree
from ._manager import Worktrees as Worktrees
from ._sweep import branch_exists as branch_exists
from ._sweep import delete_branches as delete_branches
from ._sweep import find_repo as find_repo
from ._sweep import run_worktrees as run_worktrees
from ._sweep import sweep_orphans as sweep_orphans

__all__ = (
    "Worktree",
    "Worktrees",
    "branch_exists",
    "delete_branches",
    "find_repo",
    "run_worktrees",
    "sweep_orphans",
)
