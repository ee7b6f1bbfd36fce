"""The sandbox as a table: snippets that must be refused, snippets that must work."""

from __future__ import annotations

import re
from typing import Any

import pytest

from flowdsl.errors import SandboxViolation

from .conftest import Budget, Stubs, compile_snippet, run_snippet

FORBIDDEN: list[tuple[str, str]] = [
    # Walking from a literal to every class.
    ("().__class__.__bases__[0].__subclasses__()", "`__class__` is not available"),
    ("[].__class__", "`__class__` is not available"),
    ("{}.__class__", "`__class__` is not available"),
    ("str.mro()", "`.mro` is not available on class `str`"),
    ('getattr(1, "__cl" + "ass__")', "`.__class__` is not available on `int` values"),
    ('getattr(1, "__class__", None)', "`.__class__` is not available"),
    ('getattr(str, "mro")()', "`.mro` is not available on class `str`"),
    # Format strings reaching attributes.
    ('"{0.__class__}".format(1)', "`.__class__` is not available on `int` values"),
    ('"{a.__globals__}".format_map({"a": len})', "`.__globals__` is not available"),
    ('str.format("{0.__class__.__mro__}", 1)', "`.__class__` is not available"),
    ('"{0.real.__class__}".format(1)', "`.__class__` is not available"),
    ('x = 1\nf"{x.__class__}"', "`__class__` is not available"),
    ('"{}".format.__self__', "`__self__` is not available"),
    # Functions, frames, code, tracebacks.
    ("(lambda: 0).__code__", "`__code__` is not available"),
    ("g = (i for i in [])\ng.gi_frame", "frames, code and tracebacks are out of reach"),
    ('g = (i for i in [])\ngetattr(g, "gi_frame")', "`.gi_frame` is not available"),
    ("async def f():\n    pass\nc = f()\nc.cr_frame", "`cr_frame` is not available"),
    (
        'async def f():\n    pass\nc = f()\ntry:\n    getattr(c, "cr_frame")\nfinally:\n'
        "    await c",
        "`.cr_frame` is not available on `coroutine` values",
    ),
    (
        "try:\n    1 / 0\nexcept Exception as e:\n    e.__traceback__.tb_frame",
        "`__traceback__` is not available",
    ),
    (
        'try:\n    1 / 0\nexcept Exception as e:\n    getattr(e, "__traceback__")',
        "`.__traceback__` is not available on exceptions",
    ),
    (
        "try:\n    1 / 0\nexcept Exception as e:\n    e.with_traceback(None)",
        "a caught exception exposes only `e.args`",
    ),
    ("print.__self__", "`__self__` is not available"),
    ("agent.__globals__", "`__globals__` is not available"),
    ('getattr(agent, "__globals__")', "`.__globals__` is not available"),
    ("budget.__dict__", "`__dict__` is not available"),
    ('getattr(budget, "__dict__")', "`.__dict__` is not available"),
    # Builtins that do not exist for scripts.
    ('open("x")', "`open` is not available in workflows: workflows do no I/O"),
    ('eval("1")', "`eval` is not available in workflows: workflows cannot run generated code"),
    ('exec("x = 1")', "`exec` is not available"),
    ('compile("1", "f", "eval")', "`compile` is not available"),
    ("type(1)", "`type` is not available in workflows: use isinstance"),
    ("globals()", "`globals` is not available"),
    ("vars()", "`vars` is not available"),
    ("dir()", "`dir` is not available"),
    ('__import__("os")', "`__import__` is not available"),
    ("breakpoint()", "`breakpoint` is not available"),
    ('setattr(budget, "total", 1)', "`setattr` is not available"),
    ("__builtins__", "`__builtins__` is not available"),
    ("_tick_()", "`_tick_` is not available"),
    # Imports.
    ("import os", "`os` is not available in workflows: workflows do no I/O"),
    ("import time", "`time` is not available in workflows: pass the time you need in `args`"),
    ("import random", "pass random values or a seed in `args`"),
    ("import datetime", "`datetime` is not available"),
    ("import subprocess", "`subprocess` is not available"),
    ("from os import path", "`os` is not available"),
    ("import json.decoder", "`json.decoder` is not available in workflows: import `json`"),
    ("from json import codecs", "`json.codecs` is not available"),
    ("import json\njson.codecs", "`json.codecs` is not available"),
    ("import json\njson.decoder", "`json.decoder` is not available"),
    ("import re\nre._compile", "`_compile` is not available"),
    ('import re\ngetattr(re, "_compiler")', "`re._compiler` is not available"),
    ("from collections import namedtuple", "`collections.namedtuple` is not available"),
    ("import collections\ncollections.namedtuple", "it builds a class from source: use a dict"),
    ("import functools\nfunctools.partial(len).func", "`.func` is not available on `partial`"),
    ("from . import x", "relative imports are not available"),
    ("from json import *", "`import *` is not available"),
    # Statements.
    ("x = {}\nx.y = 1", "attributes cannot be assigned in workflows"),
    ("x = {}\ndel x.y", "attributes cannot be deleted in workflows"),
    ("x = {}\nx.y += 1", "attributes cannot be assigned"),
    ("class X:\n    pass", "classes are not available in workflows: use dicts and functions"),
    ("global x", "`global` is not available in workflows"),
    ("try:\n    pass\nexcept BaseException:\n    pass", "`BaseException` is not available"),
    ("raise SystemExit", "`SystemExit` is not available"),
    ("raise KeyboardInterrupt()", "`KeyboardInterrupt` is not available"),
    ("try:\n    1 / 0\nexcept 42:\n    pass", "`except` accepts only Exception"),
    ("try:\n    pass\nexcept* ValueError:\n    pass", "`except*` is not available"),
    ("match 1:\n    case 1:\n        pass", "`match` statements are not available"),
    ("yield 1", "`yield` is only available inside a `def`"),
    ("try:\n    pass\nfinally:\n    return 1", "`return` inside `finally`"),
    ("while True:\n    try:\n        pass\n    finally:\n        break", "`break` inside"),
    ("x = [1]\nx[0].y = 2", "attributes cannot be assigned"),
    ('x = "ab"\nx[0] = "c"', "items cannot be assigned on `str` values"),
    ("def print():\n    pass", '"print" is a reserved name'),
    ('print("x", file="log.txt")', "print(file=...) is not available"),
    # Red team: unbound methods, defaults, format specs and library objects.
    ('list(map(str.__getattribute__, ["a"], ["__class__"]))', "`__getattribute__` is not"),
    ('list(map(getattr, [1], ["__class__"]))', "`.__class__` is not available on `int` values"),
    ('getattr(agent, "__self__", None)', "`.__self__` is not available on `method` values"),
    ('getattr(budget.spent, "__func__", None)', "`.__func__` is not available"),
    ('"{0:{1.__class__}}".format(1, 2)', "`.__class__` is not available on `int` values"),
    ('"{0.upper.__self__}".format("a")', "`.__self__` is not available"),
    ('int.from_bytes(b"1", "big")', "`.from_bytes` is not available on class `int`"),
    ("import collections\ncollections.Counter.fromkeys", "`.fromkeys` is not available"),
    (
        "import collections\ncollections.defaultdict(list).default_factory",
        "`.default_factory` is not available on `defaultdict` values",
    ),
    ("import functools\nfunctools.partial(len).args", "`.args` is not available on `partial`"),
    (
        "import functools\n@functools.lru_cache\ndef f(x):\n    return x\nf.cache_info()",
        "`.cache_info` is not available",
    ),
    ('import re\ngetattr(re.match("a", "a").re, "__class__")', "`.__class__` is not available"),
    ('import itertools\ngetattr(itertools.count(), "gi_frame", None)', "`.gi_frame` is not"),
    ("def g():\n    yield 1\ng().send", "`.send` is not available on `generator` values"),
    ("async def g():\n    yield 1\ng().asend", "`.asend` is not available on `async_generator`"),
    ('async def g():\n    yield 1\ngetattr(g(), "ag_frame", 0)', "`.ag_frame` is not available"),
    (
        'import json\ntry:\n    json.loads("[")\nexcept ValueError as e:\n    e.doc',
        "`.doc` is not available on exceptions",
    ),
    (
        "import json\ntry:\n    json.dumps(1, cls=dict)\nexcept AttributeError as e:\n    e.obj",
        "`.obj` is not available on exceptions",
    ),
    (
        'try:\n    {}["k"]\nexcept KeyError as e:\n    getattr(e, "__context__", None)',
        "`.__context__` is not available on exceptions",
    ),
    (
        "import statistics\ntry:\n    statistics.mean([])\n"
        "except statistics.StatisticsError as e:\n    e.__traceback__",
        "`__traceback__` is not available",
    ),
    ("import json as _j", "`_j` is not available"),
    ("try:\n    pass\nexcept Exception as _e:\n    pass", "`_e` is not available"),
    ("[_x for _x in []]", "`_x` is not available"),
    ("_mul_(2, 3)", "`_mul_` is not available"),
    # Determinism: values that differ between processes.
    ('hash("a")', "`hash` is not available in workflows: hash() differs between runs"),
    ("id(args)", "`id` is not available"),
    # Red team: single operations no tick can interrupt (see _size_caps).
    ('"x" * 10**10', "`*` on a sequence is too big for a workflow (10,000,000,000 items"),
    ("[0] * 10**10", "`*` on a sequence is too big for a workflow"),
    ("n = 10**8\n(1, 2) * n", "`*` on a sequence is too big"),
    ("xs = [1]\nxs *= 10**8", "`*` on a sequence is too big"),
    ('d = {"k": "ab"}\nd["k"] *= 10**8', "`*` on a sequence is too big"),
    ("10**10**8", "`**` (or `pow()`) is too big for a workflow (332,192,809 bits"),
    ("2 ** (2 ** 40)", "`**` (or `pow()`) is too big"),
    ("pow(2, 10**9)", "`**` (or `pow()`) is too big"),
    ("n = 7\nn **= 10**6", "`**` (or `pow()`) is too big"),
    ("1 << 10**9", "`<<` is too big for a workflow"),
    ("x = 2\nfor i in range(30):\n    x = x * x", "`*` is too big for a workflow"),
    ("pow(3, 2**10000, 2**100000 - 1)", "`pow()` with a modulus is too big"),
    ("import math\nmath.factorial(10**7)", "`math.factorial` is too big"),
    ("import math\nmath.comb(10**7, 5 * 10**6)", "`math.comb` is too big"),
    ("import math\nmath.perm(10**6)", "`math.perm` is too big"),
    ("import math\nmath.prod([2**60000, 2**60000])", "`math.prod` is too big"),
    ("import math\nmath.lcm(2**60000 + 1, 2**60000 - 1)", "`math.lcm` is too big"),
    ('import re\nre.match(r"(a+)+$", "a" * 40 + "b")', "regular expression '(a+)+$' is refused"),
    ('import re\nre.compile(r"(\\w+\\s?)*$")', "make the inner quantifier possessive"),
    ('import re\nre.sub(r"(?:x|y*)+z", "", "x")', "is refused"),
    ('from re import findall\nfindall(r"(.*,)*$", "a,")', "is refused"),
    ('import textwrap\ntextwrap.wrap("a" * 10**6, 1)', "`textwrap.wrap` is too big"),
    ('import textwrap\ntextwrap.indent("x", "> " * 100)', "`textwrap.indent` is too big"),
    ("import statistics\nstatistics.mean([1.5] * 10**6)", "`statistics.mean` is too big"),
    ("import statistics\nstatistics.quantiles([1, 2], n=10**9)", "`statistics.quantiles` is"),
    ('("{}" * 20000).format(*range(20000))', "`str.format` template is too big"),
    ("xs = [1, 2]\nxs[0:1] *= 2", "this augmented assignment is not available"),
    ("import itertools\nitertools.tee([1], 10**8)", "`itertools.tee` makes at most 1,000"),
    (
        "import collections\nlist(collections.Counter(a=10**9).elements())",
        "`.elements` is not available on `Counter` values",
    ),
]

ALLOWED: list[tuple[str, Any]] = [
    ("return {k: v * 2 for k, v in {'a': 1, 'b': 2}.items()}", {"a": 2, "b": 4}),
    ("return [x for x in range(10) if x % 3 == 0]", [0, 3, 6, 9]),
    ("return sorted({c for c in 'banana'})", ["a", "b", "n"]),
    ("d = {}\nfor w in 'a b a'.split():\n    d[w] = d.get(w, 0) + 1\nreturn d", {"a": 2, "b": 1}),
    ("d = {'a': {'b': 1}}\nd['a']['b'] += 5\nd['a']['b'] -= 1\nreturn d", {"a": {"b": 5}}),
    ("xs = [1, 2]\nxs[1] *= 10\nreturn xs", [1, 20]),
    ("x = 42\nreturn f'{x:>5}|{x:04d}|{x!r}'", "   42|0042|42"),
    ("return '-'.join(str(i) for i in range(3))", "0-1-2"),
    ("d = {'a': 3, 'b': 1}\nreturn sorted(d.items(), key=lambda kv: kv[1])", [("b", 1), ("a", 3)]),
    ("import json\nreturn json.dumps({'a': [1]}, indent=2)", '{\n  "a": [\n    1\n  ]\n}'),
    ("import json\nreturn json.loads('[1, 2]')", [1, 2]),
    ("import re\nreturn re.findall(r'\\d+', 'a1b22')", ["1", "22"]),
    ("import re as r\nreturn r.compile('a+').sub('-', 'caaab')", "c-b"),
    ("import re\nm = re.match(r'(\\w+)@(\\w+)', 'me@host')\nreturn m.group(2)", "host"),
    ("import math\nreturn math.ceil(2.1) + math.floor(2.9)", 5),
    (
        "from collections import Counter\nreturn Counter('aabbbc').most_common(2)",
        [("b", 3), ("a", 2)],
    ),
    (
        "import collections\nd = collections.defaultdict(list)\nd['k'].append(1)\nreturn dict(d)",
        {"k": [1]},
    ),
    ("import itertools\nreturn list(itertools.chain.from_iterable([[1], [2, 3]]))", [1, 2, 3]),
    ("import itertools\nreturn list(itertools.islice(itertools.count(5), 3))", [5, 6, 7]),
    ("import functools\nreturn functools.reduce(lambda a, b: a * b, [1, 2, 3, 4])", 24),
    ("import statistics\nreturn statistics.mean([1, 2, 3, 6])", 3),
    (
        "import statistics\nr = statistics.linear_regression([1, 2, 3], [2, 4, 6])\n"
        "return [r.slope, r.intercept, r[0], str(r)]",
        [2.0, 0.0, 2.0, "LinearRegression(slope=2.0, intercept=0.0)"],
    ),
    ("import textwrap\nreturn textwrap.dedent('  a\\n  b')", "a\nb"),
    ("import string\nreturn string.ascii_lowercase[:3]", "abc"),
    (
        "try:\n    int('x')\nexcept ValueError as e:\n    return str(e)",
        "invalid literal for int() with base 10: 'x'",
    ),
    ("try:\n    {}['k']\nexcept KeyError as e:\n    return e.args", ("k",)),
    ("try:\n    1 / 0\nexcept:\n    return 'caught'", "caught"),
    (
        "def counter():\n    n = 0\n    def inc():\n        nonlocal n\n        n += 1\n"
        "        return n\n    inc()\n    return inc()\nreturn counter()",
        2,
    ),
    (
        "async def double(x):\n    return x * 2\nreturn [await double(i) for i in range(3)]",
        [0, 2, 4],
    ),
    ("x: int = 3\ny: str\nreturn x", 3),
    ("a, *b = [1, 2, 3]\n(c, d), e = (4, 5), 6\nreturn [a, b, c, d, e]", [1, [2, 3], 4, 5, 6]),
    ("n = 0\nwhile True:\n    n += 1\n    if n == 5:\n        break\nreturn n", 5),
    ("return '{} and {name}'.format(1, name='two')", "1 and two"),
    ("return str.format('{0[k]}', {'k': 'v'})", "v"),
    ("return '{a}'.format_map({'a': 1})", "1"),
    ("return [isinstance(1.5, (int, float)), isinstance('1', int)]", [True, False]),
    ("return list(map(str.upper, ['a', 'b']))", ["A", "B"]),
    ("return await agent('hi')", "done: hi"),
    (
        "files = ['a', 'b']\nreturn await parallel(agent(f'Review {f}') for f in files)",
        ["done: Review a", "done: Review b"],
    ),
    ("return [budget.total, budget.spent(), budget.remaining()]", [1000, 120, 880]),
    ("if (n := len('abc')) > 2:\n    return n", 3),
    (
        "xs = [3, 1, 2]\nxs.sort()\nreturn [xs, xs.pop(), min(xs), max(xs), sum(xs)]",
        [[1, 2], 3, 1, 2, 3],
    ),
    ("return getattr('a', 'upper')() + str(hasattr(1, '__class__'))", "AFalse"),
    ("def gen(n):\n    for i in range(n):\n        yield i * i\nreturn list(gen(4))", [0, 1, 4, 9]),
    ("return [round(2.675, 2), divmod(7, 2), pow(3, 4, 5), abs(-2)]", [2.67, (7 // 2, 1), 1, 2]),
    ("return range(10)[2:4].start", 2),
    ("return len(range(10**12)) > 0 and 5 in range(10**12)", True),
    # The operator guards keep Python's semantics below their limits.
    (
        "xs = [1, 2]\nalias = xs\nxs *= 2\nd = {'k': [0]}\ninner = d['k']\nd['k'] *= 3\n"
        "return [xs, alias is xs, d, inner is d['k']]",
        [[1, 2, 1, 2], True, {"k": [0, 0, 0]}, True],
    ),
    (
        "n = 3\nn **= 2\nm = 1\nm <<= 4\nt = {'a': 2}\nt['a'] **= 10\ns = 'ab'\ns *= 2\n"
        "return [n, m, t, s]",
        [9, 16, {"a": 1024}, "abab"],
    ),
    (
        "a, b, s = 6, 7, 'ab'\nreturn [a * b, 2 * s, s * 2, a * 1.5, 0.5 * a, a ** 2, 2.0 ** -1,"
        " a ** -1, -2 ** 2, a << 2, pow(3, 4, 5), pow(2, -1, 7), 60 * 60, '-' * 3]",
        [42, "abab", "abab", 9.0, 3.0, 36, 0.5, 1 / 6, -4, 24, 1, 4, 3600, "---"],
    ),
    ("return len(str(2 ** 10000)) + len([0] * 10**6)", 3011 + 10**6),
    ("return [True * 'x', [1] * -5, 'ab' * 0]", ["x", [], ""]),
    (
        "import math\nreturn [math.factorial(20), math.comb(10**6, 2), math.perm(10, 3),"
        " math.prod([2, 3]), math.prod(range(1, 6), start=2), math.lcm(4, 6), math.perm(5)]",
        [2432902008176640000, 499999500000, 720, 6, 240, 12, 120],
    ),
    (
        "import re\nreturn [re.findall(r'(\\d{1,3}\\.)+', '1.2.3.'), re.split(',', 'a,b', 1),"
        " re.sub('a', 'b', 'aa', 1), re.subn('a', 'b', 'aa'), bool(re.search(r'(a++)+$', 'aab')),"
        " bool(re.fullmatch(r'(?>a+)+', 'aa')), re.match(r'x', 'X', re.I).group()]",
        [["3."], ["a", "b"], "ba", ("bb", 2), False, True, "X"],
    ),
    (
        "import json\nreturn json.dumps({'b': [1], 'a': None}, indent=1, sort_keys=True)",
        '{\n "a": null,\n "b": [\n  1\n ]\n}',
    ),
    (
        "import statistics\nreturn [statistics.mean(x for x in [1, 2, 3]), statistics.mode('aab'),"
        " statistics.fmean([1, 2], weights=[1, 3]), statistics.quantiles(range(10), n=4)]",
        [2, "a", 1.75, [1.75, 4.5, 7.25]],
    ),
    ("import textwrap\nreturn textwrap.fill('a b c', width=3, initial_indent='>')", ">a\nb c"),
    (
        "d = {'a': 1}\nfor i in range(3):\n    if i:\n        try:\n            d['a'] *= 2\n"
        "        finally:\n            pass\ndef f():\n    x = 3\n    def g():\n"
        "        nonlocal x\n        x **= 2\n    g()\n    return x\n"
        "while d['a'] < 10:\n    d['a'] <<= 1\n"
        "return [d, f()]",
        [{"a": 16}, 9],
    ),
]


def _outcome(snippet: str) -> SandboxViolation:
    try:
        run_snippet(snippet)
    except SandboxViolation as exc:
        return exc
    raise AssertionError(f"not refused: {snippet!r}")


def test_tables_are_big_enough() -> None:
    assert len(FORBIDDEN) >= 30
    assert len(ALLOWED) >= 20


@pytest.mark.parametrize(("snippet", "fragment"), FORBIDDEN)
def test_forbidden_snippet_is_refused(snippet: str, fragment: str) -> None:
    exc = _outcome(snippet)
    assert fragment in exc.message
    assert exc.line is not None
    assert exc.line >= 2


@pytest.mark.parametrize(("snippet", "expected"), ALLOWED)
def test_allowed_snippet_gives_its_value(snippet: str, expected: Any) -> None:
    assert run_snippet(snippet) == expected


def test_static_refusals_happen_at_compile_time_with_a_column() -> None:
    with pytest.raises(SandboxViolation) as info:
        compile_snippet("x = 1\ny = [x, x.__class__]")
    assert (info.value.line, info.value.column) == (3, 9)
    assert re.match(r"snippet\d+\.flow\.py:3:9: attribute `__class__`", str(info.value))


def test_several_violations_report_the_first_and_count_the_rest() -> None:
    with pytest.raises(SandboxViolation) as info:
        compile_snippet("import os\nimport sys")
    assert info.value.line == 2
    assert info.value.message.endswith("(and 1 more problem)")


def test_run_time_violation_points_at_the_script_line() -> None:
    with pytest.raises(SandboxViolation) as info:
        run_snippet('x = 1\n\ngetattr(x, "__class__")')
    assert info.value.line == 4
    assert info.value.path is not None
    assert info.value.path.endswith(".flow.py")


def test_a_script_may_shadow_a_missing_builtin_name() -> None:
    assert run_snippet("type = 'review'\nreturn type") == "review"


def test_print_goes_to_log() -> None:
    stubs = Stubs()
    run_snippet("print('a', 1, sep='-')\nprint()", stubs=stubs)
    assert stubs.logs == ["a-1", ""]


def test_print_checks_its_separator_like_python() -> None:
    with pytest.raises(TypeError, match="sep must be None or a string, not int"):
        run_snippet("print('a', sep=5)")


def test_augmented_item_assignment_evaluates_container_and_key_once() -> None:
    snippet = (
        "calls = []\nd = {'a': 1}\n"
        "def box():\n    calls.append('box')\n    return d\n"
        "def key():\n    calls.append('key')\n    return 'a'\n"
        "box()[key()] += 1\nbox()[key()] *= 3\nreturn [d, calls]"
    )
    assert run_snippet(snippet) == [{"a": 6}, ["box", "key", "box", "key"]]


def test_budget_attributes_are_allowed_only_for_the_budget_object() -> None:
    assert run_snippet("return budget.total", stubs=Stubs()) == Budget().total
    with pytest.raises(SandboxViolation, match=r"`\.used` is not available"):
        run_snippet("return budget.used")


def test_getattr_with_default_hides_unlisted_public_attributes() -> None:
    assert run_snippet("return getattr({}, 'text', 'fallback')") == "fallback"
    with pytest.raises(SandboxViolation, match=r"`\.gi_frame` is not available"):
        run_snippet("g = (i for i in [])\nreturn getattr(g, 'gi_frame', None)")


def test_item_deletion_goes_through_the_write_guard() -> None:
    assert run_snippet("xs = [1, 2, 3]\ndel xs[0]\nd = {'a': 1}\ndel d['a']\nreturn [xs, d]") == [
        [2, 3],
        {},
    ]
    with pytest.raises(SandboxViolation, match="items cannot be assigned on `tuple` values"):
        run_snippet("t = (1, 2)\ndel t[0]")


def test_nonlocal_names_are_checked() -> None:
    with pytest.raises(SandboxViolation, match="`_x` is not available"):
        compile_snippet("def f():\n    nonlocal _x")


KITCHEN_SINK = """
def deco(fn):
    def wrapped(*args, **kwargs):
        return ["wrapped", fn(*args, **kwargs)]
    return wrapped

@deco
def combine(a, /, b=2, *rest, c, d=4, **extra):
    return [a, b, rest, c, d, sorted(extra)]

async def agen(n):
    for i in range(n):
        yield i

out = []
out.append(combine(1, 3, 5, 6, c=7, z=0, y=1))
out.append([x async for x in agen(3)])
async for v in agen(2):
    out.append(-v)
out.append(1 if 2 > 1 else 0)
out.append({1, 2} | {3})
out.append([5 & 3, 5 | 3, 5 ^ 3, ~5, 1 << 3, 17 >> 2, 2 ** 10, 7 // 2, 7 % 3, -7 / 2])
out.append(1 < 2 < 3 and 3 not in [1] and None is not out)
assert out, "not empty"
tmp = [1]
del tmp
out.append({**{"a": 1}, "b": 2})
out.append([*range(3), *"ab"])
first, *_ = ["x", "y"]
out.append(first)
out.append({n: n * n for n in range(3) if n})
with_else = []
for i in range(2):
    pass
else:
    with_else.append("for-else")
while False:
    pass
else:
    with_else.append("while-else")
out.append(with_else)
try:
    raise ValueError("boom")
except (KeyError, ValueError) as err:
    out.append(err.args[0])
else:
    out.append("no error")
finally:
    out.append("finally")
return out
"""


def test_the_whole_language_surface_scripts_use_compiles_and_runs() -> None:
    assert run_snippet(KITCHEN_SINK) == [
        ["wrapped", [1, 3, (5, 6), 7, 4, ["y", "z"]]],
        [0, 1, 2],
        0,
        -1,
        1,
        {1, 2, 3},
        [1, 7, 6, -6, 8, 4, 1024, 3, 1, -3.5],
        True,
        {"a": 1, "b": 2},
        [0, 1, 2, "a", "b"],
        "x",
        {1: 1, 2: 4},
        ["for-else", "while-else"],
        "boom",
        "finally",
    ]


class OptedIn:
    """A library class that lets scripts read `visible` and assign items."""

    __sandbox_attrs__ = frozenset({"visible"})
    __sandbox_writable__ = True

    def __init__(self) -> None:
        self.visible = "yes"
        self.hidden = "no"
        self.items: dict[str, int] = {}

    def __setitem__(self, key: str, value: int) -> None:
        self.items[key] = value


def test_library_classes_opt_in_to_attribute_reads_and_item_writes() -> None:
    stubs = Stubs()
    value = OptedIn()
    stubs.args = value
    assert run_snippet("args['k'] = 1\nreturn args.visible", stubs=stubs) == "yes"
    assert value.items == {"k": 1}
    with pytest.raises(SandboxViolation, match=r"`\.hidden` is not available"):
        run_snippet("return args.hidden", stubs=stubs)


def test_json_errors_show_their_position() -> None:
    snippet = "import json\ntry:\n    json.loads('[1,')\nexcept ValueError as e:\n    return e.pos"
    assert run_snippet(snippet) == 3
