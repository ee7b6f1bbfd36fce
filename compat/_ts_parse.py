"""The fast parse: tree-sitter, then its tree converted to the tree esprima would build.

tree-sitter (a C parser) reads a workflow in milliseconds where esprima (pure Python)
takes a third of a second; :class:`._ts_nodes.Converter` turns the concrete tree into
esprima's nodes. :func:`parse_program` answers ``None`` - parse with esprima - whenever
the answer could differ from esprima's:

* tree-sitter found an error (or inserted a missing token): esprima judges invalid
  scripts and words every message;
* the converter meets a construct it does not handle, or one where esprima reports an
  early error the tree-sitter grammar accepts (``await`` outside async functions,
  ``break`` outside loops, a ``const`` without value, invalid escapes, targets, regular
  expressions, reserved words as names, ``"use strict"``, ...);
* esprima's own scope checks (the validator it runs on every tree it builds) object;
* the brackets may nest past the limit, or the tree is deep enough that esprima might
  run out of stack: ``_parse`` reports those from esprima's path.

A fallback costs only time. ``tests/compat/test_ts_parse.py`` checks that for every
script the result equals esprima's, node for node.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from esprima.validation import _validate_parsed_program

from ._ts_nodes import Converter, Unsupported

__all__ = ["parse_program"]

_MAX_DEPTH = 120
"""How deep (in converted nodes) a tree may be for the fast path; deeper trees go to
esprima, which then decides whether it can parse them. The corpus nests 36 deep; esprima
runs out of stack past about 230 nested ``new``, 320 ``? :`` or ``else if``."""
_OTHER_SPACE = re.compile("[\x85\xa0\u1680\u180e\u2000-\u200d\u2028\u2029\u202f\u205f"
                          "\u2060\u3000\ufeff]")
"""Unicode spaces, line ends and format characters: tree-sitter and esprima disagree on
some (U+200B, U+2060 separate tokens for tree-sitter only)."""


def parse_program(text: str, max_brackets: int) -> Any | None:
    """The ``esprima.nodes.Script`` of ``text``, or None when esprima must parse it.

    ``max_brackets``: the bracket nesting (including the caller's wrapper) beyond which
    esprima's path reports the error.
    """
    if "<!--" in text or "-->" in text or "\r" in text or "\x00" in text or (
            not text.isascii() and _OTHER_SPACE.search(text)):
        return None  # HTML comments, other line ends and spaces: esprima's own reading
    language = _language()
    if language is None:
        return None
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return None
    import tree_sitter

    # A parser is not shared between threads; making one costs microseconds.
    root = tree_sitter.Parser(language).parse(data).root_node
    if root.has_error:
        return None
    comments = _comments(root, language) if "/" in text else []
    converter = Converter(text, data, _MAX_DEPTH, max_brackets)
    try:
        program = converter.program(root, comments)
        _validate_parsed_program(program, _refuse, 2026, text)
    except (Unsupported, RecursionError):
        return None
    return program


def _refuse(message: str, node: Any) -> None:
    raise Unsupported(message)


def _comments(root: Any, language: Any) -> list[Any]:
    """The comment nodes of the tree (a query: one call into tree-sitter)."""
    import tree_sitter

    query = _comment_query(language)
    found: dict[str, list[Any]] = tree_sitter.QueryCursor(query).captures(root)
    return found.get("comment", [])


@functools.cache
def _comment_query(language: Any) -> Any:
    import tree_sitter

    return tree_sitter.Query(language, "(comment) @comment")


@functools.cache
def _language() -> Any | None:
    """tree-sitter's JavaScript grammar (None when tree-sitter is not installed)."""
    try:
        import tree_sitter
        import tree_sitter_javascript
    except ImportError:
        return None
    return tree_sitter.Language(tree_sitter_javascript.language())
