"""A backend for the ``@review`` tests (loaded as module:factory): a diff reader that
really asks git, simulated agents for everything else.

The diff reader answers from ``git status --porcelain`` in the current directory, where
agents work, so a test's repository decides which files the workflow reviews.
"""

from __future__ import annotations

import anyio

from flowdsl._types import AgentRequest, AgentResult
from flowdsl.backends._simulate import SimulateBackend


class GitDiffBackend:
    """``flowdsl-diff-reader`` from git; every other agent simulated."""

    def __init__(self) -> None:
        self.simulate = SimulateBackend()

    async def run(self, request: AgentRequest) -> AgentResult:
        if request.agent_type != "flowdsl-diff-reader":
            return await self.simulate.run(request)
        status = await anyio.run_process(["git", "status", "--porcelain",
                                          "--untracked-files=all"])
        paths = sorted(line[3:] for line in status.stdout.decode().splitlines() if line)
        files = [{"path": path, "summary": "changed"} for path in paths]
        return AgentResult(output={"files": files, "note": ""})


def create() -> GitDiffBackend:
    return GitDiffBackend()
