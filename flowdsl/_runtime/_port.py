"""The seam between a script and the run that owns its agents.

The script side (``_script``: the sandboxed script, its scheduler, ``agent()`` calls,
``parallel``) asks the run's owner (``_run.Run``: backends, limiter, budget, timeouts,
journal, events) for everything through a :class:`RunPort`. :class:`InlinePort` calls
the :class:`Run` in the same process (``isolation="inline"``); the process boundary's
port (``_process``) sends the same calls to the parent as messages.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Protocol

from .._types import AgentRequest

if TYPE_CHECKING:
    from .._frontends import CompiledWorkflow
    from ._run import Run

__all__ = ["AgentReply", "InlinePort", "RunPort"]


class AgentReply:
    """What the run answers to one ``agent()`` call.

    A plain ``__slots__`` class rather than a frozen dataclass: one is made per agent on
    the hot path, and a frozen dataclass pays a guarded ``__setattr__`` per field.
    """

    __slots__ = ("output", "replay_seq", "spent", "worktree")

    def __init__(self, output: Any, spent: int, replay_seq: int | None = None,
                 worktree: dict[str, Any] | None = None) -> None:
        self.output = output
        """The agent's output, or None when it failed."""
        self.spent = spent
        """The run's tokens spent once this call was accounted."""
        self.replay_seq = replay_seq
        """A replayed result's place in the original completion order (None: ran now)."""
        self.worktree = worktree
        """An isolated agent that changed files: ``{branch, commit, files_changed,
        diffstat}`` (the script's ``branches()``)."""


class RunPort(Protocol):
    """What the script side of a run asks of the run's owner."""

    shares_outputs: bool
    """True when an answer's output is the run's own object (inline): the script side
    takes a copy of a dict or list before the script sees it."""

    @property
    def spent(self) -> int:
        """Tokens spent so far (as of the last answer)."""
        ...

    @property
    def replay_count(self) -> int:
        """How many finished agents the journal holds for replay."""
        ...

    def agent(self, request: AgentRequest) -> Awaitable[AgentReply]:
        """Run (or replay) one agent; raises the cap and budget errors to the script."""
        ...

    def log(self, line: str) -> None:
        """A narrator line, kept in the run's logs."""
        ...

    def note(self, line: str) -> None:
        """A line shown to observers but not kept (a fan-out item that raised)."""
        ...

    def enter_phase(self, title: str) -> None: ...

    async def load_workflow(self, name: str, script_path: str) -> CompiledWorkflow:
        """The compiled saved workflow ``name`` for ``workflow(name)``."""
        ...


class InlinePort:
    """The port of a script running in the run's own process."""

    __slots__ = ("_run",)
    shares_outputs = True

    def __init__(self, run: Run) -> None:
        self._run = run

    @property
    def spent(self) -> int:
        return self._run.spent

    @property
    def replay_count(self) -> int:
        return self._run.replay_count

    def agent(self, request: AgentRequest) -> Awaitable[AgentReply]:
        return self._run.agent(request)  # no coroutine of its own: one frame less per agent

    def log(self, line: str) -> None:
        self._run.log(line)

    def note(self, line: str) -> None:
        self._run.note(line)

    def enter_phase(self, title: str) -> None:
        self._run.enter_phase(title)

    async def load_workflow(self, name: str, script_path: str) -> CompiledWorkflow:
        return self._run.load_workflow(name, script_path)
