"""Helpers to compile and run sandbox snippets without the runtime or the frontends."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import anyio
import anyio.lowlevel

from flowdsl._sandbox import (
    CompiledScript,
    SandboxPolicy,
    ScriptHooks,
    compile_python,
    start_script,
)

HEADER = 'meta = {"name": "t", "description": "t"}\n'
"""Line 1 of every snippet script: snippets start on line 2."""


class Stop(BaseException):
    """Stands in for the runtime's stop signal (a BaseException, like trio's Cancelled)."""


@dataclass
class CountingTick:
    """A deterministic deadline: raises Stop on every call after ``limit`` calls."""

    limit: int = 10_000_000
    calls: int = 0

    def __call__(self) -> None:
        self.calls += 1
        if self.calls > self.limit:
            raise Stop


@dataclass
class Budget:
    """Like the runtime's budget, it opts in to the attributes scripts may read."""

    __sandbox_attrs__: ClassVar[frozenset[str]] = frozenset({"total", "spent", "remaining"})
    total: int | None = 1000
    used: int = 120

    def spent(self) -> int:
        return self.used

    def remaining(self) -> int | None:
        return None if self.total is None else self.total - self.used


@dataclass
class Stubs:
    """The DSL as a script sees it, with fakes: agents echo their prompt."""

    logs: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    args: Any = None

    async def agent(self, prompt: str, **options: Any) -> str:
        self.prompts.append(prompt)
        await anyio.lowlevel.checkpoint()
        return f"done: {prompt}"

    async def parallel(self, tasks: Iterable[Any]) -> list[Any]:
        results = []
        for task in tasks:
            if callable(task):
                task = task()
            results.append(await task if isinstance(task, Awaitable) else task)
        return results

    def log(self, *parts: object) -> None:
        self.logs.append(" ".join(map(str, parts)))

    def dsl(self) -> Mapping[str, object]:
        return {
            "agent": self.agent,
            "parallel": self.parallel,
            "log": self.log,
            "phase": self.log,
            "args": self.args,
            "budget": Budget(),
        }


_paths = itertools.count()


def compile_snippet(
    snippet: str, *, unique: bool = True, policy: SandboxPolicy | None = None
) -> CompiledScript:
    """Compile HEADER + snippet (under a unique path, as each test script would have)."""
    path = f"snippet{next(_paths)}.flow.py" if unique else "snippet.flow.py"
    return compile_python(HEADER + snippet, path, policy=policy)


def run_compiled(
    compiled: CompiledScript,
    *,
    stubs: Stubs | None = None,
    tick: Callable[[], None] | None = None,
    policy: SandboxPolicy | None = None,
) -> Any:
    """Run compiled snippet code to its return value, under ``policy`` (default policy)."""
    dsl = (stubs or Stubs()).dsl()
    hooks = ScriptHooks(tick=tick or CountingTick())
    chosen = policy or SandboxPolicy.default()
    return anyio.run(lambda: start_script(compiled.code, dsl, hooks, chosen))


def run_snippet(
    snippet: str,
    *,
    stubs: Stubs | None = None,
    tick: Callable[[], None] | None = None,
    policy: SandboxPolicy | None = None,
) -> Any:
    """Compile and run a snippet to its return value."""
    compiled = compile_snippet(snippet, policy=policy)
    return run_compiled(compiled, stubs=stubs, tick=tick, policy=policy)
