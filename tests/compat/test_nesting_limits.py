"""Deep nesting is a script error at file:line:col (the same for ``check`` and ``run``,
exit 2), never a RecursionError from esprima, the transpiler or Python's compiler; the
deepest script the limits accept compiles and runs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import compat
import flowdsl
from compat._parse import MAX_NESTING
from compat._transpile._nesting import MAX_BLOCKS, MAX_FINALLY
from flowdsl._cli import main
from flowdsl.errors import ScriptSyntaxError
from flowdsl.testing import OracleBackend

META = "export const meta = { name: 't', description: 'd' };\n"
CALL_ALL = "\nlet g = f; while (typeof g === 'function') g = g();\nreturn g;"

# kind -> (script nested n deep, the deepest n accepted): each bracket, function,
# operator and statement adds a level; declarations, blocks and properties do not.
DEPTH: dict[str, tuple[Callable[[int], str], int]] = {
    "arrows": (lambda n: "const f = " + "() => " * n + "1;" + CALL_ALL, 63),
    "arrow blocks": (lambda n: "const f = " + "() => { return " * n + "1" + "}" * n + ";"
                     + CALL_ALL, 63),
    "arrays": (lambda n: "const a = " + "[" * n + "1" + "]" * n + ";\nreturn a.flat(9);", 63),
    "objects": (lambda n: "const a = " + "{a: " * n + "1" + "}" * n + ";\nreturn 1;", 64),
    "parentheses": (lambda n: "const a = " + "(" * n + "1" + ")" * n + ";\nreturn a;", 64),
    "calls": (lambda n: "const f = (x) => x;\nreturn " + "f(" * n + "1" + ")" * n + ";", 63),
    "method calls": (lambda n: "const o = {f: (x) => x};\nreturn " + "o.f(" * n + "1"
                     + ")" * n + ";", 62),
    "if blocks": (lambda n: "let x = 0;\n" + "if (x < 1) {" * n + "x = 1;" + "}" * n
                  + "\nreturn x;", 62),
    "else if chains": (lambda n: "let x = 5;\n" + "".join(
        f"if (x === {i}) {{ x = {i}; }} else " for i in range(n)) + "{ x = -1; }\nreturn x;",
        61),
    "logical operators": (lambda n: "const f = (x) => x;\nreturn " + "(" * n + "f(0)"
                          + " || f(0))" * n + ";", 62),
    "conditionals": (lambda n: "const a = 0;\nreturn " + "a ? 1 : " * n + "2;", 63),
    "unary operators": (lambda n: "return " + "!" * n + "1;", 63),
    "binary operators": (lambda n: "return 1" + " + 1" * n + ";", 63),
    "member chains": (lambda n: "const o = {}; o.a = o;\nreturn typeof o" + ".a" * n + ";", 62),
    "templates": (lambda n: "return " + "`${" * n + "1" + "}`" * n + ";", 63),
    "destructuring": (lambda n: "const " + "[" * n + "b" + "]" * n + " = " + "[" * n + "1"
                      + "]" * n + ";\nreturn b;", 63),
}


@pytest.mark.parametrize("kind", list(DEPTH))
def test_the_deepest_accepted_script_runs(kind: str, tmp_path: Path) -> None:
    script, deepest = DEPTH[kind]
    path = tmp_path / "deep.js"
    path.write_text(META + script(deepest), encoding="utf-8")
    result = flowdsl.run(path, backend=OracleBackend())
    assert result.status == "completed", result.error


def _transpile_at_depth(frames: int, source: str) -> str:
    if frames:
        return _transpile_at_depth(frames - 1, source)
    return compat.transpile(source, "deep.js").source


def test_a_deep_caller_can_transpile_the_deepest_accepted_scripts() -> None:
    frames = sys.getrecursionlimit() - 100
    for script, deepest in DEPTH.values():
        assert _transpile_at_depth(frames, META + script(deepest))


@pytest.mark.parametrize("kind", list(DEPTH))
def test_one_level_more_is_a_nesting_error(kind: str) -> None:
    script, deepest = DEPTH[kind]
    with pytest.raises(ScriptSyntaxError, match=f"limit is {MAX_NESTING} levels"):
        compat.transpile(META + script(deepest + 1), "deep.js")


@pytest.mark.parametrize(
    ("body", "line", "column"),
    [
        # the first construct past the limit: the 65th arrow, bracket, `if`, operator
        ("const f = " + "() => " * 400 + "1;", 2, 11 + 6 * MAX_NESTING),
        ("const a = " + "[" * 400 + "]" * 400 + ";", 2, 11 + MAX_NESTING),
        # columns count characters, astral ones too (not UTF-16 units)
        ("const s = '😀😀'; const a = " + "[" * 400 + "]" * 400 + ";", 2, 27 + MAX_NESTING),
        ("const a = " + "{a:" * 400 + "1" + "}" * 400 + ";", 2, 11 + 3 * MAX_NESTING),
        ("const a = " + "(" * 400 + "1" + ")" * 400 + ";", 2, 11 + MAX_NESTING),
        ("const a = " + "f(" * 400 + "1" + ")" * 400 + ";", 2, 12 + 2 * MAX_NESTING),
        ("return `" + "${`" * 400 + "`}" * 400 + "`;", 2, 8 + 3 * MAX_NESTING),
        # brackets are counted before parsing: the `(` after 64 open `{`
        ("let x;\n" + "if (x) {" * 400 + "}" * 400, 3, 4 + 8 * MAX_NESTING),
        ("return " + "!" * 400 + "1;", 2, 8 + MAX_NESTING),
        ("return 1" + " + 1" * 400 + ";", 2, 8),
    ],
    ids=["arrows", "arrays", "astral", "objects", "parentheses", "calls", "templates", "ifs",
         "unary", "binary"],
)
def test_deep_nesting_names_the_place(body: str, line: int, column: int) -> None:
    with pytest.raises(ScriptSyntaxError) as info:
        compat.transpile(META + body, "deep.js")
    assert "nested too deeply" in info.value.message
    assert (info.value.line, info.value.column) == (line, column)


def _else_ifs(n: int) -> str:
    return META + "let x = 0;\n" + "if (x) {} else " * n + "{}\n"


def _at_depth(frames: int, source: str) -> str:
    if frames:
        return _at_depth(frames - 1, source)
    try:
        compat.transpile(source, "deep.js")
    except ScriptSyntaxError as exc:
        return str(exc)
    raise AssertionError("not refused")


def test_where_the_parser_runs_out_does_not_depend_on_the_caller() -> None:
    # 400 chained `else if` exhaust esprima's stack before the tree can be measured
    source = _else_ifs(400)
    shallow = _at_depth(0, source)
    assert shallow.startswith("deep.js:3:")
    assert "too deep for the parser" in shallow
    assert _at_depth(sys.getrecursionlimit() // 2, source) == shallow


BLOCKS: dict[str, tuple[Callable[[int], str], int]] = {
    "for": (lambda n: "".join(f"for (let i{i} = 0; i{i} < 1; i{i}++) {{" for i in range(n))
            + "x++;" + "}" * n, MAX_BLOCKS),
    "for-of": (lambda n: "for (const y of [1]) {" * n + "x++;" + "}" * n, MAX_BLOCKS),
    "while": (lambda n: "while (x < 1) {" * n + "x++;" + "}" * n, MAX_BLOCKS),
    "try": (lambda n: "try {" * n + "x++;" + "} catch (e) {}" * n, MAX_BLOCKS - 1),
    "catch": (lambda n: "try { throw 1 } catch (e) {" * n + "x++;" + "}" * n,
              MAX_BLOCKS // 2),
    "try in finally": (lambda n: "try { x++ } finally {" * (n - 2 * MAX_FINALLY)
                       + "for (const y of [1]) {" * (2 * MAX_FINALLY) + "x++;" + "}" * n,
                       MAX_BLOCKS),
    "catch with finally": (lambda n: "try { throw 1 } catch (e) {" * n + "x++;"
                           + "} finally {}" * n, MAX_BLOCKS // 3),
    "loop and try": (lambda n: "while (x < 1) { try {" * n + "x++;" + "} catch (e) {} }" * n,
                     MAX_BLOCKS // 2 - 1),
}


@pytest.mark.parametrize("kind", list(BLOCKS))
def test_loops_and_trys_nest_as_deep_as_python_allows(kind: str, tmp_path: Path) -> None:
    script, deepest = BLOCKS[kind]
    path = tmp_path / "blocks.js"
    path.write_text(META + "let x = 0;\n" + script(deepest) + "\nreturn x;", encoding="utf-8")
    assert flowdsl.run(path, backend=OracleBackend()).status == "completed"
    path.write_text(META + "let x = 0;\n" + script(deepest + 1), encoding="utf-8")
    with pytest.raises(ScriptSyntaxError, match=f"the limit is {MAX_BLOCKS} Python blocks"):
        compat.transpile(path.read_text(encoding="utf-8"), str(path))


def test_finally_bodies_nest_up_to_their_limit(tmp_path: Path) -> None:
    def script(n: int) -> str:
        return "let x = 0;\n" + "try { x++ } finally {" * n + "x++;" + "}" * n + "\nreturn x;"

    path = tmp_path / "finally.js"
    path.write_text(META + script(MAX_FINALLY), encoding="utf-8")
    assert flowdsl.run(path, backend=OracleBackend()).value == MAX_FINALLY + 1
    with pytest.raises(ScriptSyntaxError, match=f"finally blocks nest more than {MAX_FINALLY}"):
        compat.transpile(META + script(MAX_FINALLY + 1), "finally.js")


def test_a_function_starts_its_own_count_of_blocks() -> None:
    inner = "const f = () => {" + "while (x < 1) {" * MAX_BLOCKS + "x++;" + "}" * MAX_BLOCKS
    body = "let x = 0;\n" + "while (x < 1) {" * 5 + inner + "}; x++;" + "}" * 5
    compat.transpile(META + body, "blocks.js")


@pytest.mark.parametrize("command", [["check"], ["run", "--backend", "simulate"]])
@pytest.mark.parametrize("body", ["const f = " + "() => " * 400 + "1;", _else_ifs(400)[len(META):]],
                         ids=["arrows", "else-if"])
def test_the_cli_reports_one_line_and_exits_2(
    command: list[str], body: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FLOWDSL_STORE", str(tmp_path / "store"))
    path = tmp_path / "deep.js"
    path.write_text(META + body, encoding="utf-8")
    code = main([command[0], str(path), *command[1:]])
    out, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"flowdsl: error: {path}:")
    assert "nested too deeply" in lines[0]
