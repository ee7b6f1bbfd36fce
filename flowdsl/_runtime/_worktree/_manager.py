"""The worktrees of one run in one repository: create, finish, discard, clean up.

Layout::

    <repo>/.flowdsl/worktrees/.gitignore      "*": nothing below shows in ``git status``
    <repo>/.flowdsl/worktrees/<run_id>/<n>-<slug>        an agent's worktree
    <repo>/.flowdsl/worktrees/<run_id>/<n>-<slug>.base   the commit it started from
    <repo>/.flowdsl/worktrees/<run_id>.lock              held while the run is alive

on branch ``flowdsl/<run_id>/<n>-<slug>``. The ``.gitignore`` ignores itself too, so a
``.flowdsl/`` that flowdsl creates only for worktrees never appears as untracked; a store
in ``.flowdsl/`` is another matter (its files are the store's business).

Concurrency: creation and finishing hold a slot of a ``CapacityLimiter(concurrency)``
(checkouts of 64 agents at once would only thrash the disk). Choosing a name holds an
``anyio.Lock`` (two agents with the same label get ``-2`` and ``-3`` rather than
racing for one). ``git worktree add`` is not safe to run concurrently in one repository
(it reads the other worktrees' records, which a concurrent ``add`` is still writing:
"failed to read .git/worktrees/…/commondir"), so it runs one at a time, with
``--no-checkout`` (only the records and the branch: milliseconds); the checkout, the
expensive part, then runs in the new worktree (``git reset --hard``), concurrently. The
same race with another process, and the lock contention git can report (``index.lock``,
``packed-refs.lock``), are retried by :func:`._git.git` with backoff.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import anyio

from ..._types import WorktreeResult
from ...errors import IsolationError
from ._base import head_commit, identity_env, snapshot
from ._git import git
from ._names import (
    BRANCH_PREFIX,
    branch_name,
    check_run_id,
    owner_lock,
    runs_dir,
    unique_name,
    worktree_name,
)
from ._owner import OwnerLock
from ._remove import (
    base_file,
    branch_tip,
    delete_branch,
    forget_base,
    read_base,
    remove_worktree,
    write_base,
)

__all__ = ["DISCARD_TIMEOUT", "BaseMode", "Worktree", "Worktrees", "ensure_runs_dir"]

BaseMode = Literal["head", "working-tree"]
DISCARD_TIMEOUT = 60.0
"""Seconds a shielded :meth:`Worktrees.discard` may take before it gives up (leaving the
rest to :meth:`Worktrees.cleanup`)."""

_IGNORE_ALL = "*\n"


@dataclass(frozen=True, slots=True)
class Worktree:
    """One agent's worktree: its directory, its branch, and the commit it started from."""

    path: Path
    branch: str
    base: str
    """The full hash of the commit the worktree was created from."""


def ensure_runs_dir(repo: Path) -> Path:
    """``<repo>/.flowdsl/worktrees`` with its ignore-everything ``.gitignore``."""
    top = runs_dir(repo)
    top.mkdir(parents=True, exist_ok=True)
    ignore = top / ".gitignore"
    if not ignore.exists():
        ignore.write_text(_IGNORE_ALL, encoding="ascii")
    return top


class Worktrees:
    """The worktrees of one run in one repository."""

    def __init__(self, repo: Path, run_id: str, *, base: BaseMode = "head",
                 concurrency: int = 4) -> None:
        if base not in ("head", "working-tree"):
            raise ValueError(f"base must be 'head' or 'working-tree', got {base!r}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.repo = repo
        self.run_id = check_run_id(run_id)
        self.base: BaseMode = base
        self.root = runs_dir(repo) / run_id
        self._limiter = anyio.CapacityLimiter(concurrency)
        self._names_lock = anyio.Lock()
        self._claimed: set[str] = set()
        self._setup_lock = anyio.Lock()
        self._add_lock = anyio.Lock()
        self._snapshot: str | None = None
        self._identity: dict[str, str] | None = None
        self._owner = OwnerLock(owner_lock(repo, run_id))
        """Held from the first worktree to :meth:`cleanup`: no sweep takes them meanwhile."""

    # -- create ----------------------------------------------------------------------

    async def create(self, index: int, label: str | None) -> Worktree:
        """A fresh worktree for agent ``index`` on a new branch.

        Raises:
            IsolationError: no commit yet, or git failed (its last stderr line).
        """
        async with self._limiter:
            base = await self._base_commit()
            name = await self._claim(worktree_name(index, label))
            path = self.root / name
            tree = Worktree(path=path, branch=branch_name(self.run_id, name), base=base)
            try:
                write_base(path, base)
                async with self._add_lock:
                    await git("worktree", "add", "--quiet", "--no-checkout", "-b", tree.branch,
                              str(path), base, cwd=self.repo)
                await git("reset", "--hard", "--quiet", cwd=path)  # the checkout
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await self._undo_create(tree)
                raise
            return tree

    async def _undo_create(self, tree: Worktree) -> None:
        """Take down what a failed or cancelled ``worktree add`` left; a branch that holds
        more than its base (not ours after all) stays."""
        await remove_worktree(self.repo, tree.path)
        if await branch_tip(self.repo, tree.branch) == tree.base:
            await delete_branch(self.repo, tree.branch)
        await anyio.to_thread.run_sync(forget_base, tree.path)

    async def _base_commit(self) -> str:
        async with self._setup_lock:
            try:
                await anyio.to_thread.run_sync(self._make_root)
            except OSError as exc:
                raise IsolationError(f"cannot create the worktree directory {self.root}: "
                                     f"{exc.strerror or exc}") from exc
            if self.base == "head":
                return await head_commit(self.repo)
            if self._snapshot is None:
                self._snapshot = await snapshot(
                    self.repo, f"flowdsl: working tree of run {self.run_id}",
                    await self._identity_env())
            return self._snapshot

    def _make_root(self) -> None:
        ensure_runs_dir(self.repo)
        self._owner.take()
        self.root.mkdir(exist_ok=True)

    async def _claim(self, wanted: str) -> str:
        """``wanted`` or the first ``wanted-N`` free as branch, directory and claim."""
        async with self._names_lock:
            branches = set(await self._branch_leaves())

            def taken(name: str) -> bool:
                path = self.root / name
                return (name in self._claimed or name in branches or path.exists()
                        or base_file(path).exists())

            name = unique_name(wanted, taken)
            self._claimed.add(name)
            return name

    async def _branch_leaves(self) -> list[str]:
        prefix = f"refs/heads/{BRANCH_PREFIX}/{self.run_id}/"
        out = await git("for-each-ref", "--format=%(refname)", prefix, cwd=self.repo)
        return [line.removeprefix(prefix) for line in out.splitlines() if line]

    async def _identity_env(self) -> dict[str, str]:
        if self._identity is None:
            self._identity = await identity_env(self.repo)
        return self._identity

    # -- finish / discard ------------------------------------------------------------

    async def finish(self, tree: Worktree, message: str) -> WorktreeResult | None:
        """Commit what the agent changed on its branch and remove the worktree.

        Returns None (worktree and branch removed) when the agent changed nothing.

        Raises:
            IsolationError: a git command failed; the worktree and branch are left for
                :meth:`discard` or :meth:`cleanup`.
        """
        async with self._limiter:
            commit = await self._commit(tree, message)
            if commit == tree.base:
                await self._take_down(tree, keep_branch=False)
                return None
            result = await self._describe(tree, commit)
            await self._take_down(tree, keep_branch=True)
            return result

    async def _commit(self, tree: Worktree, message: str) -> str:
        """Stage everything, commit it if anything is staged; the worktree's HEAD."""
        await git("add", "-A", cwd=tree.path)
        staged = await git("diff", "--cached", "--name-only", "-z", cwd=tree.path)
        if staged:
            text = message if message.strip() else f"flowdsl: changes of {tree.branch}"
            await git("commit", "--quiet", "--no-verify", "-m", text, cwd=tree.path,
                      env=await self._identity_env())
        return (await git("rev-parse", "HEAD", cwd=tree.path)).strip()

    async def _describe(self, tree: Worktree, commit: str) -> WorktreeResult:
        names = await git("diff", "--no-renames", "--name-only", "-z", tree.base, commit,
                          cwd=self.repo)
        stat = await git("diff", "--no-renames", "--shortstat", tree.base, commit,
                         cwd=self.repo)
        files = tuple(sorted(name for name in names.split("\0") if name))
        return WorktreeResult(branch=tree.branch, commit=commit, files_changed=files,
                              diffstat=stat.strip())

    async def discard(self, tree: Worktree) -> None:
        """Remove the worktree of an agent cut short, and its branch. Never raises for a
        tree already removed; runs shielded from cancellation (bounded by
        :data:`DISCARD_TIMEOUT`)."""
        with anyio.CancelScope(shield=True), anyio.move_on_after(DISCARD_TIMEOUT):
            await self._take_down(tree, keep_branch=False)

    async def _take_down(self, tree: Worktree, *, keep_branch: bool) -> None:
        await remove_worktree(self.repo, tree.path)
        if not keep_branch:
            await delete_branch(self.repo, tree.branch)
        await anyio.to_thread.run_sync(forget_base, tree.path)

    # -- cleanup ---------------------------------------------------------------------

    async def cleanup(self) -> list[Path]:
        """Remove this run's leftover worktrees, and their branches that hold no commit
        beyond their base; prune git's records and remove the run's empty directory.

        Returns the worktree directories removed.
        """
        leftovers = await anyio.to_thread.run_sync(self._leftovers)
        removed: list[Path] = []
        for path in leftovers:
            if await anyio.Path(path).exists():
                await remove_worktree(self.repo, path)
                removed.append(path)
        await _prune(self.repo)
        for path in leftovers:
            base, branch = read_base(path), branch_name(self.run_id, path.name)
            tip = await branch_tip(self.repo, branch)
            if base is not None and tip == base:
                await delete_branch(self.repo, branch)
            await anyio.to_thread.run_sync(forget_base, path)
        await anyio.to_thread.run_sync(_remove_if_empty, self.root)
        await anyio.to_thread.run_sync(self._owner.release)
        return removed

    def _leftovers(self) -> list[Path]:
        """Worktree directories under the root, and those only their ``.base`` recalls."""
        if not self.root.is_dir():
            return []
        found: set[Path] = set()
        for entry in self.root.iterdir():
            if entry.name.endswith(".base") and entry.is_file():
                found.add(entry.with_name(entry.name.removesuffix(".base")))
            elif entry.is_dir():
                found.add(entry)
        return sorted(found)


async def _prune(repo: Path) -> None:
    try:
        await git("worktree", "prune", cwd=repo)
    except IsolationError:
        pass  # nothing to prune is not a failure; a broken repository shows elsewhere


def _remove_if_empty(path: Path) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass  # not empty (a worktree git refused to let go of) or already gone
