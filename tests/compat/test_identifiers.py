"""JS identifiers become Python names that cannot collide: not after Python's NFKC
normalisation, not with jsrt helpers or the output's own names, not with what the
sandbox refuses; and distinct bindings stay distinct variables."""

from __future__ import annotations

import ast
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import compat
import flowdsl
from compat._transpile._names import RESERVED, python_name

# Fullwidth `ｊｓ_get` is `js_get` to Python (NFKC), a different identifier to JS.
HIJACK = """
const ｊｓ_get = (o, k) => 'fullwidth';
const js_get = (o, k) => 'ascii';
const o = { a: 1, js_get: 'prop' };
console.log(o.a, o.js_get, ｊｓ_get(o, 'a'), js_get(o, 'a'));
return [o.a, ｊｓ_get(), js_get()];
"""

NAMES = """
const print = 'p', None = 'n', class_ = 'c', __class__ = 'dc', _ = 'u', $ = 'd', S_ = 's';
const \\u0061bc = 'escaped', \\u{64}ef = 'braced';
const ｘ = 'fullwidth x', x = 'x', ﬁ = 'ligature', fi = 'fi', Ｍａｔｈ = 'fullwidth Math';
const a\u200cb = 'zwnj', ab = 'ab', café = 'café', 変数 = 'kanji';
const printed = 1, builtins = 2, breakpoint = 3, a__roles__ = 4, Exception = 5,
  script = 6, undefined_ = 7, jsrt = 8, js_run = 9, u_js_run = 10, True = 11, lambda = 12;
console.log(print, None, class_, __class__, _, $, S_, abc, def, ｘ, x, ﬁ, fi);
console.log(Ｍａｔｈ, Math.max(1, 2), a\u200cb, ab, café, 変数);
console.log(printed, builtins, breakpoint, a__roles__, Exception, script, undefined_, jsrt,
  js_run, u_js_run, True, lambda);
let total = 0;
for (const ｎ of [1, 2]) { const n = 10; total += ｎ + n; }
return { abc, total, kinds: [typeof ｘ, typeof ab] };
"""

SIBLINGS = """
let first, second;
{ let x = 1; first = () => x; }
{ let x = 2; second = () => x; }
const fs = [];
for (let i = 0; i < 2; i++) { fs.push(() => i); }
for (let i = 5; i < 7; i++) { fs.push(() => i); }
return [first(), second(), fs.map((f) => f())];
"""


@pytest.mark.parametrize("body", [HIJACK, NAMES, SIBLINGS], ids=["hijack", "names", "siblings"])
def test_identifier_collisions_give_the_oracle_trace(
    body: str, js: Callable[..., Path], oracle_diff: Callable[[Path, Any], list[str]]
) -> None:
    assert oracle_diff(js(body), {}) == []


def test_a_fullwidth_helper_name_does_not_hijack_property_access(
    run_js: Callable[..., flowdsl.RunResult],
) -> None:
    result = run_js(HIJACK)
    assert result.logs == ("1 prop fullwidth ascii",)
    assert result.value == [1, "fullwidth", "ascii"]


def test_escaped_and_normalised_names_run(run_js: Callable[..., flowdsl.RunResult]) -> None:
    result = run_js(NAMES)
    assert result.status == "completed", result.error
    assert result.value == {"abc": "escaped", "total": 23, "kinds": ["string", "string"]}
    assert result.logs[1] == "fullwidth Math 2 zwnj ab café kanji"


def test_closures_keep_their_own_binding_of_a_reused_name(
    run_js: Callable[..., flowdsl.RunResult],
) -> None:
    assert run_js(SIBLINGS).value == [1, 2, [0, 1, 5, 6]]


def test_generated_names_are_distinct_from_imports_after_normalisation() -> None:
    source = compat.transpile("export const meta = { name: 't', description: 'd' };\n"
                              + HIJACK + NAMES, "t.js").source
    tree = ast.parse(source)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    assigned = {node.id for node in ast.walk(tree)
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    assert "js_get" in imported
    assert not imported & assigned
    # ast.parse already normalised: the source spells every name the way Python reads it
    for name in assigned:
        assert name in source


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("count", "count"), ("camelCase", "camelCase"), ("_", "_"), ("$", "S_"),
        ("$el", "S_el"), ("café", "café"), ("変数", "変数"),
        ("None", "None_"), ("class", "class_"), ("print", "print_"), ("printed", "printed_"),
        ("undefined", "undefined_"), ("Exception", "Exception_"), ("x__roles__", "x__roles___"),
        ("js_get", "u_js_get"), ("ｊｓ_get", "u_js_get"), ("_private", "u_private"),
        ("__class__", "u__class__"), ("ｘ", "x_"), ("ﬁ", "fi_"), ("a\u200cb", "a_x200c_b"),
    ],
)
def test_python_name_keeps_safe_spellings_and_changes_the_rest(name: str,
                                                               expected: str) -> None:
    assert python_name(name, {name, "x", "fi"}) == expected


@pytest.mark.parametrize(
    "name",
    ["ｊｓ_get", "ｊｓ_t1", "ＮａＮ", "ｐｒｉｎｔ", "ｕｎｄｅｆｉｎｅｄ", "＿x", "ℌ", "ℯ", "ª",
     "x\u309b", "\u2118x", "ｎｏｎｌｏｃａｌ", "Ǆ", "ᵢ", "e\u0301", "a\u200d"],
)
def test_python_name_is_what_python_reads_and_is_never_reserved(name: str) -> None:
    out = python_name(name, {name})
    assert out.isidentifier()
    assert unicodedata.normalize("NFKC", out) == out
    assert out not in RESERVED
    assert not out.startswith("js_")
    assert out == "_" or not out.startswith("_")
