"""The globals a script sees: agent, parallel, pipeline, phase, log, args, budget, workflow.

One :class:`ScriptContext` per script (the top-level one and each ``workflow()`` child):
children share the run's limiter, agent cap, budget and cancellation, but have their
own ``args`` and current phase.
"""

from __future__ import annotations

import inspect
import itertools
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import anyio
import jsonschema

from .._frontends import CompiledWorkflow, compile_file
from .._schema import schema_validator
from .._types import AgentRecord, AgentRequest, AgentStatus, Usage
from ..backends._common import REASK_GATE
from ..errors import (
    AgentLimitExceeded,
    AgentTimeout,
    BudgetExceeded,
    ItemLimitExceeded,
    UsageError,
    WorkflowNestingError,
)
from ._events import RunEvent
from ._run import Run, raise_from_group, to_json

__all__ = ["Budget", "ScriptContext"]

_WORKFLOW_SUFFIXES = ("", ".flow.py", ".js", ".mjs", ".py")


class Budget:
    """The script's view of the token budget: ``total``, ``spent()``, ``remaining()``."""

    __slots__ = ("_run",)

    def __init__(self, run: Run) -> None:
        self._run = run

    @property
    def total(self) -> int | None:
        return self._run.limits.budget

    def spent(self) -> int:
        return self._run.spent

    def remaining(self) -> float:
        total = self._run.limits.budget
        if total is None:
            return float("inf")
        return max(0, total - self._run.spent)

    def __repr__(self) -> str:
        return f"Budget(total={self.total}, spent={self.spent()})"


def _positional_arity(fn: Callable[..., Any]) -> int:
    """How many positional arguments ``fn`` takes (3 if it takes *args)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 3
    count = 0
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            return 3
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return min(count, 3)


async def _resolve(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


_HEADROOM = 150


def _check_headroom() -> None:
    """Refuse an agent call made near the recursion limit.

    A RecursionError raised inside anyio's cancel-scope bookkeeping would corrupt the
    run; raising it here, before any of that starts, keeps it the script's own error.
    ``sys._getframe(n)`` walks at most n frames in C and fails fast on shallow stacks.
    """
    try:
        sys._getframe(sys.getrecursionlimit() - _HEADROOM)
    except ValueError:
        return
    raise RecursionError("maximum recursion depth exceeded before calling agent()")


def _close_unstarted(items: Iterable[Any]) -> None:
    """Close coroutines never awaited (closing a finished one is a no-op)."""
    for item in items:
        if inspect.iscoroutine(item):
            item.close()


class ScriptContext:
    """The DSL bound to one script of a run."""

    def __init__(self, run: Run, compiled: CompiledWorkflow, args: Any, depth: int = 0) -> None:
        self.run = run
        self.compiled = compiled
        self.args = args
        self.depth = depth
        self.current_phase: str | None = None
        self._phase_models: dict[str, str] = {
            str(p["title"]): str(p["model"])
            for p in compiled.meta.get("phases") or ()
            if isinstance(p, dict) and p.get("model") and p.get("title")
        }

    def __repr__(self) -> str:
        return "<flowdsl script context>"  # the same in every process: prompts may embed it

    def globals(self) -> dict[str, object]:
        return {
            "agent": self.agent,
            "parallel": self.parallel,
            "pipeline": self.pipeline,
            "phase": self.phase,
            "log": self.log,
            "args": self.args,
            "budget": Budget(self.run),
            "workflow": self.workflow,
        }

    # -- phase / log -------------------------------------------------------------------

    def phase(self, title: Any) -> None:
        """Start a progress group; later agents default to it."""
        text = str(title)
        self.current_phase = text
        if text not in self.run.phases:
            self.run.phases.append(text)
        self.run.emit(RunEvent(kind="phase", text=text))

    def log(self, *parts: Any) -> None:
        """A narrator line in the run's log."""
        line = " ".join(p if isinstance(p, str) else str(p) for p in parts)
        self.run.logs.append(line)
        self.run.emit(RunEvent(kind="log", text=line))

    # -- agent -------------------------------------------------------------------------

    def agent(
        self,
        prompt: Any,
        *,
        label: str | None = None,
        phase: str | None = None,
        schema: dict[str, Any] | None = None,
        model: str | None = None,
        effort: str | None = None,
        agent_type: str | None = None,
        isolation: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[Any]:
        """Run one subagent: the text, the schema object, or None when it failed.

        The request (and so its phase) is fixed when ``agent()`` is called; the budget
        and cap checks happen when it is awaited (or started by ``parallel``).
        """
        if not isinstance(prompt, str):
            raise TypeError(f"agent() prompt must be a string, not {type(prompt).__name__}")
        phase = phase if phase is not None else self.current_phase
        request = AgentRequest(
            prompt=prompt,
            label=label,
            phase=phase,
            model=model or self._phase_models.get(phase or "") or self.run.default_model,
            schema=schema,
            effort=effort,
            agent_type=agent_type,
            isolation=isolation,
            timeout=timeout,
        )
        return self.dispatch(request)

    async def dispatch(self, request: AgentRequest) -> Any:
        """Gate, replay or run one request and record it."""
        _check_headroom()
        run = self.run
        limits = run.limits
        if limits.budget is not None and run.spent >= limits.budget:
            raise BudgetExceeded(limits.budget, run.spent)
        if run.agents_started >= limits.max_agents:
            raise AgentLimitExceeded(limits.max_agents)
        validator = schema_validator(request.schema) if request.schema is not None else None
        index = run.agents_started
        run.agents_started += 1
        key = run.keys.key(request) if run.journal is not None else ""
        if run.journal is not None:
            replayed = run.journal.replay(key)
            if replayed is not None:
                return self._finish(index, key, request, "replayed", replayed.output,
                                    replayed.usage, 0.0, None, journal=False)
        await run.wait_unpaused()
        limiter = run.limiter
        try:
            limiter.acquire_nowait()  # the common case needs no extra trip through the loop
        except anyio.WouldBlock:
            await limiter.acquire()
        try:
            await run.wait_unpaused()
            if limits.budget is not None and run.spent >= limits.budget:
                raise BudgetExceeded(limits.budget, run.spent)  # spent while we queued
            return await self._call(index, key, request, validator)
        finally:
            limiter.release()

    async def _call(
        self,
        index: int,
        key: str,
        request: AgentRequest,
        validator: jsonschema.protocols.Validator | None,
    ) -> Any:
        run = self.run
        timeout = request.timeout if request.timeout is not None else run.limits.agent_timeout
        if run.observers:
            run.emit(RunEvent(kind="agent_started", request=request, index=index))
        run.agents_running += 1
        started = time.perf_counter()
        budget = run.limits.budget
        gate = REASK_GATE.set(
            (lambda used: run.spent + used.total_tokens < budget) if budget is not None else None
        )
        try:
            with anyio.CancelScope(deadline=anyio.current_time() + timeout) as scope:
                result = await run.backend.run(request)
            if scope.cancelled_caught:
                error = str(AgentTimeout(timeout, request.label))
                return self._finish(index, key, request, "timeout", None, Usage(),
                                    time.perf_counter() - started, error)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            spent = getattr(exc, "usage", None)  # tokens a failed agent still cost (re-asks)
            return self._finish(index, key, request, "failed", None,
                                spent if isinstance(spent, Usage) else Usage(),
                                time.perf_counter() - started, error)
        finally:
            REASK_GATE.reset(gate)
            run.agents_running -= 1
        duration = time.perf_counter() - started
        output = result.output
        if validator is not None:
            problem = next(iter(validator.iter_errors(output)), None)
            if problem is not None:
                error = f"output does not match the schema: {problem.message}"
                return self._finish(index, key, request, "failed", None, result.usage,
                                    duration, error)
        return self._finish(index, key, request, "ok", output, result.usage, duration, None)

    def _finish(
        self,
        index: int,
        key: str,
        request: AgentRequest,
        status: AgentStatus,
        output: Any,
        usage: Usage,
        duration: float,
        error: str | None,
        *,
        journal: bool = True,
    ) -> Any:
        run = self.run
        record = AgentRecord(request=request, status=status, output=output, usage=usage,
                             duration=duration, error=error)
        run.usage = run.usage + usage
        run.records.append(record)
        if not record.ok:
            run.agents_failed += 1
        if journal and run.journal is not None:
            run.journal.record(key, record)
        if run.observers:
            run.emit(RunEvent(kind="agent_finished", record=record, index=index))
        return output if record.ok else None

    # -- parallel / pipeline -------------------------------------------------------------

    def _take(self, items: Iterable[Any], what: str) -> list[Any]:
        limit = self.run.limits.max_items
        taken = list(itertools.islice(items, limit + 1))
        if len(taken) > limit:
            _close_unstarted(taken)
            actual = len(items) if isinstance(items, list) else None
            raise ItemLimitExceeded(what, limit, actual)
        return taken

    async def _each(self, count: int, work: Callable[[int], Awaitable[None]]) -> None:
        """Run ``work(0..count-1)`` on at most ``concurrency`` worker tasks.

        Only ``concurrency`` agents can run at once anyway, so a pool that size gives
        the same schedule as one task per item, without thousands of tasks queued on
        the limiter; and the budget gate is checked when an item really starts.
        """
        indices = iter(range(count))

        async def worker() -> None:
            for index in indices:  # shared: each next() hands one item to one worker
                await work(index)

        try:
            async with anyio.create_task_group() as tg:
                for _ in range(min(count, self.run.limits.concurrency)):
                    tg.start_soon(worker)
        except BaseExceptionGroup as group:  # a Halt (deadline, stop) from inside an item
            raise_from_group(group)

    async def parallel(self, tasks: Iterable[Any]) -> list[Any]:
        """Run every task at once; results in input order; a failed task gives None."""
        items = self._take(iter(tasks) if not isinstance(tasks, list) else tasks, "parallel")
        results: list[Any] = [None] * len(items)

        async def one(i: int) -> None:
            task = items[i]
            try:
                value = task() if callable(task) else task
                results[i] = await _resolve(value)
            except Exception as exc:
                self._note_failure("parallel", i, exc)

        try:
            await self._each(len(items), one)
        finally:
            _close_unstarted(items)  # a cancelled run leaves items no worker reached
        return results

    async def pipeline(self, items: Iterable[Any], *stages: Callable[..., Any]) -> list[Any]:
        """Pass each item through the stages independently; a raising item gives None."""
        values = self._take(iter(items) if not isinstance(items, list) else items, "pipeline")
        results: list[Any] = [None] * len(values)
        arities = [_positional_arity(stage) for stage in stages]

        async def one(index: int) -> None:
            item = value = values[index]
            try:
                for stage, arity in zip(stages, arities, strict=True):
                    value = await _resolve(stage(*(value, item, index)[:arity]))
                results[index] = value
            except Exception as exc:
                self._note_failure("pipeline", index, exc)

        await self._each(len(values), one)
        return results

    def _note_failure(self, what: str, index: int, exc: Exception) -> None:
        line = f"{what} item {index} failed: {type(exc).__name__}: {exc}"
        self.run.emit(RunEvent(kind="log", text=line))

    # -- workflow ----------------------------------------------------------------------

    async def workflow(self, ref: Any, args: Any = None) -> Any:
        """Run another workflow inline (one level deep) and return its result."""
        if self.depth >= 1:
            raise WorkflowNestingError("workflow() nests one level only")
        name = ref if isinstance(ref, str) else None
        if isinstance(ref, dict):
            name = ref.get("scriptPath") or ref.get("path") or ref.get("name")
        if not isinstance(name, str) or not name:
            raise UsageError(f"workflow() takes a name or a path, not {ref!r:.60}")
        compiled = compile_file(self._find_workflow(name))
        child = ScriptContext(self.run, compiled, args, depth=self.depth + 1)
        value = await compiled.start(child.globals(), self.run.tick)
        return to_json(value)

    def _find_workflow(self, ref: str) -> Path:
        """A path (inside the calling script's project) or a name (next to it, or saved)."""
        base = Path(self.compiled.path).parent
        is_path = Path(ref).is_absolute() or "/" in ref or "\\" in ref or ref.startswith(".")
        # Containment first: whether a file outside the project exists is not for scripts.
        if not (base / ref).resolve().is_relative_to(project_root(base)):
            raise UsageError(f"workflow {ref!r} is outside the project")
        for suffix in _WORKFLOW_SUFFIXES:
            candidate = base / f"{ref}{suffix}"
            if candidate.is_file():
                return candidate
        found = None if is_path else find_saved_workflow(ref, base)
        if found is None:
            raise UsageError(f"workflow {ref!r} not found next to {self.compiled.path} "
                             "or among saved workflows")
        return found


def project_root(start: Path) -> Path:
    """The repository root above ``start`` (a folder with ``.git``), else ``start`` itself."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def find_saved_workflow(name: str, start: Path) -> Path | None:
    """Saved workflows (``.flowdsl/workflows``, ``.claude/workflows``)."""
    from .._store._workflows import find_workflow  # lazy: the store imports the runtime

    return find_workflow(name, start, as_path=False)
