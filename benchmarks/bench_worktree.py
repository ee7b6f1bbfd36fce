"""Scenario 9 — worktree isolation: what one ``isolation="worktree"`` agent costs.

A synthetic repository (``files`` files of ``file_kb`` KB in folders of 50, one commit)
in a temporary directory; every figure is a median over repeats, all in one process:

1. ``git``: plain ``git worktree add -b`` of the whole tree, then ``git worktree remove``
   and ``git branch -D`` — what git alone costs, the reference for the rows below.
2. ``sequential``: :meth:`Worktrees.create` (records, branch, checkout), ``finish`` of an
   agent that changed nothing (worktree and branch removed), and ``finish`` of one that
   changed a file (commit, diffstat, worktree removed, branch kept), one at a time.
3. ``fanout``: ``fanout`` worktrees created at once through one ``Worktrees`` at each
   creation concurrency (4 is the runtime's), then all finished at once: wall time and
   wall time per worktree.
4. ``end_to_end``: a ``.flow.py`` fanning out ``fanout`` agents that each write one file
   (``FunctionBackend``, zero latency, ``isolation="inline"`` runs) with
   ``isolation="worktree"`` and without, interleaved: the time an isolated agent adds.

Claude Code documents 200–500 ms per worktree; the target is that bound per creation.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

from ._harness import progress, summarize

KEY = "worktree"
TITLE = "Worktree isolation: creation, finishing, 64 at once, an isolated agent end to end"

FULL = {"files": 2000, "file_kb": 2, "sequential": 12, "fanout": 64,
        "concurrency": [1, 4, 16, 64], "rounds": 1}
QUICK = {"files": 300, "file_kb": 1, "sequential": 3, "fanout": 8, "concurrency": [4],
         "rounds": 1}

JSON = dict[str, Any]

AGENTS_PY = """\
meta = {"name": "bench-worktrees", "description": "n agents, each writing one file"}
isolation = "worktree" if args["isolated"] else None
outs = await parallel(agent("edit " + str(i), label="a" + str(i), isolation=isolation)
                      for i in range(args["n"]))
return len([o for o in outs if o is not None])
"""


def _git(repo: Path, *argv: str) -> str:
    return subprocess.run(["git", *argv], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


def make_repo(root: Path, files: int, file_kb: int) -> Path:
    """A repository of ``files`` files of ``file_kb`` KB, committed once."""
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    line = "x" * 63 + "\n"
    body = line * (file_kb * 16)
    for i in range(files):
        path = root / f"pkg{i // 50:03d}" / f"module_{i:04d}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"# file {i}\n" + body)
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=bench", "-c", "user.email=bench@localhost",
         "commit", "-q", "-m", "start")
    return root


def _plain_git_round(repo: Path, i: int, add: list[float], remove: list[float]) -> None:
    """One plain ``git worktree add`` of the tree and its removal, timed: the floor."""
    path = repo.parent / f"plain-{i}"
    started = time.perf_counter()
    _git(repo, "worktree", "add", "-q", "-b", f"plain/{i}", str(path))
    add.append(time.perf_counter() - started)
    started = time.perf_counter()
    _git(repo, "worktree", "remove", "--force", str(path))
    _git(repo, "branch", "-D", f"plain/{i}")
    remove.append(time.perf_counter() - started)


async def sequential(repo: Path, n: int) -> tuple[JSON, JSON]:
    """flowdsl's worktrees one at a time, each round beside a plain ``git worktree add``
    (interleaved: this disk's speed moves within a run, as its write-back catches up)."""
    from flowdsl._runtime._worktree import Worktrees

    trees = Worktrees(repo, "bench-seq")
    create, unchanged, changed = [], [], []
    add: list[float] = []
    remove: list[float] = []
    for i in range(n):
        _plain_git_round(repo, i, add, remove)
        started = time.perf_counter()
        tree = await trees.create(i, "seq")
        create.append(time.perf_counter() - started)
        started = time.perf_counter()
        if i % 2:
            await anyio.Path(tree.path / "pkg000" / "module_0000.py").write_text("edited\n")
            assert await trees.finish(tree, "seq: edit") is not None
            changed.append(time.perf_counter() - started)
        else:
            assert await trees.finish(tree, "seq: nothing") is None
            unchanged.append(time.perf_counter() - started)
    return ({"create_s": summarize(create), "finish_unchanged_s": summarize(unchanged),
             "finish_changed_s": summarize(changed)},
            {"add_s": summarize(add), "remove_s": summarize(remove)})


async def fanout(repo: Path, n: int, concurrency: int, rounds: int) -> JSON:
    from flowdsl._runtime._worktree import Worktree, Worktrees

    create, finish = [], []
    for r in range(rounds):
        trees = Worktrees(repo, f"bench-c{concurrency}-{r}", concurrency=concurrency)
        made: list[Worktree] = []

        async def one(index: int, trees: Worktrees = trees, made: list[Worktree] = made) -> None:
            made.append(await trees.create(index, "fan"))

        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for i in range(n):
                group.start_soon(one, i)
        create.append(time.perf_counter() - started)
        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for tree in made:
                group.start_soon(trees.finish, tree, "fan: nothing")
        finish.append(time.perf_counter() - started)
    c, f = summarize(create), summarize(finish)
    return {"n": n, "concurrency": concurrency, "create_wall_s": c, "finish_wall_s": f,
            "create_per_worktree_ms": c["median"] / n * 1e3,
            "finish_per_worktree_ms": f["median"] / n * 1e3}


def end_to_end(repo: Path, script: Path, n: int, rounds: int) -> JSON:
    import flowdsl
    from flowdsl import AgentRequest, RunOptions
    from flowdsl.testing import FunctionBackend

    def write(request: AgentRequest) -> str:
        target = Path(request.workspace or repo) / f"out-{request.label}.txt"
        target.write_text(request.prompt)
        return "done"

    walls: dict[str, list[float]] = {"isolated": [], "plain": []}
    for r in range(rounds):
        for kind in (("isolated", "plain") if r % 2 == 0 else ("plain", "isolated")):
            options = RunOptions.resolve(repo, isolation="inline", max_agents=n + 1)
            started = time.perf_counter()
            result = flowdsl.run(script, backend=FunctionBackend(write), options=options,
                                 args={"n": n, "isolated": kind == "isolated"})
            walls[kind].append(time.perf_counter() - started)
            if result.value != n:
                raise RuntimeError(f"{kind} run: {result.status} {result.error}")
            _git(repo, "clean", "-qfx", "--exclude=.flowdsl")
    iso, plain = summarize(walls["isolated"]), summarize(walls["plain"])
    return {"n": n, "isolated_s": iso, "plain_s": plain,
            "added_per_agent_ms": (iso["median"] - plain["median"]) / n * 1e3}


def run(quick: bool) -> JSON:
    p = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="flowdsl-bench-worktree-") as tmp:
        repo = make_repo(Path(tmp) / "repo", p["files"], p["file_kb"])
        filesystem = subprocess.run(["stat", "-f", "-c", "%T", tmp], capture_output=True,
                                    text=True, check=False).stdout.strip() or "unknown"
        script = Path(tmp) / "agents.flow.py"
        script.write_text(AGENTS_PY)
        progress(f"worktree: sequential create / finish beside plain git, {p['files']} files")
        seq, git_ref = anyio.run(sequential, repo, p["sequential"])
        fans = []
        for c in p["concurrency"]:
            progress(f"worktree: {p['fanout']} at once, concurrency {c}")
            fans.append(anyio.run(fanout, repo, p["fanout"], c, p["rounds"]))
        progress(f"worktree: {p['fanout']} agents end to end")
        e2e = end_to_end(repo, script, p["fanout"], p["rounds"] * 2)
    runtime = next(f for f in fans if f["concurrency"] == 4)
    return {
        "conditions": {"files": p["files"], "file_kb": p["file_kb"],
                       "repo_mb": round(p["files"] * p["file_kb"] / 1024, 1),
                       "filesystem": filesystem},
        "git": git_ref,
        "sequential": seq,
        "fanout": fans,
        "end_to_end": e2e,
        "headline": {
            "create_ms": seq["create_s"]["median"] * 1e3,
            "git_add_ms": git_ref["add_s"]["median"] * 1e3,
            "create_vs_git": seq["create_s"]["median"] / git_ref["add_s"]["median"],
            "finish_unchanged_ms": seq["finish_unchanged_s"]["median"] * 1e3,
            "finish_changed_ms": seq["finish_changed_s"]["median"] * 1e3,
            "fanout_create_per_worktree_ms": runtime["create_per_worktree_ms"],
            "fanout_create_wall_s": runtime["create_wall_s"]["median"],
            "added_per_agent_ms": e2e["added_per_agent_ms"],
        },
    }
