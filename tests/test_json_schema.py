"""Agent schemas have no hidden powers: local references only, caps, fixed-text errors."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from flowdsl._json_schema import (
    MAX_PATTERN_LENGTH,
    MAX_SCHEMA_BYTES,
    MAX_SCHEMA_DEPTH,
    check_output,
    output_errors,
    schema_key,
    schema_validator,
)
from flowdsl._regex_safety import BACKTRACKING_HINT
from flowdsl.errors import SchemaError

SECRET = "hunter2-SECRET-do-not-echo"
OUTSIDE = ("agent schema {} must point inside the schema "
           "(a '#...' reference, or an $id the schema defines)")
NOT_JSON = ("agent schema is not JSON (only objects with string keys, arrays, strings, numbers, "
            "booleans and null)")
OUTPUT_NOT_JSON = ("output is not JSON data (only objects with string keys, arrays, strings, "
                   "numbers, booleans and null)")
TOO_DEEP = f"agent schema is nested deeper than {MAX_SCHEMA_DEPTH} levels"
TOO_LARGE = f"agent schema is larger than {MAX_SCHEMA_BYTES:,} bytes of JSON"
SELF_REFERENCE = "output could not be checked against the schema: the schema refers to itself " \
                 "without end"
UNRESOLVED = "output could not be checked against the schema: a reference cannot be resolved " \
             "inside the schema"
TOO_COSTLY = "output could not be checked against the schema: it takes more than 100,000 " \
             "validation steps"


# -- no retrieval: an audit hook sees every file open and network request -----------------
_WATCHING: list[list[str]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _WATCHING and event in ("open", "urllib.Request", "socket.connect", "socket.getaddrinfo"):
        _WATCHING[-1].append(f"{event} {args[0]!r}"[:300])


@pytest.fixture(scope="module")
def _audit_hook() -> None:
    if not getattr(sys, "_flowdsl_schema_audit", False):
        sys.addaudithook(_audit)  # hooks cannot be removed; it records only while watching
        sys._flowdsl_schema_audit = True  # type: ignore[attr-defined]


@pytest.fixture
def reads(_audit_hook: None) -> Iterator[list[str]]:
    """Every file open and network request made while the test runs."""
    seen: list[str] = []
    _WATCHING.append(seen)
    yield seen
    _WATCHING.remove(seen)


@pytest.fixture
def secret_file(tmp_path: Path) -> str:
    path = tmp_path / "creds.json"
    path.write_text(json.dumps({"token": SECRET, "nope": {"type": "string"}}), encoding="utf-8")
    return path.as_uri()


def _refusal(schema: Any) -> str:
    with pytest.raises(SchemaError) as caught:
        schema_validator(schema)
    return str(caught.value)


# -- references ---------------------------------------------------------------------------
def test_the_spy_sees_stock_jsonschema_read_a_referenced_file(
    secret_file: str, reads: list[str],
) -> None:
    # the attack being closed: stock jsonschema retrieves file:// refs while validating
    validator = jsonschema.Draft202012Validator({"$ref": secret_file + "#/nope"})
    with pytest.warns(DeprecationWarning, match="remote references"):
        assert validator.is_valid(1) is False  # "#/nope" is {"type": "string"} in the file
    assert [r for r in reads if "creds.json" in r]


@pytest.mark.parametrize(("make", "keyword"), [
    (lambda f: {"$ref": f + "#/nope"}, "$ref"),
    (lambda f: {"$ref": f}, "$ref"),
    (lambda f: {"properties": {"a": {"$ref": f + "#/token"}}}, "$ref"),
    (lambda f: {"propertyNames": {"$ref": f}}, "$ref"),
    (lambda f: {"$defs": {"x": {"$dynamicRef": f + "#/nope"}}}, "$dynamicRef"),
    (lambda f: {"$id": "http://example.com/a.json", "$ref": f}, "$ref"),
])
def test_a_file_reference_is_refused_without_reading_the_file(
    make: Any, keyword: str, secret_file: str, reads: list[str],
) -> None:
    message = _refusal(make(secret_file))
    assert message == OUTSIDE.format(keyword)
    assert not [r for r in reads if "creds.json" in r]


@pytest.mark.parametrize("schema", [
    {"$ref": "http://127.0.0.1:9/schema.json"},
    {"$ref": "https://json-schema.org/draft/2020-12/schema"},
    {"items": {"$ref": "//example.com/x#/a"}},
    {"$ref": "other.json#/a"},
    {"$id": "http://example.com/a.json", "$ref": "b.json"},
    {"$defs": {"a": {"$dynamicRef": "http://example.com/x#meta"}}},
    {"$schema": "http://json-schema.org/draft-07/schema#", "$ref": "http://example.com/x"},
])
def test_a_reference_outside_the_schema_is_refused_without_network(
    schema: dict[str, Any], reads: list[str],
) -> None:
    message = _refusal(schema)
    assert message in {OUTSIDE.format("$ref"), OUTSIDE.format("$dynamicRef")}
    assert not [r for r in reads if not r.startswith("open")]


@pytest.mark.parametrize(("schema", "good", "bad"), [
    ({"$ref": "#/$defs/n", "$defs": {"n": {"type": "integer"}}}, 1, "x"),
    ({"$id": "urn:flow:a", "$defs": {"n": {"type": "integer"}}, "$ref": "urn:flow:a#/$defs/n"},
     1, "x"),
    ({"$id": "http://example.com/root.json",
      "$defs": {"n": {"$id": "n.json", "type": "integer"}}, "$ref": "n.json"}, 1, "x"),
    ({"$defs": {"n": {"$anchor": "num", "type": "integer"}}, "$ref": "#num"}, 1, "x"),
    ({"type": "array", "items": {"$ref": "#"}}, [[], [[]]], [1]),
])
def test_references_inside_the_schema_resolve(schema: dict[str, Any], good: Any, bad: Any) -> None:
    validator = schema_validator(schema)
    assert check_output(validator, good) is None
    assert check_output(validator, bad) is not None


def test_a_reference_the_check_lets_through_is_still_never_retrieved(
    secret_file: str, reads: list[str],
) -> None:
    # an $id inside const data is not a schema resource: resolving falls to retrieval
    schema = {"$defs": {"d": {"const": {"$id": secret_file}}}, "$ref": secret_file + "#/nope"}
    problem = check_output(schema_validator(schema), 1)
    assert problem == UNRESOLVED
    assert not [r for r in reads if "creds.json" in r]


@pytest.mark.parametrize("dialect", [
    "http://127.0.0.1:9/unknown-dialect", "file:///etc/passwd", "urn:nothing",
])
def test_an_unknown_dialect_falls_back_to_2020_12_without_retrieval(
    dialect: str, reads: list[str],
) -> None:
    validator = schema_validator({"$schema": dialect, "type": "integer"})
    assert check_output(validator, 1) is None
    assert check_output(validator, "x") == "output does not match the schema at $: 'type'"
    assert not [r for r in reads if not r.startswith("open") or "passwd" in r]


@pytest.mark.parametrize(("schema", "problem"), [
    ({"$ref": "#"}, SELF_REFERENCE),
    ({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},
     SELF_REFERENCE),
    ({"$ref": "#/nope"}, UNRESOLVED),
    ({"$ref": "#nope"}, UNRESOLVED),
])
def test_a_reference_that_cannot_be_followed_gives_fixed_text(
    schema: dict[str, Any], problem: str,
) -> None:
    assert check_output(schema_validator(schema), {"a": SECRET}) == problem


# -- size and depth -----------------------------------------------------------------------
def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer"}
    for _ in range(levels - 1):
        schema = {"not": schema}
    return schema


def _padded(size: int) -> dict[str, Any]:
    return {"description": "x" * (size - len('{"description":""}'))}


# Big test data is made inside each test (factories), so none of it outlives its test.
@pytest.mark.parametrize(("make", "message"), [
    (lambda: _nested(MAX_SCHEMA_DEPTH), None),
    (lambda: _nested(MAX_SCHEMA_DEPTH + 1), TOO_DEEP),
    (lambda: {"allOf": [_nested(MAX_SCHEMA_DEPTH - 2)]}, None),
    (lambda: {"allOf": [_nested(MAX_SCHEMA_DEPTH - 1)]}, TOO_DEEP),
    (lambda: _padded(MAX_SCHEMA_BYTES), None),
    (lambda: _padded(MAX_SCHEMA_BYTES + 1), TOO_LARGE),
    (lambda: {"enum": list(range(40_000))}, TOO_LARGE),
    (lambda: {"description": "x" * 10**8}, TOO_LARGE),
], ids=["depth-cap", "depth-over", "list-depth-cap", "list-depth-over", "size-cap", "size-over",
        "wide", "long-string"])
def test_schema_size_and_depth_caps(make: Callable[[], Any], message: str | None) -> None:
    schema = make()
    if message is None:
        schema_validator(schema)
    else:
        assert _refusal(schema) == message


def _deep_dict(levels: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    node = root
    for _ in range(levels):
        node["not"] = {}
        node = node["not"]
    return root


def _cycle() -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object"}
    schema["properties"] = {"self": schema}
    return schema


def _deep_list(levels: int) -> Any:
    value: Any = []
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("make", [
    lambda: _deep_dict(10**5), _cycle, lambda: {"enum": [_deep_list(10**5)]},
], ids=["deep", "cycle", "deep-data"])
def test_a_very_deep_schema_is_refused_quickly_without_recursion(
    make: Callable[[], Any],
) -> None:
    schema = make()
    started = time.perf_counter()
    assert _refusal(schema) == TOO_DEEP
    with pytest.raises(SchemaError, match="nested deeper"):
        schema_key(schema)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("schema", [
    {"enum": [{1, 2}]},
    {"maximum": float("nan")},
    {"minimum": float("inf")},
    {"properties": {1: {}, "a": {}}},
    {"const": object()},
    {"const": 10**5000},
])
def test_a_schema_that_is_not_json_gives_fixed_text(schema: dict[str, Any]) -> None:
    assert _refusal(schema) == NOT_JSON


@pytest.mark.parametrize("schema", [["type", "string"], "string", True, None])
def test_a_schema_that_is_not_an_object_is_refused(schema: Any) -> None:
    assert _refusal(schema) == f"agent schema must be a JSON Schema object, not " \
                               f"{type(schema).__name__}"


@pytest.mark.parametrize(("schema", "keyword"), [
    ({"type": SECRET}, "type"),
    ({"properties": {SECRET: {"minLength": SECRET}}}, "minLength"),
    ({"required": [SECRET, SECRET]}, "required"),
    ({"$defs": {"a": {"enum": SECRET}}}, "enum"),
    ({"$id": 12}, "$id"),
])
def test_an_invalid_schema_names_the_keyword_but_no_value(
    schema: dict[str, Any], keyword: str,
) -> None:
    assert _refusal(schema) == f"agent schema is not a valid JSON Schema (see its {keyword!r} " \
                               "keyword)"


@pytest.mark.parametrize("schema", [
    {"$ref": "http://[::1"},
    {"$id": "http://[::1", "type": "string"},
    {"pattern": 5},
    {"patternProperties": {"(": {}}},
    {"$schema": "http://json-schema.org/draft-04/schema#", "id": "http://[x", "$ref": "a"},
    {"items": [{"type": "string"}], "additionalItems": {"$ref": SECRET}},
    {"dependentSchemas": {"a": {"$recursiveRef": "x"}}},
])
def test_only_schema_error_comes_out_and_it_echoes_nothing(schema: dict[str, Any]) -> None:
    message = _refusal(schema)
    assert SECRET not in message
    assert "[::1" not in message
    assert "[x" not in message


# -- patterns -----------------------------------------------------------------------------
CATASTROPHIC = "^(a+)+$"


@pytest.mark.parametrize(("schema", "keyword"), [
    ({"pattern": CATASTROPHIC}, "pattern"),
    ({"patternProperties": {CATASTROPHIC: {}}}, "patternProperties"),
    ({"propertyNames": {"pattern": CATASTROPHIC}}, "pattern"),
    ({"additionalProperties": {"pattern": CATASTROPHIC}}, "pattern"),
    ({"items": {"anyOf": [{}, {"not": {"pattern": CATASTROPHIC}}]}}, "pattern"),
    ({"$defs": {"a": {"dependentSchemas": {"b": {"pattern": CATASTROPHIC}}}}}, "pattern"),
    ({"contains": {"propertyNames": {"pattern": CATASTROPHIC}}}, "pattern"),
    ({"if": {"pattern": "(x|x)*"}, "then": {}}, "pattern"),
])
def test_a_catastrophic_pattern_is_refused_wherever_it_sits(
    schema: dict[str, Any], keyword: str,
) -> None:
    message = _refusal(schema)
    assert message == f"agent schema {keyword} is refused: {BACKTRACKING_HINT}"


@pytest.mark.parametrize(("pattern", "message"), [
    ("a" * (MAX_PATTERN_LENGTH + 1),
     f"agent schema pattern is longer than {MAX_PATTERN_LENGTH:,} characters"),
    ("(" + SECRET, "agent schema pattern is not a valid regular expression"),
    ("(?P<" + SECRET + ">", "agent schema pattern is not a valid regular expression"),
])
def test_a_long_or_invalid_pattern_is_refused(pattern: str, message: str) -> None:
    assert _refusal({"pattern": pattern}) == message


def test_a_pattern_at_the_length_cap_is_accepted() -> None:
    validator = schema_validator({"pattern": "^" + "a" * (MAX_PATTERN_LENGTH - 1)})
    assert check_output(validator, "a" * MAX_PATTERN_LENGTH) is None


def test_format_is_not_asserted_so_format_regex_compiles_nothing() -> None:
    validator = schema_validator({"type": "string", "format": "regex"})
    assert validator.format_checker is None
    assert check_output(validator, "(" * 10_000) is None


# -- check_output -------------------------------------------------------------------------
ITEMS = {"type": "object", "properties": {"items": {"type": "array",
                                                    "items": {"type": "integer"}}}}


@pytest.mark.parametrize(("schema", "output", "problem"), [
    (ITEMS, {"items": [1, 2]}, None),
    (ITEMS, {"items": [1, 2, 3, SECRET]}, "output does not match the schema at $.items[3]: 'type'"),
    ({"required": ["a"]}, {"b": SECRET}, "output does not match the schema at $: 'required'"),
    ({"additionalProperties": {"type": "integer"}}, {SECRET + " !": "x"},
     "output does not match the schema at $[?]: 'type'"),
    ({"additionalProperties": False}, {SECRET: 1},
     "output does not match the schema at $: 'additionalProperties'"),
    ({"properties": {"a": False}}, {"a": SECRET}, "output does not match the schema at $: 'false'"),
    ({"enum": ["a"]}, SECRET, "output does not match the schema at $: 'enum'"),
    ({"const": {"k": "v"}}, {"k": SECRET}, "output does not match the schema at $: 'const'"),
])
def test_check_output_names_the_path_and_keyword_only(
    schema: dict[str, Any], output: Any, problem: str | None,
) -> None:
    assert check_output(schema_validator(schema), output) == problem


def _exponential_refs(levels: int) -> dict[str, Any]:
    defs = {f"d{i}": {"anyOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]}
            for i in range(levels)}
    defs[f"d{levels}"] = {"type": "string"}
    return {"$defs": defs, "$ref": "#/$defs/d0"}


class _Loud:
    def __eq__(self, other: object) -> bool:
        raise RuntimeError(SECRET)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return SECRET


def _deep_secret(levels: int) -> Any:
    value: Any = [SECRET]
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(("schema", "make", "problem"), [
    ({"type": "array", "items": {"$ref": "#"}}, lambda: _deep_list(10**5),
     "output is nested deeper than 100 levels: too deep to check against the schema"),
    ({}, lambda: _deep_secret(10**5),
     "output is nested deeper than 100 levels: too deep to check against the schema"),
    ({"type": "array", "uniqueItems": True},
     lambda: [{"k": i, "s": SECRET} for i in range(20_000)], None),
    ({"type": "array", "uniqueItems": True},
     lambda: [{"k": i} for i in range(20_000)] + [{"k": 0}],
     "output does not match the schema at $: 'uniqueItems'"),
    ({"uniqueItems": True}, lambda: [[i, SECRET] for i in range(10**6)], TOO_COSTLY),
    ({}, lambda: {SECRET, 1}, OUTPUT_NOT_JSON),
    ({}, lambda: {"a": [_Loud()]}, OUTPUT_NOT_JSON),
    ({}, lambda: {1: SECRET}, OUTPUT_NOT_JSON),
    ({}, lambda: (SECRET,), None),
    ({"type": "string"}, lambda: SECRET * 400_000,
     "output is larger than 8,388,608 bytes of JSON: too large to check against the schema"),
    (_exponential_refs(40), lambda: 1, TOO_COSTLY),
    ({"type": "array", "items": {"enum": [*range(4999), SECRET]}}, lambda: [SECRET] * 5000,
     TOO_COSTLY),
    ({"patternProperties": {f"^k{i}$": {} for i in range(2000)}},
     lambda: {f"x{i}": SECRET for i in range(50_000)}, TOO_COSTLY),
    ({"multipleOf": 1e-308}, lambda: 1e308,
     "output does not match the schema at $: 'multipleOf'"),
], ids=["deep", "deep-secret", "unique", "duplicate", "unique-huge", "set", "object",
        "int-key", "tuple", "huge-string", "exponential", "enum", "pattern-keys", "overflow"])
def test_check_output_never_raises_echoes_or_hangs(
    schema: dict[str, Any], make: Callable[[], Any], problem: str | None,
) -> None:
    output = make()
    validator = schema_validator(schema)
    started = time.perf_counter()
    assert check_output(validator, output) == problem
    assert time.perf_counter() - started < 10


def test_a_nested_schema_keyword_does_not_escape_the_safe_validator() -> None:
    # jsonschema switches to the stock class of a subschema's $schema (quadratic uniqueItems)
    schema = {"type": "array", "items": {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "uniqueItems": True}}
    output = [[{"k": i} for i in range(20_000)]]
    started = time.perf_counter()
    assert check_output(schema_validator(schema), output) is None
    assert time.perf_counter() - started < 5


def test_checking_an_old_dialect_schema_compares_enum_items_in_linear_time() -> None:
    # the draft-04 meta-schema asks for unique enum items
    schema = {"$schema": "http://json-schema.org/draft-04/schema#",
              "enum": [{"k": i} for i in range(6000)]}
    started = time.perf_counter()
    schema_validator(schema)
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(("items", "unique"), [
    ([1, 1.0], False),
    ([1, True], True),
    ([0, False], True),
    ([{"a": 1}, {"a": 1.0}], False),
    ([{"a": 1}, {"a": True}], True),
    ([[1, [2]], [1, [2]]], False),
    ([[1], (1,)], False),
    (["1", 1], True),
    ([None, None], False),
])
def test_unique_items_agrees_with_jsonschema(items: list[Any], unique: bool) -> None:
    schema = {"uniqueItems": True}
    assert jsonschema.Draft202012Validator(schema).is_valid(items) is unique
    assert (check_output(schema_validator(schema), items) is None) is unique


def test_check_output_caps_are_keywords() -> None:
    validator = schema_validator({"type": "array"})
    assert check_output(validator, [1] * 100, max_bytes=50) == \
        "output is larger than 50 bytes of JSON: too large to check against the schema"
    assert check_output(validator, [[[]]], max_depth=2) == \
        "output is nested deeper than 2 levels: too deep to check against the schema"
    assert check_output(validator, list(range(100)), max_steps=10) == \
        "output could not be checked against the schema: it takes more than 10 validation steps"


# -- output_errors (feedback for the model that wrote the output) -------------------------
def test_output_errors_quotes_values_for_the_model() -> None:
    errors = output_errors(schema_validator(ITEMS), {"items": [1, "no", "nope"]})
    assert errors == ["$.items[1]: 'no' is not of type 'integer'",
                      "$.items[2]: 'nope' is not of type 'integer'"]


def test_output_errors_are_cut_short_and_limited() -> None:
    validator = schema_validator({"type": "array", "items": {"type": "integer"}})
    errors = output_errors(validator, ["x" * 10_000] * 20, limit=3)
    assert len(errors) == 3
    assert all(len(e) <= 301 for e in errors)


@pytest.mark.parametrize(("schema", "output", "errors"), [
    ({"$ref": "#"}, 1, [SELF_REFERENCE]),
    ({}, {SECRET, 1}, [OUTPUT_NOT_JSON]),
    ({}, {"a": 1}, []),
])
def test_output_errors_never_raise(schema: dict[str, Any], output: Any, errors: list[str]) -> None:
    assert output_errors(schema_validator(schema), output) == errors
