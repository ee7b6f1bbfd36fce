"""Fixtures for the JavaScript layer: write and run .js workflows, compare with the oracle.

The oracle is ``js-oracle/oracle.mjs`` (real JavaScript under Node with a deterministic
fake agent); ``compare`` runs a script under it and under flowdsl (with
:class:`flowdsl.testing.OracleBackend`) and lists the differences of the two traces.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import flowdsl
from flowdsl.testing import OracleBackend

META = "export const meta = { name: 't', description: 'test workflow' };\n"


@pytest.fixture
def js(tmp_path: Path) -> Callable[..., Path]:
    """``js(body, name=...)`` writes a .js workflow with a valid meta and returns its path."""

    def write(body: str, name: str = "t.js", meta: str = META) -> Path:
        path = tmp_path / name
        path.write_text(meta + body, encoding="utf-8")
        return path

    return write


@pytest.fixture
def run_js(js: Callable[..., Path]) -> Callable[..., flowdsl.RunResult]:
    """``run_js(body, args=...)`` runs a .js body with the oracle's fake agent."""

    def run(body: str, args: Any = None) -> flowdsl.RunResult:
        return flowdsl.run(js(body), args=args, backend=OracleBackend())

    return run

# Our own copies of the JS reference runner and corpus (they came from the team's shared
# folder; the suite never needs it). resolve(): oracle.mjs only runs its main when
# argv[1] is its real path (no symlinks).
HERE = Path(__file__).resolve().parent
ORACLE = HERE / "js_oracle" / "oracle.mjs"
CORPUS = HERE / "js_corpus"
NODE = shutil.which("node")

_OPTS = (("label", "label"), ("phase", "phase"), ("schema", "schema"), ("model", "model"),
         ("effort", "effort"), ("agent_type", "agentType"))


def oracle_trace(script: Path, args: Any) -> dict[str, Any]:
    assert NODE is not None
    out = subprocess.run(
        [NODE, str(ORACLE), str(script), "--args", json.dumps(args)],
        capture_output=True, text=True, check=True, timeout=60,
    )
    trace: dict[str, Any] = json.loads(out.stdout)
    return trace


def flowdsl_trace(script: Path, args: Any) -> dict[str, Any]:
    backend = OracleBackend()
    # the corpus folder is the project: its .claude/agents/ defines the types scripts name
    result = flowdsl.run(script, args=args, backend=backend, cwd=str(script.parent))
    calls = []
    for request in backend.requests:
        opts = {js: getattr(request, py) for py, js in _OPTS if getattr(request, py) is not None}
        calls.append({"prompt": request.prompt, "opts": opts})
    return {"status": result.status, "result": result.value, "calls": calls,
            "logs": list(result.logs), "error": result.error}


def _key(call: dict[str, Any]) -> str:
    return json.dumps(call, sort_keys=True)


def compare(script: Path, args: Any) -> list[str]:
    """The differences between the oracle's trace and flowdsl's (empty when equal)."""
    want, got = oracle_trace(script, args), flowdsl_trace(script, args)
    problems = []
    if want["status"] != got["status"]:
        problems.append(f"status: oracle {want['status']} ({want.get('error')}), "
                        f"flowdsl {got['status']} ({got['error']})")
    if want["status"] == "failed" and got["error"] and want.get("error") not in got["error"]:
        problems.append(f"error: oracle {want.get('error')!r}, flowdsl {got['error']!r}")
    if want["result"] != got["result"]:
        problems.append(f"result: oracle {json.dumps(want['result'])}\n"
                        f"       flowdsl {json.dumps(got['result'])}")
    if want["logs"] != got["logs"]:
        problems.append(f"logs: oracle {want['logs']}\n      flowdsl {got['logs']}")
    want_calls = Counter(_key(c) for c in want["calls"])
    got_calls = Counter(_key(c) for c in got["calls"])
    if want_calls != got_calls:
        missing = list((want_calls - got_calls).elements())
        extra = list((got_calls - want_calls).elements())
        problems.append(f"calls: only in oracle {missing[:3]}\n       only in flowdsl {extra[:3]}")
    return problems


@pytest.fixture
def oracle_diff() -> Callable[[Path, Any], list[str]]:
    """``oracle_diff(script, args)``: the differences from the oracle's trace (skips
    when Node or the oracle is missing)."""
    if NODE is None:
        pytest.skip("node is not installed: the JS reference runner cannot run")
    if not ORACLE.exists():
        pytest.skip(f"the JS reference runner is missing ({ORACLE})")
    return compare
