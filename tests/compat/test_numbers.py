"""JS number semantics: number-to-string, arithmetic, toFixed, parsing, Math.round."""

from __future__ import annotations

import math

import pytest

from compat._jsrt import Math, js_add, js_div, js_mod, js_mul, js_str, js_sub, parseFloat, parseInt
from compat._jsrt._numbers import number_to_string, string_to_number, to_fixed


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.5, "3.5"), (4.0, "4"), (0.1 + 0.2, "0.30000000000000004"), (1e21, "1e+21"),
        (1e20, "100000000000000000000"), (1e-7, "1e-7"), (0.000001, "0.000001"),
        (-0.0, "0"), (math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"),
        (123e-20, "1.23e-18"), (5e-324, "5e-324"), (2**53 + 2, "9007199254740994"),
        (1.5e300, "1.5e+300"), (-12.25, "-12.25"), (100, "100"),
    ],
)
def test_number_to_string_matches_js(value: float, text: str) -> None:
    assert number_to_string(value) == text


def test_division_gives_ints_when_integral() -> None:
    assert js_str(js_div(7, 2)) == "3.5"
    assert js_div(8, 2) == 4
    assert type(js_div(8, 2)) is int
    assert js_div(1, 0) == math.inf
    assert js_div(-1, 0) == -math.inf
    assert math.isnan(js_div(0, 0))


def test_plus_coerces_like_js() -> None:
    assert js_add(1, "2") == "12"
    assert js_add(True, 1) == 2
    assert js_add(None, 1) == 1
    assert js_add([1, 2], [3]) == "1,23"
    assert js_add("x", {}) == "x[object Object]"
    assert js_sub("5", 2) == 3
    assert js_mul("5", "2") == 10


def test_remainder_keeps_the_dividend_sign() -> None:
    assert js_mod(-7, 3) == -1
    assert js_mod(7, -3) == 1
    assert js_mod(5.5, 2) == 1.5
    assert math.isnan(js_mod(1, 0))


def test_large_integers_become_doubles() -> None:
    assert js_add(2**53, 1) == 2**53  # 2**53 + 1 is not representable
    assert type(js_mul(2**40, 2**40)) is float


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [(1.005, 2, "1.00"), (2.5, 0, "3"), (-2.5, 0, "-3"), (1.45, 1, "1.4"), (0.5, 0, "1"),
     (-0.0001, 2, "-0.00"), (-0.0, 2, "0.00"), (1e21, 2, "1e+21"), (10, 3, "10.000")],
)
def test_to_fixed_rounds_the_exact_value_half_up(value: float, digits: int, text: str) -> None:
    assert to_fixed(value, digits) == text


def test_math_round_rounds_half_towards_positive_infinity() -> None:
    round_ = Math.members["round"]
    assert [round_(2.5), round_(-2.5), round_(0.49999999999999994)] == [3, -2, 0]
    assert math.copysign(1, round_(-0.4)) == -1


@pytest.mark.parametrize(
    ("text", "value"),
    [("", 0), (" 12 ", 12), ("0x1f", 31), ("1e3", 1000), ("Infinity", math.inf), ("1_000", None),
     ("12px", None), ("inf", None), ("nan", None), (".5", 0.5)],
)
def test_string_to_number(text: str, value: float | None) -> None:
    result = string_to_number(text)
    if value is None:
        assert math.isnan(result)
    else:
        assert result == value


def test_parse_int_and_parse_float_take_prefixes() -> None:
    assert parseInt("42px") == 42
    assert parseInt("0x1f") == 31
    assert parseInt("101", 2) == 5
    assert math.isnan(parseInt("px"))
    assert parseFloat("3.14abc") == 3.14
    assert parseFloat("-Infinityx") == -math.inf
