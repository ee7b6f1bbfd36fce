"""Shared fixtures: write a workflow script to a temporary folder and run it; a git
repository for the isolated-agent tests."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

META = 'meta = {"name": "t", "description": "test workflow"}\n'


@pytest.fixture
def script(tmp_path: Path) -> Callable[..., Path]:
    """``script(body, name=...)`` writes a .flow.py with a valid meta and returns its path."""

    def write(body: str, name: str = "t.flow.py", meta: str = META) -> Path:
        path = tmp_path / name
        path.write_text(meta + textwrap.dedent(body), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True, scope="session")
def _private_compile_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or fill the user's compile cache (~/.cache/flowdsl)."""
    import os

    os.environ["FLOWDSL_CACHE_DIR"] = str(tmp_path_factory.mktemp("compile-cache"))


def _git(repo: Path, *argv: str) -> str:
    return subprocess.run(["git", *argv], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def git_project(tmp_path: Path) -> Path:
    """``tmp_path/project``: a git repository with ``notes.txt`` ("original"), a
    ``.gitignore`` of ``.flowdsl/``, an identity, one commit."""
    root = tmp_path / "project"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.name", "Test")
    _git(root, "config", "user.email", "test@example.invalid")
    (root / "notes.txt").write_text("original\n")
    (root / ".gitignore").write_text(".flowdsl/\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "start")
    return root
