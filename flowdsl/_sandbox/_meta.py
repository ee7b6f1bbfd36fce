"""The leading ``meta = {...}`` literal: read with ``ast``, never executed.

Only JSON-shaped literals are accepted (strings, numbers, booleans, None, lists,
tuples, dicts with string keys, and ``-``/``+`` on numbers), so reading ``meta`` can run
no code at all. ``name`` and ``description`` are required non-empty strings;
``whenToUse`` is a string; ``phases`` is a list of ``{title, detail?, model?}``; any
other key is kept as written.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from ..errors import MetaError

__all__ = ["Locate", "extract_meta"]

Locate = Callable[[int, int], tuple[int, int | None]]
"""(python line, column offset in UTF-8 bytes) -> (line, 1-based column) as shown to users."""

_KINDS: dict[type[ast.AST], str] = {
    ast.Name: "a name",
    ast.Call: "a call",
    ast.JoinedStr: "an f-string",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Attribute: "an attribute",
    ast.Subscript: "a subscript",
    ast.BinOp: "an operator expression",
    ast.Set: "a set (use a list)",
    ast.Lambda: "a lambda",
    ast.Await: "an await",
}
_PHASE_KEYS = {"title": True, "detail": False, "model": False}


class _Reader:
    """Turns the ``meta`` dict expression into a value, or a positioned MetaError."""

    def __init__(self, path: str, locate: Locate) -> None:
        self.path = path
        self.locate = locate

    def error(self, node: ast.AST, message: str) -> MetaError:
        line, column = self.locate(getattr(node, "lineno", 1), getattr(node, "col_offset", 0))
        return MetaError(message, path=self.path, line=line, column=column)

    def literal(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            if node.value is None or isinstance(node.value, str | int | float):
                return node.value
            raise self.error(node, f"`meta` values must be JSON-like, not {node.value!r}")
        if isinstance(node, ast.List | ast.Tuple):
            return [self.literal(item) for item in node.elts]
        if isinstance(node, ast.Dict):
            return self.dict(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = self.literal(node.operand)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return -value if isinstance(node.op, ast.USub) else value
        kind = _KINDS.get(type(node), "an expression")
        raise self.error(node, f"`meta` must be a pure literal: found {kind}")

    def dict(self, node: ast.Dict) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                raise self.error(value, "`meta` must be a pure literal: found `**` unpacking")
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                raise self.error(key, "`meta` keys must be string literals")
            if key.value in result:
                raise self.error(key, f"duplicate key {key.value!r} in `meta`")
            result[key.value] = self.literal(value)
        return result


def _value_node(node: ast.Dict, key: str) -> ast.expr:
    for key_node, value in zip(node.keys, node.values, strict=True):
        if isinstance(key_node, ast.Constant) and key_node.value == key:
            return value
    return node


def _check_text(
    reader: _Reader,
    node: ast.Dict,
    meta: dict[str, Any],
    key: str,
    *,
    required: bool,
    where: str = "meta",
) -> None:
    if key not in meta:
        if required:
            raise reader.error(node, f"`{where}` is missing the required key {key!r}")
        return
    value = meta[key]
    if not isinstance(value, str) or (required and not value.strip()):
        what = "a non-empty string" if required else "a string"
        raise reader.error(_value_node(node, key), f"`{where}[{key!r}]` must be {what}")


def _check_phases(reader: _Reader, node: ast.Dict, meta: dict[str, Any]) -> None:
    if "phases" not in meta:
        return
    phases_node = _value_node(node, "phases")
    if not isinstance(meta["phases"], list) or not isinstance(phases_node, ast.List | ast.Tuple):
        raise reader.error(phases_node, "`meta['phases']` must be a list of {'title': ...} dicts")
    for index, (phase, phase_node) in enumerate(zip(meta["phases"], phases_node.elts, strict=True)):
        where = f"meta['phases'][{index}]"
        if not isinstance(phase, dict) or not isinstance(phase_node, ast.Dict):
            raise reader.error(phase_node, f"`{where}` must be a dict like {{'title': ...}}")
        for key, required in _PHASE_KEYS.items():
            _check_text(reader, phase_node, phase, key, required=required, where=where)


def extract_meta(tree: ast.Module, path: str, locate: Locate) -> dict[str, Any]:
    """Read and validate the script's leading ``meta`` literal.

    Args:
        tree: the parsed script.
        path: the script's path, for messages.
        locate: maps an AST position to the position shown to users.

    Returns:
        The meta dict, every key kept.

    Raises:
        MetaError: ``meta`` is missing, not first, not a pure literal, or invalid.
    """
    reader = _Reader(path, locate)
    first = tree.body[0] if tree.body else None
    if first is None:
        raise MetaError(
            "the script is empty: it must start with `meta = {...}`", path=path, line=1, column=1
        )
    if not (
        isinstance(first, ast.Assign)
        and len(first.targets) == 1
        and isinstance(first.targets[0], ast.Name)
        and first.targets[0].id == "meta"
    ):
        later = any(
            isinstance(target, ast.Name) and target.id == "meta"
            for stmt in tree.body[1:]
            if isinstance(stmt, ast.Assign)
            for target in stmt.targets
        )
        message = (
            "`meta = {...}` must be the first statement"
            if later
            else "the script must start with `meta = {...}`"
        )
        raise reader.error(first, message)
    if not isinstance(first.value, ast.Dict):
        raise reader.error(first.value, "`meta` must be a dict literal: meta = {'name': ..., ...}")
    meta = reader.dict(first.value)
    _check_text(reader, first.value, meta, "name", required=True)
    _check_text(reader, first.value, meta, "description", required=True)
    _check_text(reader, first.value, meta, "whenToUse", required=False)
    _check_phases(reader, first.value, meta)
    return meta
