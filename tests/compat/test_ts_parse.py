"""The tree-sitter parse agrees with esprima's on every script (``compat._ts_parse``).

The invariant: :func:`compat._parse._parse` with the tree-sitter path gives exactly what
the esprima path alone gives - an equal tree (every attribute of every node, positions
included, node classes too) or the same error (type, message, line, column).
"""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compat._parse import _META, _parse, on_fresh_stack, parser_for, wrapped
from flowdsl.errors import FlowError

ROOT = Path(__file__).resolve().parents[2]
META = "export const meta = { name: 't', description: 'test workflow' };\n"


def script_files() -> list[Path]:
    found = [*ROOT.glob("tests/compat/js_corpus/*.js"), *ROOT.glob("tests/compat/scripts/**/*.js"),
             *ROOT.glob("examples/**/*.js")]
    return sorted(found)


def outcome(source: str, *, fast: bool) -> Any:
    """What parsing gives: the tree as plain data, or the error's identity."""
    try:
        parsed = on_fresh_stack(lambda: _parse(source, "t.js", fast=fast))
    except FlowError as exc:
        return ("error", type(exc).__name__, str(exc), exc.line, exc.column)
    return ("tree", plain(parsed.wrapper), plain(parsed.body), parsed.meta)


def plain(value: Any) -> Any:
    """A node tree as nested tuples of (class, attributes): equal iff the trees are."""
    if isinstance(value, list):
        return [plain(item) for item in value]
    if hasattr(value, "__dict__"):
        items = sorted((key, plain(item)) for key, item in vars(value).items())
        return (type(value).__module__, type(value).__qualname__, items)
    if isinstance(value, float):
        return ("float", repr(value))  # NaN equals itself, -0.0 differs from 0.0
    return value


def fast_path_taken(source: str) -> bool:
    return parser_for(source) == "tree-sitter"


def assert_agrees(source: str) -> None:
    assert outcome(source, fast=True) == outcome(source, fast=False), source


# -- every script the suite holds -----------------------------------------------------


@pytest.mark.parametrize("path", script_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_script_files_parse_to_the_esprima_tree(path: Path) -> None:
    assert_agrees(path.read_text(encoding="utf-8"))


def test_corpus_scripts_take_the_tree_sitter_path() -> None:
    corpus = sorted(ROOT.glob("tests/compat/js_corpus/*.js"))
    assert corpus
    assert all(fast_path_taken(p.read_text(encoding="utf-8")) for p in corpus)


def test_benchmark_script_parses_to_the_esprima_tree_on_the_fast_path() -> None:
    from benchmarks.bench_js_compile import build_script

    source = build_script()
    assert fast_path_taken(source)
    assert_agrees(source)


def _test_table_strings() -> list[str]:
    """The JS of the suite's Python tests, found without listing it: every string constant
    that could be code (it has ``;``, ``(`` or ``=``), as a whole workflow or as a body
    after the tests' meta line. Most are scripts; the rest test the error path."""
    sources: set[str] = set()
    for path in sorted(ROOT.glob("tests/**/*.py")):
        if path.name == Path(__file__).name:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and any(ch in node.value for ch in ";(=") and len(node.value) < 20_000:
                text = node.value
                sources.add(text if _META.match(text) else META + text)
    return sorted(sources)


def test_js_strings_of_the_test_suite_parse_alike() -> None:
    sources = _test_table_strings()
    assert len(sources) > 100
    fast = [source for source in sources if fast_path_taken(source)]
    assert len(fast) > 200  # hundreds of them exercise the tree-sitter path
    for source in sources:
        assert_agrees(source)


# -- fuzz: mutations of real statements -------------------------------------------------

_TOKEN = re.compile(r"\s+|//[^\n]*|/\*[\s\S]*?\*/|[A-Za-z_$][\w$]*|\d[\w.]*|'(?:\\.|[^'\\\n])*'"
                    r"|\"(?:\\.|[^\"\\\n])*\"|`(?:\\.|[^`\\])*`|\?\.|\.\.\.|=>|[=!]==?|&&|\|\||\?\?"
                    r"|\*\*|\+\+|--|[-+*/%&|^<>]=?|[^\s]")
_INSERTS = (
    "break", "continue", "await", "=", ")", "(", "`", "\\", "é", "日本", "😀", "{", "}", "[",
    "]", ",", ";", "\n", "=>", "async", "?.", "...", '"use strict";', "//", "/*", "*/", "return",
    "yield", "new", "++", "--", "!", "**", "??", "||", "let", "const x", "function", "0x",
    "1_0", "08", "/a/gg", "/[/", "'\\08'", "`\\08`", "__proto__: 1,", "new.target", "get ",
    "x:", "label: ", "class", "import", "export", "throw\n", "a\n++", "${", "#x", "0n", "1e",
    "\\u0061", "'é'", "`日本${x}`", "/é+/u", "'\\u{1F600}'", ".5", "`\\u{41}`", "in", "of",
    "catch", "finally", "try", "switch (x) { default: default: }", "do", "while (0)", "debugger",
    "with", "case 1:", "delete x", "typeof", "void", "arguments", "eval", "let [a] = b",
    "async function f() {}", "function* g() {}", "({ a = 1 })", "(a, a) => 1", "[...a, b] = c",
    "const { ...r, x } = y", "x?.y = 1", "a ?? b || c", "-x ** 2", "if (a) function f() {}",
    "for (const x of a, b);", "(...a,) => a", "try {}", "`${`${`${x}`}`}`",
)

_NEUTRAL = ("\n", " ", "\t", "/* c */", "/* é\n😀 */", "// 日本\n", "\n\n", " // c\n")


def statements_pool() -> list[str]:
    """Real statements: the statements, at any depth, of the suite's scripts."""
    import esprima

    pool: list[str] = []
    for path in script_files():
        source = path.read_text(encoding="utf-8")
        try:
            program = esprima.parseModule(source)
        except esprima.Error:
            continue
        stack: list[Any] = list(program.body)
        while stack:
            node = stack.pop()
            text = source[node._start:node._end]
            if 5 < len(text) < 700 and not text.startswith(("export", "import")):
                pool.append(text)
            for value in vars(node).values():
                items = value if isinstance(value, list) else [value]
                stack.extend(item for item in items if hasattr(item, "type")
                             and item.type.endswith(("Statement", "Declaration", "Block")))
                body = getattr(value, "body", None)
                if isinstance(body, list):
                    stack.extend(body)
    return sorted(set(pool))


def mutate(rng: random.Random, text: str) -> str:
    """``text`` with one to three token edits: a deletion, a duplicate, a swap, an
    insertion from :data:`_INSERTS` or of whitespace or a comment."""
    tokens = _TOKEN.findall(text)
    for _ in range(rng.randint(1, 3)):
        if not tokens:
            break
        i = rng.randrange(len(tokens))
        action = rng.randrange(7)
        if action == 0:
            del tokens[i]
        elif action == 1:
            tokens.insert(i, tokens[i])
        elif action == 2 and i + 1 < len(tokens):
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        elif action >= 5:  # whitespace or a comment: most scripts stay valid
            tokens.insert(i, rng.choice(_NEUTRAL))
        else:
            tokens.insert(i, rng.choice(_INSERTS) + rng.choice(("", " ", "\n")))
    return "".join(tokens)


def fuzz_cases(seed: int, count: int) -> list[str]:
    """``count`` mutated workflows of one or two real statements (one in twenty behind
    brackets nested about as deep as the limit). A larger run by hand: the same check
    over ``fuzz_cases(seed, 100)`` for a few hundred seeds."""
    rng = random.Random(seed)
    pool = statements_pool()
    cases = []
    for _ in range(count):
        body = "\n".join(rng.choice(pool) for _ in range(rng.randint(1, 2)))
        if rng.random() < 0.05:
            depth = rng.randint(60, 70)
            body = "const d = " + "(" * depth + "1" + ")" * depth + ";\n" + body
        cases.append(META + mutate(rng, body))
    return cases


def test_fuzzed_statements_parse_alike() -> None:
    cases = fuzz_cases(seed=20261203, count=600)
    fast = sum(fast_path_taken(case) for case in cases)
    assert 30 < fast < len(cases)  # both paths are exercised
    for case in cases:
        assert_agrees(case)


# -- statement ends, semicolons, commas and comments (cases the fuzz found) -------------

EDGE_CASES = (
    "let [a] = b  // c\n{ log('a'); }",
    "x = 3\ny = x + x - x // 2 % 3\nx += 1",
    "try { JSON.parse('') } catch (err) { log(err.name); }",
    "if (a) return x // r\nlog(1);",
    "if (a) x = 1 // c\nelse y = 2 // d\nz()",
    "for (var i = 0; i < 3; i++) ;\nfor (let j = 0; j < 3; j++) {}",
    "const x = y /* a */ /* b */\n// c\nlog(x)",
    "return\n'fine';",
    "return/* é\n😀 */ ;",
    "x /*\n*/ ;",
    "if (kind === 'obj') throw { ,code: 42 };",
    "log('ok',, risky(kind));",
    "for (const x of [1]) { continue }",
    "const o = {...a, /* c */};\nconst p = {...a, // c\n};",
    "let k = 0; do { k++ } while (k < 4)// 日本\n;\ndo k++; while (k < 9) /* x */ ; log(k)",
)


@pytest.mark.parametrize("body", EDGE_CASES)
def test_edge_cases_parse_alike(body: str) -> None:
    assert_agrees(META + body)


# -- early errors: tree-sitter accepts, esprima refuses -----------------------------------

EARLY_ERRORS = (
    "break;", "continue;", "while (a) { break nowhere; }", "for (;;) { continue missing; }",
    "switch (a) { case 1: continue; }", "a + b = c;", "++f();", "a?.b = 1;", "(a, b) = 1;",
    "a - b = c;", "!a = b;", "x = a || b = c;", "({a}) = 1;", "[...a, b] = c;",
    "function f() { await g(); }", "const h = () => await g();",
    "async function f(a = await b) {}", "const o = { get a(x) { return 1; } };",
    "const o = { set a() {} };", "const o = { __proto__: 1, __proto__: 2 };", "const x;",
    "let [a];", "for (const x; ;) {}", "const t = `\\08`;", "const t = `\\u{110000}`;",
    "const r = /a/gg;", "const r = /(?<a>x)(?<a>y)/;", "const x = new.target;",
    "let let = 1;", "var enum = 1;", "let await = 1;", "const \\u0061wait = 1;",
    "var v\\u0061r = 1;", "class A { constructor() {} constructor() {} }",
    "function f() { 'use strict'; delete x; }", "throw\nnew Error('x');", "try {}",
    "switch (a) { default: default: }", "while (a) let x = 1;", "a ?? b || c;", "-x ** 2;",
    "(...a,) => a;", "function f(...a, b) {}", "const { ...r, x } = y;",
    "for (const x of a, b) ;", "for (var x = 1 of y) ;", "let a; let a;",
    "const f = (a, a) => 1;", "function f(a, a = 1) {}", "label: label: x;",
    "const f = async\n(x) => x;", "x\n=> 1;", "new a?.b;", "a?.b`t`;", "f(a,, b);", "f(, a);",
    "for (async of x) ;", "super.x();", "yield 1;", "const s = '\\u{110000}';",
    "const n = 08n;", "const n = 3in [];", "try {} catch ([a, a]) {}",
    "try {} catch (e) { let e; }", "const f = function(a, a) { 'use strict'; };",
    "const o = { async\nm() {} };", "import x from 'y';", "export const y = 1;",
)


@pytest.mark.parametrize("body", EARLY_ERRORS)
def test_early_errors_get_esprimas_message(body: str) -> None:
    import tree_sitter
    import tree_sitter_javascript

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))
    assert not parser.parse(wrapped(body).encode()).root_node.has_error  # tree-sitter accepts
    fast = outcome(META + body, fast=True)
    assert fast[0] == "error"
    assert fast == outcome(META + body, fast=False)


# -- non-ASCII text: esprima's positions are string indices -------------------------------

NON_ASCII_VALID = (
    "const é = 1; const 日本 = '😀'; log(é + 日本);",
    "const s = \"日本😀\";\nconst t = `é${s}😀${'日本'}`;\nreturn [s, t, /é+😀/u];",
    "// 😀 日本\nconst x = { 'ключ': 'значение', n: 1 }; /* é */ log(x.n);",
    "const 𝑥 = '😀😀'; const y = `${𝑥}\\u{1F600}`; return `${y}` + 𝑥;",
    "const f = async (é, { 日本 = '😀' }) => { await é; return 日本 }\nf(1, {});",
)
NON_ASCII_INVALID = (
    "const é = '😀'; x = ;",

    "const s = `日本${x}😀`; break;",
    "log('😀😀😀'); const t = `\\08é`;",
    "const 日本 = 1;\nconst 日本 = 2;",
    "const e = '😀'; a + b = c;",
)


UNICODE_SPACES = (
    "const a =\u00a01;\u3000const b = '\u2028';\ufeff",
    "const a = 1;\u200bconst b = 2;",
    "const a\u2060= 1;",
    "const a = '\ud800';\nx = ;",
)
"""Unicode spaces, line ends and lone surrogates: tree-sitter reads some differently."""


@pytest.mark.parametrize("body", UNICODE_SPACES)
def test_unicode_spaces_are_left_to_esprima(body: str) -> None:
    assert not fast_path_taken(META + body)
    assert_agrees(META + body)


@pytest.mark.parametrize("body", NON_ASCII_VALID)
def test_non_ascii_text_keeps_esprima_positions(body: str) -> None:
    assert fast_path_taken(META + body)
    assert_agrees(META + body)


@pytest.mark.parametrize("body", NON_ASCII_INVALID)
def test_errors_after_non_ascii_text_are_placed_alike(body: str) -> None:
    fast = outcome(META + body, fast=True)
    assert fast[0] == "error"
    assert fast == outcome(META + body, fast=False)


# -- nesting near the limits -------------------------------------------------------------

NESTED: dict[str, Callable[[int], str]] = {
    "parentheses": lambda n: "const x = " + "(" * n + "1" + ")" * n + ";",
    "arrays": lambda n: "const x = " + "[" * n + "]" * n + ";",
    "functions": lambda n: "const x = " + "() => { return " * n + "1" + " }" * n + ";",
    "else-if": lambda n: "if (a) {} " + "else if (a) {} " * n,
    "conditionals": lambda n: "const x = " + "a ? b : " * n + "c;",
    "new": lambda n: "const x = " + "new " * n + "C;",
}


@pytest.mark.parametrize("kind", sorted(NESTED))
@pytest.mark.parametrize("depth", [30, 63, 64, 65, 66, 67, 130, 260])
def test_deep_nesting_is_judged_alike(kind: str, depth: int) -> None:
    assert_agrees(META + NESTED[kind](depth))
