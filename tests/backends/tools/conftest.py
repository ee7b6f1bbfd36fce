"""Fixtures for the workspace tools: a workspace directory in tmp_path and a tree builder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from flowdsl.backends._tools import Workspace

Tree = Callable[[Mapping[str, str | bytes]], None]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The workspace directory: ``tmp_path/ws``, so ``tmp_path`` holds files outside it."""
    path = (tmp_path / "ws").resolve()
    path.mkdir()
    return path


@pytest.fixture
def ws(root: Path) -> Workspace:
    return Workspace(root=root)


@pytest.fixture
def tree(root: Path) -> Tree:
    """Writes files (relative path -> text or bytes) under the workspace root."""

    def make(files: Mapping[str, str | bytes]) -> None:
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")

    return make
