"""Where each agent works: the project directory, or a git worktree of its own.

Every request the run sends carries ``workspace``, the directory its backend must use as
working directory and tool root. A plain agent works in the project directory. An agent
called with ``isolation="worktree"`` gets a fresh worktree of the project's repository
(:mod:`._worktree`): on success its changes are committed on its own branch and the
worktree is removed (no change: the branch goes too); a failed or cancelled agent's
worktree and branch are discarded. The record keeps ``{branch, commit, files_changed,
diffstat}`` and the journal with it, so a resumed run replays the agent without running it
again.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Literal

import anyio

from .._types import AgentRecord, AgentRequest, request_with_workspace
from ..errors import IsolationError
from ._worktree import Worktree, Worktrees, find_repo

__all__ = ["ISOLATIONS", "Workspaces"]

ISOLATIONS = ("worktree",)
"""The values ``agent(isolation=...)`` takes (None: the project directory)."""

WorktreeBase = Literal["head", "working-tree"]


class Workspaces:
    """The workspaces of one run's agents."""

    def __init__(self, project: str | None, run_id: str | None,
                 base: WorktreeBase = "head", *, remote: bool = False) -> None:
        self.project = project
        """The project directory (None: the backend's own working directory)."""
        self._run_id = run_id or f"unstored-{secrets.token_hex(4)}"
        self._base: WorktreeBase = base
        self._worktrees: Worktrees | None = None
        self._repo_checked = False
        self._finding = anyio.Lock()
        self._remote = remote
        """The agents run on distributed workers, in directories of their own."""

    async def check(self, isolation: str | None) -> None:
        """Raise ``IsolationError`` before dispatch for a value that cannot be honoured: an
        unknown one, or ``"worktree"`` outside a git repository."""
        if isolation is None:
            return
        if isolation not in ISOLATIONS:
            raise IsolationError(f"agent() isolation must be one of {', '.join(ISOLATIONS)} "
                                 f"(got {isolation!r})")
        if self._remote:
            raise IsolationError("agent(isolation='worktree') is not supported in distributed "
                                 "runs yet: the agent runs on a worker, in that worker's "
                                 "directory")
        if not self._repo_checked:
            async with self._finding:  # the first isolated calls of a fan-out arrive at once
                if not self._repo_checked:
                    where = Path(self.project) if self.project is not None else Path.cwd()
                    repo = await find_repo(where)
                    if repo is not None:
                        self._worktrees = Worktrees(repo, self._run_id, base=self._base)
                    self._repo_checked = True
        if self._worktrees is None:
            raise IsolationError(f"agent(isolation='worktree') needs a git repository: "
                                 f"{self.project or 'the current directory'} is not in one")

    def shared(self, request: AgentRequest) -> AgentRequest:
        """A request without isolation, its workspace set: the project directory."""
        if self.project is None or request.workspace is not None:
            return request
        return request_with_workspace(request, self.project)

    async def isolated(self, index: int, request: AgentRequest,
                       call: Callable[[AgentRequest], Awaitable[AgentRecord]]) -> AgentRecord:
        """``call`` the agent in a worktree of its own: its changes committed on its
        branch afterwards, or discarded (a failed or cancelled agent, or a git failure)."""
        try:
            request, tree = await self.enter(index, request)
        except IsolationError as exc:
            return AgentRecord(request=request, status="failed",
                               error=f"{type(exc).__name__}: {exc}")
        try:
            record = await call(request)
        except anyio.get_cancelled_exc_class():
            if tree is not None:
                await self.discard(tree)
            raise
        return await self.leave(tree, record) if tree is not None else record

    async def enter(self, index: int, request: AgentRequest) -> tuple[AgentRequest,
                                                                      Worktree | None]:
        """The request with its workspace set, and the worktree made for it (if isolated).

        Raises:
            IsolationError: git could not create the worktree.
        """
        if request.isolation is None or self._worktrees is None:
            return self.shared(request), None
        tree = await self._worktrees.create(index, request.label)
        return request_with_workspace(request, str(tree.path)), tree

    async def leave(self, tree: Worktree, record: AgentRecord) -> AgentRecord:
        """After the agent: an ok agent's changes committed on its branch (kept in the
        record), anything else discarded. A git failure fails the agent."""
        assert self._worktrees is not None
        if not record.ok:
            await self.discard(tree)
            return record
        try:
            kept = await self._worktrees.finish(tree, _commit_message(record.request))
        except IsolationError as exc:
            await self.discard(tree)
            return replace(record, status="failed", output=None,
                           error=f"{type(exc).__name__}: {exc}")
        return replace(record, worktree=kept) if kept is not None else record

    async def discard(self, tree: Worktree) -> None:
        """Remove an agent's worktree and branch, even while the run is being cancelled
        (shielded; what git refuses is left to :meth:`cleanup` and the next sweep)."""
        if self._worktrees is not None:
            await self._worktrees.discard(tree)

    async def cleanup(self) -> None:
        """At the run's end (completed, failed, stopped): remove leftover worktrees."""
        if self._worktrees is not None:
            with anyio.CancelScope(shield=True):
                await self._worktrees.cleanup()


def _commit_message(request: AgentRequest) -> str:
    """The label and the prompt's first line."""
    first = next((line.strip() for line in request.prompt.splitlines() if line.strip()), "")
    subject = f"{request.label}: {first}" if request.label else first
    if len(subject) > 72:
        subject = subject[:71] + "…"
    return f"{subject or 'flowdsl agent'}\n\nCommitted by flowdsl for an isolated agent."
