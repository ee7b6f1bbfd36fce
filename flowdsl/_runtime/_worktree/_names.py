"""Names: the slug of an agent's label, its worktree's directory and branch.

An agent's worktree is ``<repo>/.flowdsl/worktrees/<run_id>/<n>-<slug>`` on branch
``flowdsl/<run_id>/<n>-<slug>``, ``n`` being the agent's index plus one. A name already
taken (by a branch, a directory, or a worktree being created) gets ``-2``, ``-3``, ...
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "BRANCH_PREFIX",
    "MAX_SLUG",
    "agent_number",
    "branch_name",
    "check_run_id",
    "owner_lock",
    "runs_dir",
    "slug",
    "unique_name",
    "worktree_name",
]

BRANCH_PREFIX = "flowdsl"
MAX_SLUG = 40
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_RUN_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def slug(label: str | None) -> str:
    """``label`` lowercased to ``[a-z0-9-]`` (accents dropped, runs of other characters one
    dash, no dash at either end), at most 40 characters; ``"agent"`` when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", label or "").encode("ascii", "ignore").decode()
    text = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    return text[:MAX_SLUG].rstrip("-") or "agent"


def worktree_name(index: int, label: str | None) -> str:
    """``<index + 1>-<slug>``: the directory and branch leaf of agent ``index``."""
    if index < 0:
        raise ValueError(f"agent index must be >= 0, got {index}")
    return f"{index + 1}-{slug(label)}"


def unique_name(name: str, taken: Callable[[str], bool]) -> str:
    """``name``, else ``name-2``, ``name-3``, ... : the first that ``taken`` refuses."""
    candidate, n = name, 1
    while taken(candidate):
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def check_run_id(run_id: str) -> str:
    """``run_id`` if it can name a directory and a git branch component, else ValueError."""
    if not _RUN_ID.match(run_id):
        raise ValueError(f"run id {run_id!r} cannot name a worktree branch "
                         "(letters, digits, '-' and '_', at most 64)")
    return run_id


def branch_name(run_id: str, name: str) -> str:
    """``flowdsl/<run_id>/<name>``."""
    return f"{BRANCH_PREFIX}/{run_id}/{name}"


def runs_dir(repo: Path) -> Path:
    """``<repo>/.flowdsl/worktrees``: one directory per run below it."""
    return repo / ".flowdsl" / "worktrees"


def owner_lock(repo: Path, run_id: str) -> Path:
    """``<repo>/.flowdsl/worktrees/<run_id>.lock``: held (``flock``) while the run that owns
    those worktrees is alive, so that no other process sweeps them as a crashed run's."""
    return runs_dir(repo) / f"{run_id}.lock"


def agent_number(branch: str) -> int:
    """``n`` of a branch ``flowdsl/<run_id>/<n>-<slug>`` (0 for another name)."""
    number = branch.rsplit("/", 1)[-1].split("-", 1)[0]
    return int(number) if number.isdigit() else 0
