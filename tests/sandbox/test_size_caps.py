"""Size caps on single operations no tick can interrupt (flowdsl/_sandbox/_size_caps.py,
_regex_check.py)."""

from __future__ import annotations

import re
import types

import pytest

from flowdsl._sandbox import check_regex
from flowdsl._sandbox._size_caps import (
    MAX_INT_BITS,
    MAX_ITEMS,
    guarded_lshift,
    guarded_mul,
    guarded_pow,
)
from flowdsl.errors import SandboxViolation

from .conftest import CountingTick, Stop, compile_snippet, run_snippet


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


@pytest.mark.parametrize(
    ("snippet", "guard"),
    [
        ("x = 3\ny = x * 2", "_mul_"),
        ("x = 3\ny = 2 ** x", "_pow_"),
        ("x = 3\ny = 1 << x", "_lshift_"),
        ("x = 3\nx *= 2", "_imul_"),
        ("x = 3\nx **= 2", "_pow_"),
        ("y = 10 ** 10 ** 8", "_pow_"),
        ("y = 'ab' * 10 ** 8", "_mul_"),
    ],
)
def test_operators_that_can_build_huge_values_are_guarded(snippet: str, guard: str) -> None:
    assert guard in _names(compile_snippet(snippet).code)


def test_small_constant_operations_stay_native() -> None:
    code = compile_snippet("a = 60 * 60\nb = 2 ** 10\nc = '-' * 40\nd = 1 << 8\ne = 1.5 * 2").code
    assert not _names(code) & {"_mul_", "_pow_", "_lshift_"}


def test_other_operators_stay_native() -> None:
    code = compile_snippet("x = 3\ny = x + x - x // 2 % 3 / 1 >> 1 & 1 | 1 ^ 1\nx += 1").code
    assert not _names(code) & {"_mul_", "_imul_", "_pow_", "_lshift_"}


def test_int_caps_are_exact_at_the_limit() -> None:
    half = 1 << (MAX_INT_BITS // 2 - 1)  # MAX_INT_BITS // 2 bits each
    assert guarded_mul(half, half).bit_length() <= MAX_INT_BITS
    with pytest.raises(SandboxViolation, match="`\\*` is too big"):
        guarded_mul(half, half * 2)
    assert guarded_lshift(1, MAX_INT_BITS - 1).bit_length() == MAX_INT_BITS
    with pytest.raises(SandboxViolation, match="`<<` is too big"):
        guarded_lshift(1, MAX_INT_BITS)
    assert guarded_pow(2, MAX_INT_BITS).bit_length() == MAX_INT_BITS + 1
    with pytest.raises(SandboxViolation, match="is too big"):
        guarded_pow(2, MAX_INT_BITS + 1)


def test_sequence_repetition_cap_is_exact_at_the_limit() -> None:
    assert len(guarded_mul("ab", MAX_ITEMS // 2)) == MAX_ITEMS
    with pytest.raises(SandboxViolation, match="on a sequence is too big"):
        guarded_mul(MAX_ITEMS // 2 + 1, "ab")


def test_trivial_powers_of_huge_exponents_are_allowed() -> None:
    assert [guarded_pow(1, 10**30), guarded_pow(-1, 10**30 + 1), guarded_pow(0, 10**30)] == [
        1,
        -1,
        0,
    ]
    assert guarded_pow(2, -(10**30)) == 0.0
    assert guarded_pow(1.0001, 10**6) > 1


def test_guards_leave_other_types_to_python() -> None:
    with pytest.raises(TypeError):
        guarded_mul({}, 2)
    with pytest.raises(TypeError):
        guarded_lshift(1.0, 2)


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a+)+$",
        r"(a*)*b",
        r"(\w+\s?)*$",
        r"(?:x|y*)+z",
        r"(.*,)*$",
        r"((ab)*c)*",
        r"(?=(a+)+)b",
        r"(a+){2,}",
        r"(a+?)+?",
        r"(a|a)*b",
        r"(a|aa)*b",
        r"(?:ab|ab)+",
        r"(xy|z|xy)*",
    ],
)
def test_ambiguous_repeated_groups_are_refused(pattern: str) -> None:
    with pytest.raises(SandboxViolation, match="possessive"):
        check_regex(re.compile(pattern))


@pytest.mark.parametrize(
    "pattern",
    [
        r"\d+",
        r"(\d{1,3}\.){3}\d{1,3}",
        r"(\d{1,3}\.)+",
        r"(a++)+$",
        r"(?>a+)+$",
        r"[a-z]+@[a-z]+\.com",
        r"^(?:\s*#.*)?$",
        r"(a|b)+",
        r'"((?:[^"\\]|\\.)*)"',
        r"(?:foo|bar)*",
        r"(\w|\d)*",
        r"(?>a|aa)*b",
        r"(a|aa)*+b",
        r"(cat|dog)s?",
    ],
)
def test_ordinary_patterns_are_allowed(pattern: str) -> None:
    compiled = re.compile(pattern)
    assert check_regex(compiled) is compiled


def test_json_dumps_with_indent_ticks() -> None:
    tick = CountingTick(limit=100)
    with pytest.raises(Stop):
        run_snippet("import json\nreturn json.dumps(list(range(1000)), indent=1)", tick=tick)


def test_json_dumps_without_indent_is_the_c_encoder() -> None:
    tick = CountingTick()
    assert run_snippet("import json\nreturn json.dumps([1, 2], sort_keys=True)", tick=tick) == (
        "[1, 2]"
    )
    assert tick.calls == 0


def test_itertools_repeat_with_huge_times_ticks() -> None:
    with pytest.raises(Stop):
        run_snippet(
            "import itertools\nreturn sum(itertools.repeat(1, 10**9))", tick=CountingTick(limit=100)
        )


def test_statistics_consumes_generators_once() -> None:
    assert run_snippet("import statistics\nreturn statistics.median(x for x in [3, 1, 2])") == 2


def test_limit_violations_are_ordinary_errors_a_script_may_catch() -> None:
    snippet = "try:\n    x = 'a' * 10**9\nexcept Exception as e:\n    return 'caught'\nreturn x"
    assert run_snippet(snippet) == "caught"
