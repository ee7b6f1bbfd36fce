"""The import allow-list, its proxies, and the JavaScript runtime module `jsrt`."""

from __future__ import annotations

import sys
import types
from typing import Any

import anyio
import pytest

from flowdsl._sandbox import _modules, compile_python, script_globals
from flowdsl._sandbox._modules import ALLOWED_MODULES, Importer, check_import
from flowdsl.errors import SandboxViolation

from .conftest import HEADER, CountingTick, Stubs


def _run_js_form(body: str) -> Any:
    compiled = compile_python(HEADER + body, "w.js", language="javascript")
    return anyio.run(lambda: compiled.start(Stubs().dsl(), CountingTick()))


@pytest.fixture
def fake_jsrt(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("fake_jsrt")
    module.__all__ = ["js_add"]  # type: ignore[attr-defined]
    module.js_add = lambda a, b: a + b  # type: ignore[attr-defined]
    module.hidden = "not exported"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_jsrt", module)
    monkeypatch.setattr(_modules, "_JSRT_MODULE", "fake_jsrt")
    return module


@pytest.mark.usefixtures("fake_jsrt")
def test_transpiled_scripts_import_jsrt_names_from_all() -> None:
    assert _run_js_form("import jsrt\nreturn jsrt.js_add(1, 2)") == 3
    assert _run_js_form("from jsrt import js_add\nreturn js_add('a', 'b')") == "ab"


@pytest.mark.usefixtures("fake_jsrt")
def test_jsrt_exposes_only_its_all() -> None:
    with pytest.raises(SandboxViolation, match=r"`jsrt\.hidden` is not available"):
        compile_python(HEADER + "from jsrt import hidden", "w.js", language="javascript")
    with pytest.raises(SandboxViolation, match=r"`jsrt\.hidden` is not available"):
        _run_js_form("import jsrt\nreturn jsrt.hidden")


@pytest.mark.usefixtures("fake_jsrt")
def test_python_scripts_may_import_jsrt_as_transpile_output_does() -> None:
    compiled = compile_python(HEADER + "from jsrt import js_add", "w.flow.py")
    assert compiled.language == "python"


def test_missing_javascript_runtime_is_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_modules, "_JSRT_MODULE", "flowdsl_no_such_module")
    with pytest.raises(SandboxViolation, match="JavaScript runtime not installed") as info:
        compile_python(HEADER + "import jsrt", "w.js", language="javascript")
    assert info.value.line == 2


def test_allowed_modules_hide_their_internals() -> None:
    for name, members in ALLOWED_MODULES.items():
        assert not [member for member in members if member.startswith("_")], name
        assert not [m for m in members.values() if isinstance(m, types.ModuleType)], name


@pytest.mark.parametrize(
    ("module", "names", "fragment"),
    [
        ("time", None, "pass the time you need in `args`"),
        ("datetime", None, "pass the time you need in `args`"),
        ("os.path", None, "workflows do no I/O"),
        ("pickle", None, "allowed: collections, functools"),
        ("json", ["dumps", "codecs"], "`json.codecs`"),
        ("re.sre_parse", None, "import `re` itself"),
    ],
)
def test_check_import_explains_refusals(
    module: str, names: list[str] | None, fragment: str
) -> None:
    refusal = check_import(module, names, javascript=False)
    assert refusal is not None
    assert fragment in refusal


def test_importer_refuses_at_run_time_too() -> None:
    importer = Importer(CountingTick())
    assert importer("json").dumps([1]) == "[1]"  # type: ignore[union-attr,operator]
    with pytest.raises(SandboxViolation, match="`os` is not available"):
        importer("os")
    with pytest.raises(SandboxViolation, match=r"`json\.codecs`"):
        importer("json", None, None, ("codecs",))
    with pytest.raises(SandboxViolation, match="relative imports"):
        importer("json", None, None, (), 1)


def test_importer_ignores_the_interpreters_own_imports() -> None:
    # PyImport_Import (e.g. the "coroutine was never awaited" warning) calls a frame's
    # __import__ with fromlist ["__doc__"] and reads sys.modules itself.
    assert Importer(CountingTick())("warnings", None, None, ["__doc__"], 0) is None


def test_dsl_names_must_not_be_private() -> None:
    with pytest.raises(SandboxViolation, match="DSL name '_secret' is private"):
        script_globals({"_secret": 1}, CountingTick())


def test_script_globals_hold_no_real_builtins_or_modules() -> None:
    namespace = script_globals(Stubs().dsl(), CountingTick())
    script_builtins = namespace["__builtins__"]
    assert isinstance(script_builtins, dict)
    for name in (
        "open",
        "eval",
        "exec",
        "compile",
        "type",
        "globals",
        "vars",
        "dir",
        "breakpoint",
        "BaseException",
        "SystemExit",
        "KeyboardInterrupt",
        "GeneratorExit",
        "setattr",
        "delattr",
        "object",
        "super",
        "input",
    ):
        assert name not in script_builtins, name
    assert not [v for v in namespace.values() if isinstance(v, types.ModuleType)]
