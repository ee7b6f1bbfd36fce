"""Tree walks of the compile step, written for speed: a cold compile walks every node of
the script's tree a few times, and ``ast.walk`` / ``ast.NodeTransformer.generic_visit``
/ ``ast.fix_missing_locations`` pay a generator per node for it.

Each function here does exactly what the ``ast`` function it replaces does:

- :func:`bound_names` is the ``ast.walk`` scan for names a script binds;
- :func:`transform_children` is ``ast.NodeTransformer.generic_visit``;
- :func:`locate_new` is ``ast.copy_location`` plus ``ast.fix_missing_locations`` for a
  node the transformer builds around nodes of the parsed script. It does not descend
  into a node that already has its position: those come from the parser (which gives
  every node one) or from an earlier :func:`locate_new`, so everything below them has
  a position already and ``fix_missing_locations`` would change nothing there.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["bound_names", "locate_new", "transform_children"]

_Node = TypeVar("_Node", bound=ast.AST)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _push_children(node: ast.AST, stack: list[ast.AST]) -> None:
    """Push ``node``'s child nodes (what ``ast.iter_child_nodes`` yields) onto ``stack``."""
    for name in node._fields:
        try:
            value = getattr(node, name)
        except AttributeError:
            continue
        if isinstance(value, list):
            stack.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            stack.append(value)


def bound_names(tree: ast.AST) -> set[str]:
    """Every name the script binds anywhere (a script may shadow a missing builtin)."""
    names: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                names.add(node.id)
            continue  # a name holds only its context
        if isinstance(node, _DEFINITIONS):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).partition(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        _push_children(node, stack)
    return names


def transform_children(
    visit: Callable[[ast.AST], ast.AST | list[ast.AST] | None], node: _Node
) -> _Node:
    """``ast.NodeTransformer.generic_visit``: each child replaced by what ``visit``
    returns for it (None removes it, a list is spliced into a list field)."""
    for name in node._fields:
        try:
            old_value = getattr(node, name)
        except AttributeError:
            continue
        if isinstance(old_value, list):
            new_values: list[ast.AST] = []
            for value in old_value:
                if isinstance(value, ast.AST):
                    new = visit(value)
                    if new is None:
                        continue
                    if not isinstance(new, ast.AST):
                        new_values.extend(new)
                        continue
                    value = new
                new_values.append(value)
            old_value[:] = new_values
        elif isinstance(old_value, ast.AST):
            new_node = visit(old_value)
            if new_node is None:
                delattr(node, name)
            else:
                setattr(node, name, new_node)
    return node


_Position = tuple[int, int, int, int]
"""lineno, col_offset, end_lineno, end_col_offset."""


def locate_new(new: _Node, old: ast.AST) -> _Node:
    """``new`` at ``old``'s position, and every node built with it that has no position
    at its parent's (``copy_location``, then ``fix_missing_locations`` for what is new)."""
    ast.copy_location(new, old)
    stack: list[tuple[ast.AST, _Position]] = [(new, (1, 0, 1, 0))]
    while stack:
        node, inherited = stack.pop()
        position = inherited
        if "lineno" in node._attributes:
            if node is not new and _has_position(node):
                continue  # the parser's, or located before: complete below
            position = _fill_position(node, inherited)
        children: list[ast.AST] = []
        _push_children(node, children)
        stack.extend((child, position) for child in children)
    return new


def _has_position(node: ast.AST) -> bool:
    return (hasattr(node, "lineno") and hasattr(node, "col_offset")
            and getattr(node, "end_lineno", None) is not None
            and getattr(node, "end_col_offset", None) is not None)


_MISSING = object()
_POSITION_FIELDS = (("lineno", False), ("col_offset", False), ("end_lineno", True),
                    ("end_col_offset", True))
"""Each position field, and whether None counts as missing (it does for the ends)."""


def _fill_position(node: ast.AST, inherited: _Position) -> _Position:
    """What ``fix_missing_locations`` does to one node: the parent's position where the
    node has none; returns the position its children inherit."""
    own: list[Any] = []
    for (name, none_is_missing), value in zip(_POSITION_FIELDS, inherited, strict=True):
        current = getattr(node, name, _MISSING)
        if current is _MISSING or (none_is_missing and current is None):
            setattr(node, name, value)
            current = value
        own.append(current)
    return own[0], own[1], own[2], own[3]
