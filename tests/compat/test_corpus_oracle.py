"""The authority on semantics: every corpus script gives the oracle's exact trace.

For each ``tests/compat/js_corpus`` script (with its ``.args.json``) the reference runner
(Node) and flowdsl, both with the same deterministic fake agent, must agree on the
status, the result, the multiset of agent calls (prompt + options) and the logs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parent / "js_corpus"
SCRIPTS = sorted(CORPUS.glob("c*.js"))


@pytest.mark.skipif(not SCRIPTS, reason=f"the js-corpus folder is missing ({CORPUS})")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_corpus_script_matches_oracle(
    script: Path, oracle_diff: Callable[[Path, Any], list[str]]
) -> None:
    args = json.loads(script.with_suffix(".args.json").read_text(encoding="utf-8"))
    assert oracle_diff(script, args) == []


@pytest.mark.skipif(not SCRIPTS, reason=f"the js-corpus folder is missing ({CORPUS})")
def test_corpus_has_twelve_scripts() -> None:
    assert len(SCRIPTS) == 12
