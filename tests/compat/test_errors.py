"""Bad scripts give precise errors: TranspileError / MetaError / ScriptSyntaxError with
file:line:col, and uncaught JS exceptions fail the run with the JS message and line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import compat
import flowdsl
from flowdsl._frontends import compile_source
from flowdsl.errors import MetaError, ScriptSyntaxError, TranspileError
from flowdsl.testing import OracleBackend

META = "export const meta = { name: 't', description: 'd' };\n"


@pytest.mark.parametrize(
    ("body", "line", "column", "words"),
    [
        ("class A {}", 2, 1, "classes"),
        ("const x = 1;\nfunction* gen() { yield 1; }", 3, 1, "generators"),
        ("outer: for (const a of [1]) { break outer; }", 2, 1, "labeled"),
        ("const fs = require('fs');", 2, 12, "require()"),
        ("const m = await import('./x.js');", 2, 17, "import()"),
        ("eval('1 + 1');", 2, 1, "eval()"),
        ("const o = { get x() { return 1; } };", 2, 13, "getters"),
        ("const t = tag`x`;", 2, 11, "tagged templates"),
        ("undeclared = 1;", 2, 1, "undeclared variable `undeclared`"),
        ("function f() { return arguments.length; }", 2, 23, "`arguments`"),
        ("import x from 'y';", 2, 1, "`import`"),
        ("function f() { try { return 1; } finally { return 2; } }", 2, 42,
         "`return` inside `finally`"),
        ("with (Math) { log(PI); }", 2, 1, "`with`"),
        ("const g = function* () {};", 2, 11, "generators"),
        ("const o = { set x(v) {} };", 2, 13, "getters and setters"),
        ("new Function('return 1');", 2, 5, "`new Function()`"),
        ("label: { break label; }", 2, 1, "labeled statements"),
    ],
)
def test_unsupported_constructs_name_the_construct_and_position(
    body: str, line: int, column: int, words: str
) -> None:
    with pytest.raises(TranspileError) as info:
        compat.transpile(META + body, "w.js")
    assert words in info.value.message
    assert (info.value.path, info.value.line, info.value.column) == ("w.js", line, column)
    assert str(info.value).startswith(f"w.js:{line}:{column}: ")


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("const x = 1;\nexport const meta = {};", "first statement"),
        ("export const meta = { name: NAME };", "identifier `NAME`"),
        ("export const meta = { name: f() };", "a call"),
        ("export const meta = { ...base };", "spreads"),
        ("export const meta = { [k]: 1 };", "computed keys"),
        ("export const meta = { d: `x${y}` };", "interpolation"),
        ("export const meta = { __proto__: {} };", "`__proto__`"),
        ("export const meta = { constructor: 1 };", "`constructor`"),
        ("export const meta = [1];", "object literal"),
    ],
)
def test_meta_must_be_a_pure_literal(source: str, words: str) -> None:
    with pytest.raises(MetaError) as info:
        compat.transpile(source, "m.js")
    assert words in info.value.message
    assert info.value.line == 1


def test_comments_may_precede_meta() -> None:
    source = "// header\n/* block\n comment */\n" + META + "return 1;"
    assert "meta = {" in compat.transpile(source, "c.js").source


def test_meta_becomes_a_python_literal() -> None:
    source = ("export const meta = { name: 'n', description: 'd', phases: [{ title: 'A', "
              "model: 'haiku' }], n: -1.5, flag: true, none: null, whenToUse: `plain` };\n")
    compiled = compile_source(source, "m.js")
    assert compiled.meta == {"name": "n", "description": "d", "phases": [{"title": "A",
                             "model": "haiku"}], "n": -1.5, "flag": True, "none": None,
                             "whenToUse": "plain"}
    assert compiled.language == "javascript"
    assert compiled.source == source


def test_syntax_errors_point_at_the_js_source() -> None:
    with pytest.raises(ScriptSyntaxError) as info:
        compat.transpile(META + "const a = 1;\nlet b = ;", "s.js")
    assert (info.value.line, info.value.column) == (3, 9)
    assert "Unexpected token" in info.value.message


def test_uncaught_error_fails_the_run_with_js_message_and_line(
    js: Callable[..., Path],
) -> None:
    path = js("const x = 1;\nlog('before');\nthrow new RangeError('too far');\n")
    result = flowdsl.run(path, backend=OracleBackend())
    assert result.status == "failed"
    assert result.logs == ("before",)
    assert result.error == f"{path}:4: RangeError: too far"


def test_type_error_on_null_property_is_reported_like_js(js: Callable[..., Path]) -> None:
    path = js("const cfg = null;\nreturn cfg.value;\n")
    result = flowdsl.run(path, backend=OracleBackend())
    assert result.error == f"{path}:3: TypeError: Cannot read properties of null (reading 'value')"
