"""The globals a script sees: agent, parallel, pipeline, phase, log, args, budget, workflow,
branches.

One :class:`ScriptContext` per script (the top-level one and each ``workflow()`` child):
children share the run's limiter, agent cap, budget and cancellation, but have their
own ``args`` and current phase. Everything reaches the run through the runner's port.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .._frontends import CompiledWorkflow
from ..errors import UsageError, WorkflowNestingError
from ._dispatch import AgentDispatch
from ._fanout import FanOut
from ._must_await import must_await
from ._outcome import to_json
from ._worktree._names import agent_number

if TYPE_CHECKING:
    from ._script import ScriptRunner

__all__ = ["Budget", "ScriptContext"]


class Budget:
    """The script's view of the token budget: ``total``, ``spent()``, ``remaining()``."""

    __slots__ = ("_runner",)
    __sandbox_attrs__: ClassVar[frozenset[str]] = frozenset({"total", "spent", "remaining"})

    def __init__(self, runner: ScriptRunner) -> None:
        self._runner = runner

    @property
    def total(self) -> int | None:
        return self._runner.options.budget

    def spent(self) -> int:
        return self._runner.port.spent

    def remaining(self) -> float:
        total = self._runner.options.budget
        if total is None:
            return float("inf")
        return max(0, total - self._runner.port.spent)

    def __repr__(self) -> str:
        return f"Budget(total={self.total}, spent={self.spent()})"


class ScriptContext:
    """The DSL bound to one script of a run."""

    def __init__(self, runner: ScriptRunner, compiled: CompiledWorkflow, args: Any,
                 depth: int = 0) -> None:
        self.runner = runner
        self.compiled = compiled
        self.args = args
        self.depth = depth
        self.agents = AgentDispatch(runner, compiled.meta)
        self.fanout = FanOut(runner)

    def __repr__(self) -> str:
        return "<flowdsl script context>"  # the same in every process: prompts may embed it

    def globals(self) -> dict[str, object]:
        return {
            "agent": self.agents.agent,
            "parallel": must_await(self.fanout.parallel, self.runner, "parallel()"),
            "pipeline": must_await(self.fanout.pipeline, self.runner, "pipeline()"),
            "phase": self.phase,
            "log": self.log,
            "args": self.args,
            "budget": Budget(self.runner),
            "workflow": must_await(self.workflow, self.runner, "workflow()"),
            "branches": self.branches,
        }

    def branches(self) -> list[dict[str, Any]]:
        """The branches isolated agents kept, in the order the agents were called:
        ``[{label, branch, commit, files_changed, diffstat}]`` (replayed ones included)."""
        kept = sorted(self.runner.branches, key=lambda b: agent_number(b["branch"]))
        return [dict(b, files_changed=list(b["files_changed"])) for b in kept]

    def phase(self, title: Any) -> None:
        """Start a progress group; later agents default to it."""
        text = str(title)
        self.runner.check_text("phase title", text)
        self.agents.current_phase = text
        self.runner.port.enter_phase(text)

    def log(self, *parts: Any) -> None:
        """A narrator line in the run's log."""
        line = " ".join(p if isinstance(p, str) else str(p) for p in parts)
        self.runner.log(line)

    async def workflow(self, ref: Any, args: Any = None) -> Any:
        """Run another workflow inline (one level deep) and return its result."""
        if self.depth >= 1:
            raise WorkflowNestingError("workflow() nests one level only")
        name = ref if isinstance(ref, str) else None
        if isinstance(ref, dict):
            name = ref.get("scriptPath") or ref.get("path") or ref.get("name")
        if not isinstance(name, str) or not name:
            raise UsageError(f"workflow() takes a name or a path, not {ref!r:.60}")
        compiled = await self.runner.port.load_workflow(name, self.compiled.path)
        child = ScriptContext(self.runner, compiled, to_json(args), depth=self.depth + 1)
        value = await compiled.start(child.globals(), self.runner.hooks)
        return to_json(value)
