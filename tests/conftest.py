"""Shared fixtures: write a workflow script to a temporary folder and run it."""

from __future__ import annotations

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
