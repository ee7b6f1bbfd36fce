"""Cold start (issue 16): the cheap entry points import nothing heavy they do not use.

No timing here (CI machines are noisy; ``python -m benchmarks --only startup`` measures
the CPU): each case runs in a fresh interpreter, the way the console script runs, and
lists the modules it has loaded when it exits. ``import flowdsl``, ``flowdsl --version``,
``flowdsl runs list`` and ``flowdsl check`` must load none of jsonschema, rich, YAML, the
model SDKs, the JavaScript layer or the MCP SDK, and no more of flowdsl than they use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = frozenset({
    "jsonschema", "referencing", "attrs", "rich", "yaml", "openai", "anthropic", "pydantic",
    "pydantic_ai", "instructor", "genai_prices", "httpx", "mcp", "compat", "esprima",
    "ada_url", "regex", "uvloop", "statistics", "dbos", "psycopg", "sqlalchemy",
    "tree_sitter", "tree_sitter_javascript",
})
"""Top-level packages none of the cases needs (each costs 20-100 ms of imports)."""

STDLIB_UNUSED = frozenset({"threading", "shutil"})
"""Standard modules no case needs (~4 ms each): argparse asks shutil for the terminal's
width unless it is given one; a lock needs ``_thread``, not ``threading``."""

RUNTIME = frozenset({"flowdsl._runtime", "flowdsl.backends", "flowdsl._distributed", "anyio",
                     "asyncio"})
"""What runs a workflow: no case here runs one."""

# The probe exits the way the command does (argparse's --version raises SystemExit), so
# the module list is written by an atexit hook, after the command has finished.
PROBE = """\
import atexit, json, sys
out, args = sys.argv[1], sys.argv[2:]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
if args == ["import"]:
    import flowdsl
else:
    sys.argv = ["flowdsl", *args]
    from flowdsl._cli import entry
    entry()
"""

WORKFLOW = """\
meta = {"name": "cost-probe", "description": "one agent", "phases": [{"title": "Ask"}]}
phase("Ask")
return await agent("Say hello")
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "FLOWDSL_STORE"}


def loaded(tmp_path: Path, cwd: Path, *args: str) -> tuple[set[str], str]:
    """The modules a fresh ``flowdsl ARGS`` (or ``import flowdsl``) has loaded at exit,
    and what it printed; the command must succeed."""
    out = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", PROBE, str(out), *args], cwd=cwd,
                          env=_env(), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return set(json.loads(out.read_text(encoding="utf-8"))), proc.stdout + proc.stderr


def packages(modules: set[str], names: frozenset[str]) -> set[str]:
    """The modules of ``modules`` that are one of ``names`` or inside one."""
    return {m for m in modules if any(m == n or m.startswith(n + ".") for n in names)}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    (path / "x.flow.py").write_text(WORKFLOW, encoding="utf-8")
    return path


def test_import_flowdsl_loads_only_the_package(tmp_path: Path, folder: Path) -> None:
    modules, _ = loaded(tmp_path, folder, "import")
    assert packages(modules, HEAVY | RUNTIME) == set()
    assert {m for m in modules if m.startswith("flowdsl.")} <= {"flowdsl._lazy"}


def test_version_builds_the_parser_and_nothing_else(tmp_path: Path, folder: Path) -> None:
    modules, printed = loaded(tmp_path, folder, "--version")
    assert "flowdsl " in printed
    assert packages(modules, HEAVY | RUNTIME | STDLIB_UNUSED) == set()
    assert packages(modules, frozenset({
        "flowdsl._store", "flowdsl._options", "flowdsl._config", "flowdsl._types",
        "flowdsl._sandbox", "RestrictedPython", "sqlite3", "dataclasses",
    })) == set()
    # the lazy packages are there, none of their modules
    assert not {m for m in modules if m.startswith(("flowdsl._durable.", "flowdsl._frontends."))}


def test_runs_list_opens_the_store_only(tmp_path: Path, folder: Path) -> None:
    modules, printed = loaded(tmp_path, folder, "runs", "list")
    assert "no runs" in printed
    assert packages(modules, HEAVY | RUNTIME | STDLIB_UNUSED) == set()
    assert packages(modules, frozenset({"flowdsl._sandbox", "RestrictedPython"})) == set()
    assert not {m for m in modules if m.startswith(("flowdsl._durable.", "flowdsl._frontends."))}


def test_runs_list_of_a_store_opens_the_store_only(tmp_path: Path, folder: Path) -> None:
    made = subprocess.run([sys.executable, "-m", "flowdsl", "run", "x.flow.py", "--backend",
                           "simulate", "--isolation", "inline", "--json"], cwd=folder,
                          env=_env(), capture_output=True, text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr[-2000:]
    modules, printed = loaded(tmp_path, folder, "runs", "list")
    assert "cost-probe" in printed
    assert "flowdsl._store" in modules
    assert packages(modules, HEAVY | RUNTIME) == set()
    # run rows only: not the value types of agents (the journal's codec loads them)
    assert packages(modules, frozenset({"flowdsl._sandbox", "RestrictedPython",
                                        "flowdsl._types"})) == set()


def test_check_compiles_through_the_sandbox_only(tmp_path: Path, folder: Path) -> None:
    modules, printed = loaded(tmp_path, folder, "check", "x.flow.py")
    assert ": ok" in printed
    assert "RestrictedPython" in modules  # the Python workflow was compiled by the sandbox
    assert packages(modules, HEAVY | RUNTIME | {"threading"}) == set()
    assert packages(modules, frozenset({"flowdsl._store", "flowdsl._options"})) == set()
    assert not {m for m in modules if m.startswith("flowdsl._durable.")}


def test_a_local_run_loads_nothing_of_distribution(tmp_path: Path, folder: Path) -> None:
    modules, printed = loaded(tmp_path, folder, "run", "x.flow.py", "--backend", "simulate",
                              "--isolation", "inline", "--json")
    assert '"status": "completed"' in printed
    assert packages(modules, frozenset({"dbos", "psycopg", "sqlalchemy",
                                        "flowdsl._distributed"})) == set()
