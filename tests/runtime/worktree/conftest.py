"""Temporary git repositories for the worktree tests, with a hermetic git configuration.

Every test runs with ``HOME`` and ``XDG_CONFIG_HOME`` in a temporary folder and
``GIT_CONFIG_NOSYSTEM=1``: the user's global identity, hooks path or signing settings
never leak in. A repository's identity, when it has one, is in its own ``.git/config``.
File and git inspection helpers are synchronous so async tests stay free of blocking
calls in their own bodies (ruff's ASYNC rules); ``agit`` is the async one.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import anyio
import pytest

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

IDENTITY_VARS = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                 "GIT_COMMITTER_EMAIL", "EMAIL", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM",
                 "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def hermetic_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HOME with no git configuration; returns it."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in IDENTITY_VARS:
        monkeypatch.delenv(name, raising=False)
    return home


def git(repo: Path, *argv: str) -> str:
    """``git ARGV`` in ``repo`` (synchronous): its stdout; fails the test on an error."""
    return subprocess.run(["git", *argv], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


async def agit(repo: Path, *argv: str) -> str:
    """``git ARGV`` in ``repo`` from async code: its stdout."""
    proc = await anyio.run_process(["git", *argv], cwd=repo)
    return proc.stdout.decode()


def make_repo(root: Path, *, files: int = 3, identity: bool = True, commit: bool = True) -> Path:
    """A repository at ``root`` with ``f0.txt`` ... and one commit (unless told otherwise)."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    if identity:
        git(root, "config", "user.name", "Repo Owner")
        git(root, "config", "user.email", "owner@example.invalid")
    for i in range(files):
        (root / f"f{i}.txt").write_text(f"line {i}\n")
    if commit:
        git(root, "add", "-A")
        git(root, "-c", "user.name=Setup", "-c", "user.email=setup@example.invalid",
            "commit", "-q", "-m", "start")
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed repository with three files and a configured identity."""
    return make_repo(tmp_path / "project")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def read(path: Path) -> str:
    return path.read_text()


def exists(path: Path) -> bool:
    return path.exists()


def branches(repo: Path) -> list[str]:
    """The repository's ``flowdsl/*`` branches."""
    return git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/flowdsl/").split()


def status(repo: Path) -> str:
    """``git status --porcelain --untracked-files=all`` of the main working tree."""
    return git(repo, "status", "--porcelain", "--untracked-files=all")


def state(repo: Path) -> tuple[str, bytes, str]:
    """What must not change: the status, the index file's bytes, HEAD."""
    return status(repo), (repo / ".git" / "index").read_bytes(), git(repo, "rev-parse", "HEAD")



def install_hook(repo: Path, name: str, body: str) -> Path:
    """An executable ``.git/hooks/NAME`` running ``body`` (sh); returns the marker file a
    hook can touch: ``<repo>/.git/hook-ran``."""
    hook = repo / ".git" / "hooks" / name
    write(hook, f"#!/bin/sh\n{body}\n")
    hook.chmod(0o755)
    return repo / ".git" / "hook-ran"
