"""Compiled code is cached by source hash (and path, language)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flowdsl._sandbox import compile_python
from flowdsl._sandbox._compile import CACHE

SOURCE = 'meta = {"name": "c", "description": "d"}\nreturn 1\n'


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    CACHE.clear()
    yield
    CACHE.clear()


def test_same_source_compiles_once() -> None:
    first = compile_python(SOURCE, "c.flow.py")
    second = compile_python(SOURCE, "c.flow.py")
    assert second.code is first.code
    assert (CACHE.misses, CACHE.hits) == (1, 1)


def test_different_source_recompiles() -> None:
    first = compile_python(SOURCE, "c.flow.py")
    second = compile_python(SOURCE.replace("return 1", "return 2"), "c.flow.py")
    assert second.code is not first.code
    assert (CACHE.misses, CACHE.hits) == (2, 0)


def test_path_and_language_are_part_of_the_key() -> None:
    first = compile_python(SOURCE, "c.flow.py")
    assert compile_python(SOURCE, "other.flow.py").code is not first.code
    assert compile_python(SOURCE, "c.flow.py", language="javascript").code is not first.code
    assert CACHE.misses == 3


def test_cache_hit_keeps_the_callers_line_map_and_display_source() -> None:
    compile_python(SOURCE, "c.js", language="javascript")
    hit = compile_python(
        SOURCE, "c.js", language="javascript", line_map={1: (1, 1)}, display_source="js"
    )
    assert CACHE.hits == 1
    assert hit.line_map == {1: (1, 1)}
    assert (hit.source, hit.python_source) == ("js", SOURCE)


def test_errors_are_not_cached() -> None:
    bad = 'meta = {"name": "c", "description": "d"}\nimport os\n'
    for _ in range(2):
        with pytest.raises(Exception, match="`os` is not available"):
            compile_python(bad, "c.flow.py")
    assert CACHE.hits == 0


def test_the_cache_is_bounded() -> None:
    small = type(CACHE)(size=2)
    for n in range(3):
        small.put((str(n), "p", "python"), object())  # type: ignore[arg-type]
    assert small.get(("0", "p", "python")) is None
    assert small.get(("2", "p", "python")) is not None
