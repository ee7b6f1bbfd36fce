"""Backends and scripts for the store tests; importable by worker subprocesses.

The counting backend appends one line per execution (at its start) to the file named by
``FLOWDSL_TEST_COUNT_FILE``, with ``O_APPEND`` so counts survive ``kill -9``; it sleeps
``FLOWDSL_TEST_LATENCY`` seconds and answers deterministically from the prompt.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import anyio

from flowdsl import AgentRequest, AgentResult, Usage

FANOUT = '''meta = {"name": "fanout", "description": "fan-out then reduce"}
n = (args or {}).get("n", 40)
phase("Fan")
outs = await parallel(agent(f"task {i}", label=f"t{i}") for i in range(n))
log("fanned out", len(outs))
phase("Reduce")
summary = await agent("summarize " + ",".join(o or "-" for o in outs), label="sum")
return {"outs": outs, "summary": summary}
'''


@dataclass
class Proc:
    """What a CLI run the tests started gave back."""

    code: int
    out: str
    err: str


def answer(prompt: str) -> str:
    return "out:" + hashlib.sha256(prompt.encode()).hexdigest()[:10]


class CountingBackend:
    """Counts executions in a file (survives kill -9); deterministic outputs."""

    def __init__(self) -> None:
        self.path = os.environ.get("FLOWDSL_TEST_COUNT_FILE")
        self.latency = float(os.environ.get("FLOWDSL_TEST_LATENCY", "0"))
        self.fail = os.environ.get("FLOWDSL_TEST_FAIL", "")

    async def run(self, request: AgentRequest) -> AgentResult:
        if self.path:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, (request.prompt[:60].replace("\n", " ") + "\n").encode())
            finally:
                os.close(fd)
        if self.latency:
            await anyio.sleep(self.latency)
        if self.fail and self.fail in request.prompt:
            raise RuntimeError(f"refusing {request.prompt!r}")
        return AgentResult(output=answer(request.prompt),
                           usage=Usage(input_tokens=10, output_tokens=5))


def executions(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text().splitlines() if line]


class NoCallsBackend:
    """Fails the test if any agent runs live."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def run(self, request: AgentRequest) -> AgentResult:
        self.calls.append(request.prompt)
        raise AssertionError(f"agent ran live during replay: {request.prompt!r}")


class IsolatedWriter(CountingBackend):
    """Counts executions like :class:`CountingBackend`; writes its prompt into
    ``notes.txt`` of its workspace; a prompt with ``slow`` sleeps 60 s when
    ``FLOWDSL_TEST_SLOW`` is set (to be killed mid-agent)."""

    async def run(self, request: AgentRequest) -> AgentResult:
        result = await super().run(request)
        if request.workspace is not None:
            (Path(request.workspace) / "notes.txt").write_text(request.prompt + "\n")
        if "slow" in request.prompt and os.environ.get("FLOWDSL_TEST_SLOW"):
            await anyio.sleep(60)
        return result


WORKTREES = '''meta = {"name": "fixers", "description": "isolated fixers, then one more"}
first = await parallel(agent(f"fix {i}", label=f"f{i}", isolation="worktree")
                       for i in range(4))
last = await agent("slow fix", label="last", isolation="worktree")
if (args or {}).get("fail"):
    raise ValueError("the script fails after its agents")
return {"labels": [b["label"] for b in branches()], "last": last}
'''
