"""Focused JS scripts (one construct family each) give the oracle's exact trace."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SCRIPTS = sorted((Path(__file__).parent / "scripts").glob("*.js"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_matches_oracle(
    script: Path, oracle_diff: Callable[[Path, Any], list[str]]
) -> None:
    args_file = script.with_suffix(".args.json")
    args = json.loads(args_file.read_text(encoding="utf-8")) if args_file.exists() else {}
    assert oracle_diff(script, args) == []
