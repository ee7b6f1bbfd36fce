"""``flowdsl runs worktrees ID [--prune]``: an isolated run's branches and leftover worktrees.

Each kept branch is listed with the agent that made it (its label, files changed, diffstat);
leftover worktree directories (an agent cut short by a crash) and branches no journaled
agent refers to are listed as such. ``--prune`` removes both; kept branches stay.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .._event_loop import run_loop
from .._terminal_text import printable
from ..errors import UsageError
from ._store_args import EXIT_OK, open_store, print_json

if TYPE_CHECKING:  # the store and the runtime's worktrees import when the command runs
    from .._store import JournalEntry, RunInfo
    from .._types import JSONValue

__all__ = ["cmd_worktrees"]


def cmd_worktrees(ns: argparse.Namespace) -> int:
    with open_store(ns, read_only=not ns.prune) as store:
        info = store.get_run(ns.run_id)
        if ns.prune and info.live:
            raise UsageError(f"run {info.id} is {info.status}; its worktrees are in use")
        entries = [e for e in store.journal(info.id) if e.record.worktree is not None]
    kept = {e.record.worktree.branch: e for e in entries if e.record.worktree is not None}
    trees, branches = run_loop(_look, info, ns.prune, set(kept))
    strays = sorted(b for b in branches if b not in kept)
    pruned = [str(t) for t in trees] + strays if ns.prune else []
    if ns.json:
        print_json(_as_json(kept, trees, strays, pruned, set(branches)))
        return EXIT_OK
    lines = []
    for branch, entry in kept.items():
        tree = entry.record.worktree
        assert tree is not None
        gone = "" if branch in branches else "  (deleted: resume with --rerun-missing)"
        label = entry.record.request.label or "agent"
        lines.append(f"{branch}  {tree.commit[:10]}  {label}: {tree.diffstat}{gone}")
    lines += [f"leftover worktree: {t}" + (" (removed)" if ns.prune else "") for t in trees]
    lines += [f"branch without a journaled agent: {b}" + (" (deleted)" if ns.prune else "")
              for b in strays]
    print(printable("\n".join(lines) if lines else f"run {info.id}: no worktrees or branches"))
    return EXIT_OK


async def _look(info: RunInfo, prune: bool, kept: set[str]) -> tuple[list[Path], list[str]]:
    """The run's leftover worktrees and branches (as they were); ``prune`` removes the
    leftovers and the branches no journaled agent kept."""
    from .._durable import run_repo
    from .._runtime import _worktree as wt

    repo = await run_repo(info)
    if repo is None:
        raise UsageError(f"run {info.id}: its project is not a git repository")
    trees, branches = await wt.run_worktrees(repo, info.id)
    if prune:
        await wt.Worktrees(repo, info.id).cleanup()  # also drops branches with no commit
        _, left = await wt.run_worktrees(repo, info.id)
        await wt.delete_branches(repo, [b for b in left if b not in kept])
    return trees, branches


def _as_json(kept: dict[str, JournalEntry], trees: list[Path], strays: list[str],
             pruned: list[str], existing: set[str]) -> dict[str, JSONValue]:
    branches = []
    for branch, entry in kept.items():
        assert entry.record.worktree is not None
        branches.append({"label": entry.record.request.label, "exists": branch in existing,
                         **entry.record.worktree.to_json()})
    return {"branches": branches, "leftover_worktrees": [str(t) for t in trees],
            "stray_branches": strays, "pruned": pruned}
