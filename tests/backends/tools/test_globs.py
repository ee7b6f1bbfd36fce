"""Glob patterns: ``**`` spans directories, ``*`` and ``?`` stay within a name, braces expand."""

from __future__ import annotations

import pytest

from flowdsl.backends._tools._globs import compile_glob
from flowdsl.errors import ToolError


@pytest.mark.parametrize(("pattern", "path", "matches"), [
    ("*.py", "a.py", True),
    ("*.py", "src/a.py", False),
    ("**/*.py", "a.py", True),
    ("**/*.py", "src/deep/a.py", True),
    ("src/**/*.py", "src/a.py", True),
    ("src/**/*.py", "src/x/y/a.py", True),
    ("src/**/*.py", "lib/a.py", False),
    ("src/**", "src/x/y/a.txt", True),
    ("src/*", "src/x/a.txt", False),
    ("a?.txt", "ab.txt", True),
    ("a?.txt", "a/.txt", False),
    ("*.{ts,tsx}", "x.tsx", True),
    ("*.{ts,tsx}", "x.js", False),
    ("{src,lib}/**/*.py", "lib/q/a.py", True),
    ("{a,{b,c}}.txt", "c.txt", True),
    ("{a}.txt", "{a}.txt", True),
    ("[ab].txt", "b.txt", True),
    ("[!ab].txt", "c.txt", True),
    ("[!ab].txt", "a.txt", False),
    ("[a-c].txt", "b.txt", True),
    ("[.txt", "[.txt", True),
    ("\\*.txt", "*.txt", True),
    ("\\*.txt", "a.txt", False),
    ("/top.txt", "top.txt", True),
    ("./src/*.py", "src/a.py", True),
    ("*", ".hidden", True),
    ("a.py", "a.py", True),
    ("a.py", "xa.py", False),
])
def test_glob_matching(pattern: str, path: str, matches: bool) -> None:
    assert compile_glob(pattern).matches(path) is matches


@pytest.mark.parametrize(("pattern", "directory", "may"), [
    ("src/**/*.py", ("src",), True),
    ("src/**/*.py", ("src", "a", "b"), True),
    ("src/**/*.py", ("lib",), False),
    ("*.py", ("src",), False),
    ("*/*.py", ("src",), True),
    ("*/*.py", ("src", "deep"), False),
    ("**", ("any", "where"), True),
    ("{src,lib}/*.py", ("lib",), True),
])
def test_directories_are_pruned_when_no_match_can_lie_below(
    pattern: str, directory: tuple[str, ...], may: bool
) -> None:
    assert compile_glob(pattern).may_contain(directory) is may


def test_too_many_brace_alternatives_are_refused() -> None:
    with pytest.raises(ToolError, match="alternatives"):
        compile_glob("{a,b}" * 12)
