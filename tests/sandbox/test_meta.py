"""The leading `meta` literal: read without executing, validated with positions."""

from __future__ import annotations

import pytest

from flowdsl._sandbox import LineMap, compile_python
from flowdsl.errors import MetaError

BODY = "\nreturn 1\n"


def _meta_error(source: str) -> MetaError:
    with pytest.raises(MetaError) as info:
        compile_python(source, "m.flow.py")
    return info.value


def test_valid_meta_is_read_with_every_key_kept() -> None:
    source = (
        'meta = {"name": "review", "description": "Review files",\n'
        '        "whenToUse": "PRs", "phases": [{"title": "Review", "model": "small"},\n'
        '                                      {"title": "Sum", "detail": "d"}],\n'
        '        "version": 2, "tags": ("a", "b"), "limits": {"n": -1, "x": None}}'
    ) + BODY
    meta = compile_python(source, "m.flow.py").meta
    assert meta == {
        "name": "review",
        "description": "Review files",
        "whenToUse": "PRs",
        "phases": [{"title": "Review", "model": "small"}, {"title": "Sum", "detail": "d"}],
        "version": 2,
        "tags": ["a", "b"],
        "limits": {"n": -1, "x": None},
    }


def test_meta_is_not_executed_by_reading_it() -> None:
    # The body is not run by compile_python: a failing body compiles fine.
    compiled = compile_python('meta = {"name": "n", "description": "d"}\n1 / 0', "m.flow.py")
    assert compiled.meta["name"] == "n"


def test_meta_is_a_copy_per_compile() -> None:
    source = 'meta = {"name": "n", "description": "d", "phases": [{"title": "a"}]}' + BODY
    first = compile_python(source, "m.flow.py")
    first.meta["phases"].append("mutated")
    assert compile_python(source, "m.flow.py").meta["phases"] == [{"title": "a"}]


@pytest.mark.parametrize(
    ("source", "position", "fragment"),
    [
        ("x = 1\n", (1, 1), "the script must start with `meta = {...}`"),
        ("\n\n", (4, 1), "the script must start with `meta = {...}`"),
        ('x = 1\nmeta = {"name": "n", "description": "d"}', (1, 1), "must be the first statement"),
        ("meta = [1]", (1, 8), "`meta` must be a dict literal"),
        ('meta = {"name": NAME, "description": "d"}', (1, 17), "found a name"),
        ('meta = {"name": str(1), "description": "d"}', (1, 17), "found a call"),
        ('meta = {"name": f"n{1}", "description": "d"}', (1, 17), "found an f-string"),
        (
            'meta = {"name": "n",\n  "description": [c for c in "ab"]}',
            (2, 18),
            "found a comprehension",
        ),
        ('meta = {"name": "n", "description": "d" + "e"}', (1, 37), "an operator expression"),
        ('meta = {"name": "n", "description": "d", **extra}', (1, 44), "`**` unpacking"),
        ('meta = {"name": "n", "description": "d", 1: 2}', (1, 42), "keys must be string"),
        ('meta = {"name": "n", "name": "m", "description": "d"}', (1, 22), "duplicate key"),
        ('meta = {"name": "n", "description": b"d"}', (1, 37), "must be JSON-like"),
        ('meta = {"description": "d"}', (1, 8), "missing the required key 'name'"),
        ('meta = {"name": "", "description": "d"}', (1, 17), "`meta['name']` must be a non-empty"),
        ('meta = {"name": "  ", "description": "d"}', (1, 17), "non-empty string"),
        ('meta = {"name": 3, "description": "d"}', (1, 17), "`meta['name']` must be a non-empty"),
        ('meta = {"name": "n"}', (1, 8), "missing the required key 'description'"),
        (
            'meta = {"name": "n", "description": "d", "whenToUse": 1}',
            (1, 55),
            "`meta['whenToUse']` must be a string",
        ),
        (
            'meta = {"name": "n", "description": "d", "phases": {"title": "a"}}',
            (1, 52),
            "`meta['phases']` must be a list",
        ),
        (
            'meta = {"name": "n", "description": "d", "phases": ["a"]}',
            (1, 53),
            "`meta['phases'][0]` must be a dict",
        ),
        (
            'meta = {"name": "n", "description": "d",\n  "phases": [{"title": "a"}, {}]}',
            (2, 30),
            "`meta['phases'][1]` is missing the required key 'title'",
        ),
        (
            'meta = {"name": "n", "description": "d", "phases": [{"title": "a", "model": 1}]}',
            (1, 77),
            "`meta['phases'][0]['model']` must be a string",
        ),
        ('meta: dict = {"name": "n", "description": "d"}', (1, 1), "must start with `meta"),
        ('meta = other = {"name": "n", "description": "d"}', (1, 1), "must start with `meta"),
    ],
)
def test_meta_violation_is_reported_at_its_position(
    source: str, position: tuple[int, int], fragment: str
) -> None:
    exc = _meta_error(source + BODY)
    assert (exc.line, exc.column) == position
    assert fragment in exc.message
    assert str(exc).startswith(f"m.flow.py:{position[0]}:{position[1]}: ")


def test_an_empty_script_is_a_meta_error() -> None:
    exc = _meta_error("")
    assert (exc.line, exc.column) == (1, 1)
    assert "the script is empty" in exc.message


def test_columns_count_characters_not_bytes() -> None:
    exc = _meta_error('meta = {"name": "é", "description": NOPE}' + BODY)
    assert (exc.line, exc.column) == (1, 37)


def test_line_map_maps_meta_errors_to_the_original_script() -> None:
    with pytest.raises(MetaError) as info:
        compile_python(
            'meta = {"name": 1, "description": "d"}' + BODY,
            "w.js",
            line_map=LineMap({1: (3, 5)}),
        )
    assert (info.value.line, info.value.column) == (3, 5)
