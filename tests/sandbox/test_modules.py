"""The import allow-list, its proxies, and modules a policy adds (like `jsrt`)."""

from __future__ import annotations

import types
from typing import Any

import pytest

from flowdsl._sandbox import (
    ModuleFactory,
    SandboxPolicy,
    ScriptHooks,
    compile_python,
    script_globals,
)
from flowdsl._sandbox._modules import Importer, check_import
from flowdsl.errors import SandboxViolation

from .conftest import HEADER, CountingTick, Stubs, compile_snippet, run_compiled, run_snippet

DEFAULT = SandboxPolicy.default()


_JSRT = types.SimpleNamespace(js_add=lambda a, b: a + b, hidden="not exported")


def _jsrt_policy(factory: ModuleFactory | None = None) -> SandboxPolicy:
    def fake_jsrt(hooks: ScriptHooks) -> dict[str, object]:
        return {"js_add": _JSRT.js_add}

    return SandboxPolicy.default().with_module("jsrt", factory or fake_jsrt)


def _run_js_form(body: str) -> Any:
    return run_snippet(body, policy=_jsrt_policy())


def test_scripts_import_a_factory_module_of_their_policy() -> None:
    assert _run_js_form("import jsrt\nreturn jsrt.js_add(1, 2)") == 3
    assert _run_js_form("from jsrt import js_add\nreturn js_add('a', 'b')") == "ab"


def test_a_factory_module_exposes_only_its_members() -> None:
    with pytest.raises(SandboxViolation, match=r"`jsrt\.hidden` is not available"):
        compile_snippet("from jsrt import hidden", policy=_jsrt_policy())
    with pytest.raises(SandboxViolation, match=r"`jsrt\.hidden` is not available"):
        _run_js_form("import jsrt\nreturn jsrt.hidden")


def test_a_module_factory_gets_the_runs_hooks() -> None:
    seen: list[ScriptHooks] = []

    def factory(hooks: ScriptHooks) -> dict[str, object]:
        seen.append(hooks)
        return {"tick": hooks.tick}

    tick = CountingTick()
    policy = _jsrt_policy(factory)
    compiled = compile_snippet("import jsrt\nreturn 1", policy=policy)
    assert run_compiled(compiled, tick=tick, policy=policy) == 1
    assert seen[-1].tick is tick


def test_a_module_only_another_policy_has_is_refused_at_compile_time() -> None:
    with pytest.raises(SandboxViolation, match="`jsrt` is not available"):
        compile_snippet("import jsrt")


def test_a_failing_module_factory_is_a_violation_at_the_import() -> None:
    def missing(hooks: ScriptHooks) -> dict[str, object]:
        raise SandboxViolation("JavaScript runtime not installed")

    with pytest.raises(SandboxViolation, match="JavaScript runtime not installed") as info:
        compile_python(HEADER + "import jsrt", "w.js", policy=_jsrt_policy(missing))
    assert info.value.line == 2


def test_allowed_modules_hide_their_internals() -> None:
    hooks = ScriptHooks(tick=CountingTick())
    for name in DEFAULT.modules:
        members = DEFAULT.module_members(name, hooks)
        assert members is not None
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
    refusal = check_import(module, names, DEFAULT)
    assert refusal is not None
    assert fragment in refusal


def test_importer_refuses_at_run_time_too() -> None:
    importer = Importer(DEFAULT, ScriptHooks(tick=CountingTick()))
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
    importer = Importer(DEFAULT, ScriptHooks(tick=CountingTick()))
    assert importer("warnings", None, None, ["__doc__"], 0) is None


def test_dsl_names_must_not_be_private() -> None:
    with pytest.raises(SandboxViolation, match="DSL name '_secret' is private"):
        script_globals({"_secret": 1}, ScriptHooks(tick=CountingTick()), DEFAULT)


def test_script_globals_hold_no_real_builtins_or_modules() -> None:
    namespace = script_globals(Stubs().dsl(), ScriptHooks(tick=CountingTick()), DEFAULT)
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
