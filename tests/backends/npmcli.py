"""The pinned coding-agent CLIs the backend tests drive, installed by ``.ci/run``.

``.ci/run`` installs ``@anthropic-ai/claude-code`` and ``@openai/codex`` with
``npm install --prefix $FLOWDSL_TEST_NPM_PREFIX``; tests that need one call
:func:`npm_bin`, which skips (saying why) where node or the prefix is missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

__all__ = ["npm_bin"]


def npm_bin(name: str) -> str:
    """The CLI installed under FLOWDSL_TEST_NPM_PREFIX, or skip saying why."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the Claude Code / Codex CLI tier cannot run")
    prefix = os.environ.get("FLOWDSL_TEST_NPM_PREFIX")
    if not prefix:
        pytest.skip("FLOWDSL_TEST_NPM_PREFIX is not set (.ci/run installs the pinned CLIs "
                    "there with npm install --prefix)")
    path = Path(prefix) / "node_modules" / ".bin" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: npm install --prefix {prefix} did not install {name}")
    return str(path)
