"""The layers import only downward: a walk over every import in flowdsl/ and compat/.

Every ``import`` and ``from ... import`` statement counts, lazy ones inside functions
included, and so do ``importlib.import_module("...")`` calls with a literal name. The
layers and what each may import are the table below (DESIGN.md draws them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYER_OF_PREFIX = (
    ("flowdsl._cli", "faces"),
    ("flowdsl._mcp", "faces"),
    ("flowdsl.testing", "faces"),
    ("flowdsl._durable", "durable"),
    ("flowdsl._distributed", "distributed"),
    ("flowdsl._telemetry", "telemetry"),
    ("flowdsl._runtime", "runtime"),
    ("flowdsl._frontends", "frontends"),
    ("flowdsl._sandbox", "sandbox"),
    ("compat", "compat"),
    ("flowdsl.backends", "backends"),
    ("flowdsl._store", "store"),
    ("flowdsl.errors", "bottom"),
    ("flowdsl._types", "bottom"),
    ("flowdsl._usage", "bottom"),
    ("flowdsl._frozen", "bottom"),
    ("flowdsl._config", "bottom"),
    ("flowdsl._options", "bottom"),
    ("flowdsl._json_schema", "bottom"),
    ("flowdsl._regex_safety", "bottom"),
    ("flowdsl._terminal_text", "bottom"),
    ("flowdsl._lazy", "bottom"),
    ("flowdsl._event_loop", "bottom"),
    ("flowdsl._failure_limit", "bottom"),
    ("flowdsl._json_schema_safety", "bottom"),
    ("flowdsl", "faces"),  # the package itself: the public API
)

ALLOWED: dict[str, frozenset[str]] = {
    "bottom": frozenset({"bottom"}),
    "store": frozenset({"bottom", "store"}),
    "backends": frozenset({"bottom", "backends"}),
    "sandbox": frozenset({"bottom", "sandbox"}),
    "compat": frozenset({"bottom", "sandbox", "compat"}),
    "frontends": frozenset({"bottom", "sandbox", "compat", "frontends"}),
    "runtime": frozenset({"bottom", "backends", "sandbox", "frontends", "runtime"}),
    "telemetry": frozenset({"bottom", "runtime", "telemetry"}),  # spans from run events
    "distributed": frozenset({"bottom", "store", "backends", "distributed"}),  # the queue
    "durable": frozenset({"bottom", "store", "backends", "sandbox", "frontends", "runtime",
                          "telemetry", "distributed", "durable"}),
    "faces": frozenset({"bottom", "store", "backends", "sandbox", "frontends", "runtime",
                        "telemetry", "distributed", "durable", "faces"}),
}
"""What each layer may import. Only the frontend registry reaches ``compat``."""


def layer_of(module: str) -> str | None:
    for prefix, layer in LAYER_OF_PREFIX:
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return None  # the standard library or a third-party package


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """``(line, absolute module)`` of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return found


def source_files() -> list[Path]:
    return sorted([*(ROOT / "flowdsl").rglob("*.py"), *(ROOT / "compat").rglob("*.py")])


def violations() -> list[str]:
    problems = []
    for path in source_files():
        source = layer_of(module_name(path))
        assert source is not None, path
        for line, target in imported_modules(path):
            layer = layer_of(target)
            if layer is not None and layer not in ALLOWED[source]:
                where = path.relative_to(ROOT)
                problems.append(f"{where}:{line}: {source} layer imports {target} ({layer})")
    return problems


def test_no_module_imports_upward_or_sideways():
    assert violations() == []


@pytest.mark.parametrize(("importer", "target", "allowed"), [
    ("flowdsl._store._db", "flowdsl._runtime", False),
    ("flowdsl._runtime._run", "flowdsl._store", False),
    ("flowdsl._runtime._run", "compat", False),
    ("flowdsl._runtime._run", "flowdsl._durable", False),
    ("flowdsl.backends._simulate", "flowdsl._sandbox", False),
    ("compat._jsrt._promise", "flowdsl._runtime", False),
    ("compat._jsrt", "flowdsl.backends", False),
    ("flowdsl._cli._cmd_run", "compat", False),
    ("flowdsl._durable._execute_stored", "flowdsl._store", True),
    ("flowdsl._frontends", "compat", True),
    ("flowdsl._telemetry._spans", "flowdsl._runtime", True),
    ("flowdsl._telemetry", "flowdsl._store", False),
    ("flowdsl._runtime._run", "flowdsl._telemetry", False),
    ("flowdsl._durable._tracing", "flowdsl._telemetry", True),
])
def test_the_table_holds_the_rules_of_the_design(importer, target, allowed):
    source, layer = layer_of(importer), layer_of(target)
    assert source is not None
    assert layer is not None
    assert (layer in ALLOWED[source]) is allowed


def test_the_walk_sees_lazy_and_relative_imports(tmp_path):
    package = tmp_path / "flowdsl" / "_store"
    package.mkdir(parents=True)
    bad = package / "_bad.py"
    bad.write_text("def f():\n    from .._runtime import Run\n    return Run\n")
    assert imported_modules(bad, tmp_path)[0] == (2, "flowdsl._runtime")


def test_the_walk_sees_import_module_calls(tmp_path):
    package = tmp_path / "flowdsl" / "_durable"
    package.mkdir(parents=True)
    bad = package / "_bad.py"
    bad.write_text("import importlib\nJS = importlib.import_module('compat')\n")
    assert (2, "compat") in imported_modules(bad, tmp_path)
