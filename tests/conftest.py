"""Shared fixtures: write a workflow script to a temporary folder and run it; a git
repository for the isolated-agent tests; a throwaway PostgreSQL cluster (one per session,
a database per test) for the PostgreSQL store and distributed-run tests — without
PostgreSQL binaries those skip, unless ``FLOWDSL_TEST_REQUIRE_POSTGRES=1`` (then they
fail)."""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flowdsl.testing import PostgresCluster, postgres_cluster

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


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    try:
        cluster = postgres_cluster()
    except RuntimeError as exc:
        if os.environ.get("FLOWDSL_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{exc} and FLOWDSL_TEST_REQUIRE_POSTGRES=1")
        pytest.skip(str(exc))
    with cluster:
        yield cluster


@pytest.fixture
def pg_url(pg_cluster: PostgresCluster) -> str:
    """The URL of a new, empty database of the throwaway cluster (one per test)."""
    return pg_cluster.database()
