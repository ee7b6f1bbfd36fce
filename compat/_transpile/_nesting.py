"""The nesting limit on the parsed tree (brackets are counted before parsing).

The transpiler and Python's parser and ``compile()`` recurse once or more per level of
the Python form, which nests about as deep as the JS tree: arrow chains, ``else if``,
operators (``a + b + c`` is ``js_add(js_add(a, b), c)``) and member chains nest without
a bracket. Nodes that only hold others (a block's statements, an object's properties)
add no level, so the count is close to what a reader sees.

Python also allows only 20 statically nested loop and ``try`` blocks in one function
(``too many statically nested blocks``); JS loops and ``try`` statements each become
one, so they have a limit of their own, :data:`MAX_BLOCKS` per function. And Python
compiles every ``finally`` body twice (the normal and the exceptional exit), so code
inside ``n`` nested ``finally`` bodies is compiled ``2**n`` times: :data:`MAX_FINALLY`.
"""

from __future__ import annotations

from typing import Any

from flowdsl.errors import ScriptSyntaxError

from .._parse import MAX_NESTING, nesting_error, position
from ._base import FUNCTION_TYPES
from ._scope import children

__all__ = ["MAX_BLOCKS", "MAX_FINALLY", "check_nesting"]

MAX_BLOCKS = 20
"""Python blocks nested in one function (Python's own limit): a loop opens one, ``try``
one (two with ``finally``), ``catch`` two (three with ``finally``)."""
MAX_FINALLY = 8
"""``finally`` bodies nested in each other (functions inside count: they are compiled
with the body)."""
_HOLDERS = frozenset({
    "BlockStatement", "ExpressionStatement", "VariableDeclaration", "VariableDeclarator",
    "ReturnStatement", "Property", "SpreadElement", "ChainExpression", "TemplateElement",
    "SwitchCase", "CatchClause",
})
_LOOPS = frozenset({"ForStatement", "ForOfStatement", "ForInStatement", "WhileStatement",
                    "DoWhileStatement"})
_OPENS_BLOCKS = FUNCTION_TYPES | _LOOPS | {"TryStatement"}
"""The nodes whose children :func:`_blocks` counts differently from the node itself."""


def check_nesting(root: Any, path: str) -> None:
    """Raise a ScriptSyntaxError at the first node nested more than ``MAX_NESTING`` deep.

    Walks with an explicit stack (the tree may be deeper than Python's recursion limit).
    """
    first: Any = None
    deepest = 0
    # the wrapper function and its body block are not the script's own
    stack = [(child, 0, 0, 0) for child in reversed(list(children(root.body)))]
    while stack:
        node, depth, blocks, finals = stack.pop()
        kind = node.type
        if kind not in _HOLDERS:
            depth += 1
            if depth > deepest:
                deepest = depth
                if depth > MAX_NESTING and first is None:
                    first = node
        inner = list(children(node))
        inner.reverse()
        if kind not in _OPENS_BLOCKS:  # the children are as deep in blocks as the node
            stack.extend([(child, depth, blocks, finals) for child in inner])
            continue
        entries = [(child, depth, _blocks(node, child, blocks),
                    finals + (kind == "TryStatement" and child is node.finalizer))
                   for child in inner]
        if any(b > MAX_BLOCKS for _, _, b, _ in entries):
            raise _blocks_error(node, path)
        if any(f > MAX_FINALLY for _, _, _, f in entries):
            raise _finally_error(node, path)
        stack.extend(entries)
    if first is not None:
        line, column = position(first)
        raise nesting_error(path, line, column, deepest)


def _blocks(node: Any, child: Any, blocks: int) -> int:
    """How many Python blocks enclose ``child`` of ``node`` (``blocks`` enclose ``node``):
    ``try``/``catch``/``finally`` is a try-except inside a try-finally, and a handler
    holds two blocks of its own."""
    kind = node.type
    if kind in FUNCTION_TYPES:
        return 0
    if kind in _LOOPS:
        return blocks + 1
    if kind != "TryStatement":
        return blocks
    both = node.handler is not None and node.finalizer is not None
    if child is node.finalizer:
        return blocks + 1
    return blocks + both + (2 if child is node.handler else 1)


def _blocks_error(node: Any, path: str) -> ScriptSyntaxError:
    line, column = position(node)
    return ScriptSyntaxError(
        "loops and try statements nest too deeply in one function here (the limit is "
        f"{MAX_BLOCKS} Python blocks: a loop or try takes 1, a catch 2, a finally 1 more): "
        "move the inner ones into a function",
        path=path, line=line, column=column)


def _finally_error(node: Any, path: str) -> ScriptSyntaxError:
    line, column = position(node)
    return ScriptSyntaxError(
        f"finally blocks nest more than {MAX_FINALLY} deep here (the limit is {MAX_FINALLY}: "
        "Python compiles each finally body twice, so every level doubles the code): move "
        "the inner ones into a function defined outside them", path=path, line=line,
        column=column)
