"""Equality, truthiness, typeof, sort, JSON.stringify/parse, RegExp translation."""

from __future__ import annotations

import math

import pytest

from compat._jsrt import (
    JSON,
    Object,
    js_call,
    js_eq,
    js_get,
    js_loose_eq,
    js_regexp,
    js_set,
    js_truthy,
    js_typeof,
    undefined,
)
from compat._jsrt._values import JSSyntaxError, JSTypeError

stringify = JSON.members["stringify"]
parse = JSON.members["parse"]


def test_strict_and_loose_equality() -> None:
    assert js_eq(1, 1.0)
    assert not js_eq(1, True)
    assert not js_eq(1, "1")
    assert js_loose_eq(1, "1")
    assert js_loose_eq(None, undefined)
    assert js_loose_eq(0, False)
    assert not js_loose_eq(None, 0)
    assert not js_eq(math.nan, math.nan)
    a: list[int] = []
    assert js_eq(a, a)
    assert not js_eq([], [])


@pytest.mark.parametrize("value", [0, -0.0, "", None, undefined, math.nan, False])
def test_falsy_values(value: object) -> None:
    assert not js_truthy(value)


@pytest.mark.parametrize("value", [[], {}, "0", " ", 1, -1, math.inf, True])
def test_truthy_values(value: object) -> None:
    assert js_truthy(value)


def test_typeof() -> None:
    assert [js_typeof(v) for v in (undefined, None, True, 1, 1.5, "s", [], {}, len)] == [
        "undefined", "object", "boolean", "number", "number", "string", "object", "object",
        "function"]


def test_default_sort_compares_strings() -> None:
    assert js_call([10, 9, 1, 100], "sort") == [1, 10, 100, 9]
    assert js_call([3, undefined, 1], "sort") == [1, 3, undefined]
    assert js_call([10, 9, 1], "sort", lambda a, b, *_: a - b) == [1, 9, 10]


def test_json_stringify_spacing_and_undefined() -> None:
    value = {"b": 1, "2": [1, undefined], "a": {"x": undefined}, "n": math.nan}
    assert stringify(value) == '{"2":[1,null],"b":1,"a":{},"n":null}'
    assert stringify([1, {"k": "v"}], None, 2) == '[\n  1,\n  {\n    "k": "v"\n  }\n]'
    assert stringify(undefined) is undefined
    assert stringify({"a": 1.5e300, "b": 1e-7}) == '{"a":1.5e+300,"b":1e-7}'


def test_json_parse_throws_syntax_error() -> None:
    assert parse('{"a": [1, 2.0]}') == {"a": [1, 2]}
    with pytest.raises(JSSyntaxError, match="is not valid JSON"):
        parse("agent:abc")
    with pytest.raises(JSSyntaxError, match="Unexpected end of JSON input"):
        parse("")
    with pytest.raises(JSSyntaxError):
        parse("NaN")


def test_regexp_translation_keeps_js_meaning() -> None:
    assert js_call(js_regexp(r"^\d+$", ""), "test", "١٢") is False  # \d is ASCII in JS
    assert js_call(js_regexp(r"a.c", ""), "test", "a\rc") is False
    assert js_call(js_regexp(r"a$", ""), "test", "a\n") is False
    assert js_call(js_regexp(r"^b", "m"), "test", "a\nb") is True
    match = js_call(js_regexp(r"(?<y>\d{4})-(?<m>\d\d)", ""), "exec", "on 2024-05")
    assert js_get(js_get(match, "groups"), "y") == "2024"
    assert js_get(match, "index") == 3
    assert js_call("a1b22", "replace", js_regexp(r"\d+", "g"), "[$&]") == "a[1]b[22]"
    assert js_call("abc", "split", js_regexp("", "")) == ["a", "b", "c"]


def test_property_access_on_null_is_a_type_error() -> None:
    with pytest.raises(JSTypeError, match=r"Cannot read properties of null \(reading 'x'\)"):
        js_get(None, "x")
    with pytest.raises(JSTypeError, match="Cannot set properties of undefined"):
        js_set(undefined, "x", 1)


def test_object_keys_put_array_indices_first() -> None:
    obj: dict[str, object] = {}
    for key in ("b", "10", "a", "2", "01"):
        js_set(obj, key, 1)
    assert js_call(Object, "keys", obj) == ["2", "10", "b", "a", "01"]


def test_python_internals_are_not_reachable() -> None:
    assert js_get({}, "__class__") is undefined
    assert js_get([], "__class__") is undefined
    assert js_get("s", "__class__") is undefined
    assert js_get(len, "__globals__") is undefined
