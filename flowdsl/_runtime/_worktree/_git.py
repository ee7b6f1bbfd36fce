"""Running git: the one place a git process is started, and its failures translated.

Every call runs ``git`` (never a shell) through :func:`anyio.run_process` with
``GIT_TERMINAL_PROMPT=0`` (no credential prompt can hang a run), ``LC_ALL=C`` (parseable
messages), no pager, and the variables that would point git at another repository
(``GIT_DIR``, ``GIT_INDEX_FILE``, ... set when flowdsl itself runs from a git hook)
removed. Four settings apply to every command: ``core.hooksPath`` points at nothing, so
the user's hooks never run for flowdsl's own commits and checkouts; ``gc.auto=0`` and
``maintenance.auto=false``, so 64 agents' commits do not start background garbage
collections that take the repository's locks while other agents still work;
``commit.gpgSign=false``, so no signing prompt (pinentry) can stall an unattended run.

A failed command raises :class:`~flowdsl.errors.IsolationError` with one line: the
command and git's last ``fatal:``/``error:`` line on stderr (else its last line). Lock
contention ("index.lock", "could not lock", "Unable to create ... .lock") and a
concurrent ``worktree add``'s half-written records are retried a few times with a short
backoff before they count as a failure: git takes these locks with ``O_EXCL`` and does
not wait for them itself (except ``packed-refs``, for a second).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio

from ...errors import IsolationError

__all__ = ["GitResult", "git", "run_git", "try_git"]

_SETTINGS = ("-c", f"core.hooksPath={os.devnull}", "-c", "gc.auto=0",
             "-c", "maintenance.auto=false", "-c", "commit.gpgSign=false")
"""``-c`` options given to every command (see the module docstring)."""

_FIXED_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_PAGER": "cat",
              "GIT_OPTIONAL_LOCKS": "0"}
"""``GIT_OPTIONAL_LOCKS=0``: ``git status`` and friends do not refresh (and lock) the
index opportunistically, which would race with concurrent commands."""

_REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX",
             "GIT_NAMESPACE", "GIT_OBJECT_DIRECTORY")
"""Inherited variables that would make git act on another repository or index."""

_LOCK_MARKERS = (".lock': file exists", "could not lock config file", "/commondir: ",
                 "/gitdir: ")
"""In git's stderr, lowercased: another git process holds a lock file (``index.lock``,
``packed-refs.lock``, a ref's ``.lock``: "Unable to create '....lock': File exists"), or
the configuration's; or a concurrent ``git worktree add`` has not finished writing the
records it reads ("failed to read .git/worktrees/<name>/commondir"). A ref that cannot be
created for other reasons is not retried."""
_RETRIES = 5
_BACKOFF = 0.05


@dataclass(frozen=True, slots=True)
class GitResult:
    """What one git command returned."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def last_error(self) -> str:
        """git's own summary of what went wrong: the last ``fatal:``/``error:`` line of
        stderr (advice such as "remove the file manually to continue." follows it), else
        its last non-empty line."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith(("fatal:", "error:"))]
        if errors or lines:
            return (errors or lines)[-1]
        return f"exit status {self.returncode}"


def _environment(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
    env.update(_FIXED_ENV)
    if extra:
        env.update(extra)
    return env


def _describe(args: tuple[str, ...]) -> str:
    """``git ARGS`` on one line: a multi-line argument (a commit message) shows its first."""
    shown = [arg.splitlines()[0] + " …" if "\n" in arg else arg for arg in args]
    return " ".join(("git", *shown))


async def run_git(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> GitResult:
    """Run ``git ARGS`` in ``cwd`` once; never raises for git's own exit status.

    Raises:
        IsolationError: git could not be started (not installed, ``cwd`` missing).
    """
    try:
        proc = await anyio.run_process(["git", *_SETTINGS, *args], cwd=cwd,
                                       env=_environment(env), check=False)
    except OSError as exc:
        raise IsolationError(f"{_describe(args)} could not start: {exc.strerror or exc}") from exc
    return GitResult(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                     proc.stderr.decode("utf-8", "replace"))


def _is_lock_error(result: GitResult) -> bool:
    text = result.stderr.lower()
    return any(marker in text for marker in _LOCK_MARKERS)


async def git(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> str:
    """``git ARGS`` in ``cwd``: its stdout; lock contention is retried with backoff.

    Raises:
        IsolationError: git failed ("git ARGS failed: <git's last stderr line>").
    """
    for attempt in range(_RETRIES):
        result = await run_git(*args, cwd=cwd, env=env)
        if result.returncode == 0:
            return result.stdout
        if not _is_lock_error(result) or attempt == _RETRIES - 1:
            break
        await anyio.sleep(_BACKOFF * 2**attempt)
    raise IsolationError(f"{_describe(args)} failed: {result.last_error}")


async def try_git(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> str | None:
    """Like :func:`git`, but ``None`` instead of raising (for clean-up and probes)."""
    try:
        return await git(*args, cwd=cwd, env=env)
    except IsolationError:
        return None

