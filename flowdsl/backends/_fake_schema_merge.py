"""Simulate mode: a schema flattened into plain variants (``$ref`` followed, combinators
merged or split), so that a builder which knows no combinator can make a value for it.

Merging is a best effort on purpose: what it gets wrong (two ``pattern``\\ s, a ``not``)
is caught by the validator check in :mod:`._fake_schema` and tried again.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

__all__ = ["flatten", "merge", "resolve"]

_MAX_VARIANTS = 16
_MAX_HOPS = 16  # a $ref chain followed at one node
_MAX_NESTING = 4  # combinators inside combinators flattened
_COMBINATORS = frozenset({"$ref", "allOf", "anyOf", "oneOf", "if", "then", "else"})
_LARGEST = frozenset({"minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties",
                      "minContains"})
_SMALLEST = frozenset({"maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties",
                       "maxContains"})

Variant = tuple[dict[str, Any], tuple[str, ...]]
"""A plain schema and the references followed to reach it."""


def flatten(root: Any, schema: Any, refs: tuple[str, ...], nesting: int = 0) -> list[Variant]:
    """Plain variants of ``schema``, the most likely to be valid first (never empty)."""
    schema, refs = resolve(root, schema, refs)
    if _COMBINATORS.isdisjoint(schema):
        return _by_type(schema, refs)
    base = {k: v for k, v in schema.items() if k not in _COMBINATORS}
    for sub in _options(schema, "allOf"):
        base, refs = _merged(root, base, sub, refs, nesting)
    choices: list[list[Any]] = [[]]
    for key in ("anyOf", "oneOf"):
        options = _options(schema, key)
        if options:
            choices = [[*c, o] for c in choices for o in options][:_MAX_VARIANTS]
    if isinstance(schema.get("if"), dict | bool):
        branches = [{"allOf": [schema["if"], schema.get("then", True)]}, schema.get("else", True)]
        choices = [[*c, b] for c in choices for b in branches][:_MAX_VARIANTS]
    out: list[Variant] = []
    for choice in choices:
        variant, variant_refs = base, refs
        for part in choice:
            variant, variant_refs = _merged(root, variant, part, variant_refs, nesting)
        out.extend(_by_type(variant, variant_refs))
    return out[:_MAX_VARIANTS] or [({}, refs)]


def _options(schema: dict[str, Any], key: str) -> list[Any]:
    options = schema.get(key)
    return options if isinstance(options, list) else []


def _merged(root: Any, base: dict[str, Any], part: Any, refs: tuple[str, ...],
            nesting: int) -> Variant:
    if nesting >= _MAX_NESTING or not isinstance(part, dict):
        return base, refs
    flat, part_refs = flatten(root, part, refs, nesting + 1)[0]
    return merge(base, flat), part_refs if len(part_refs) > len(refs) else refs


def _by_type(schema: dict[str, Any], refs: tuple[str, ...]) -> list[Variant]:
    kinds = schema.get("type")
    if not isinstance(kinds, list) or not kinds:
        return [(schema, refs)]
    ordered = [k for k in kinds if k != "null"] + [k for k in kinds if k == "null"]
    return [({**schema, "type": kind}, refs) for kind in ordered]


def resolve(root: Any, schema: Any, refs: tuple[str, ...]) -> Variant:
    """``schema`` with its local ``$ref`` chain merged in (an unknown reference is dropped)."""
    schema = schema if isinstance(schema, dict) else {}
    for _ in range(_MAX_HOPS):
        ref = schema.get("$ref")
        if not isinstance(ref, str):
            break
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        target = _target(root, ref)
        if not isinstance(target, dict):
            return rest, refs
        refs = (*refs, ref)
        schema = merge(target, rest)
    return schema, refs


def _target(root: Any, ref: str) -> Any:
    if not ref.startswith("#"):
        return None
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        return _anchor(root, ref[1:])
    node = root
    for step in unquote(ref[2:]).split("/"):
        step = step.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return None
    return node


def _anchor(root: Any, name: str) -> Any:
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("$anchor") == name or node.get("$dynamicAnchor") == name:
                return node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def merge(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """One schema asking (about) what both ask; what cannot be merged is kept in ``allOf``."""
    out = dict(first)
    for key, value in second.items():
        if key not in out:
            out[key] = value
        else:
            _merge_key(out, key, out[key], value)
    return out


def _merge_key(out: dict[str, Any], key: str, mine: Any, theirs: Any) -> None:
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (mine, theirs))
    if numbers and key in _LARGEST:
        out[key] = max(mine, theirs)
    elif numbers and key in _SMALLEST:
        out[key] = min(mine, theirs)
    elif key == "required" and isinstance(mine, list) and isinstance(theirs, list):
        out[key] = list(dict.fromkeys([*mine, *theirs]))
    elif key == "type":
        out[key] = _types(mine, theirs)
    elif key == "enum" and isinstance(mine, list) and isinstance(theirs, list):
        out[key] = [v for v in mine if v in theirs] or mine
    elif key == "properties" and isinstance(mine, dict) and isinstance(theirs, dict):
        out[key] = {**mine, **{k: _both(mine[k], v) if k in mine else v
                               for k, v in theirs.items()}}
    elif key in ("items", "additionalProperties", "contains", "propertyNames"):
        out[key] = False if mine is False or theirs is False else _both(mine, theirs)
    elif mine != theirs and key not in ("title", "description", "$defs", "definitions"):
        out["allOf"] = [*out.get("allOf", []), {key: theirs}]


def _both(mine: Any, theirs: Any) -> Any:
    if isinstance(mine, dict) and isinstance(theirs, dict):
        return merge(mine, theirs)
    return mine if isinstance(mine, dict) else theirs


def _types(mine: Any, theirs: Any) -> Any:
    a = mine if isinstance(mine, list) else [mine]
    b = theirs if isinstance(theirs, list) else [theirs]
    both = [t for t in a if t in b]
    if ("integer" in a and "number" in b) or ("number" in a and "integer" in b):
        both.append("integer")
    both = list(dict.fromkeys(both)) or a
    return both if len(both) > 1 else both[0]
