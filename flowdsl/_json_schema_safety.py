"""Validators that never retrieve and cost at most a metered number of steps.

Every validator the runtime builds (``_json_schema``) is a *safe class*: each keyword
charges a step meter (``with metered(n):`` — past ``n``, :class:`TooCostly`), following a
reference charges more, keywords that loop over an instance or compare whole values
charge by size, and ``uniqueItems`` runs in linear time (jsonschema's own is quadratic).
jsonschema's ``evolve`` switches to the stock class of a subschema's ``$schema``; the
safe classes switch to their safe twin instead. :data:`REGISTRY` refuses every
retrieval, so no file or URL is ever read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import attrs
import jsonschema
import referencing
import referencing.exceptions

__all__ = ["REGISTRY", "TooCostly", "metered", "safe_class"]

_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
_REF_STEPS = 4  # following a reference costs about four plain keywords


# -- references: never retrieved ----------------------------------------------------------
def _refuse_retrieval(uri: str) -> referencing.Resource[Any]:
    """The registry's retrieve function: nothing outside the schema is ever read."""
    raise referencing.exceptions.NoSuchResource(ref=uri)  # type: ignore[call-arg]


REGISTRY: referencing.Registry[Any] = referencing.Registry(
    retrieve=_refuse_retrieval,  # type: ignore[call-arg]
)


# -- validator classes: metered keywords, linear uniqueItems ------------------------------
class TooCostly(Exception):
    """More validation steps than the current meter allows."""


class _Meter:
    __slots__ = ("left",)

    def __init__(self, steps: int) -> None:
        self.left = steps


_METER: ContextVar[_Meter | None] = ContextVar("flowdsl_schema_meter", default=None)


@contextmanager
def metered(steps: int) -> Iterator[None]:
    token = _METER.set(_Meter(steps))
    try:
        yield
    finally:
        _METER.reset(token)


def _spend(steps: int) -> None:
    meter = _METER.get()
    if meter is not None:
        meter.left -= steps
        if meter.left < 0:
            raise TooCostly


# What a keyword costs beyond its one step: a step is about one keyword of jsonschema
# (microseconds), so per-element work is scaled down by how much cheaper it is.
_LOOPS_OVER_INSTANCE = frozenset({
    "items", "prefixItems", "additionalItems", "contains", "unevaluatedItems",
    "additionalProperties", "patternProperties", "propertyNames", "unevaluatedProperties",
})
_SEARCHES_KEYS = frozenset({"additionalProperties", "patternProperties"})
_COMPARES_VALUE = frozenset({"enum", "const"})

_Keyword = Callable[[Any, Any, Any, Any], Any]


def _charged(name: str, keyword: _Keyword) -> _Keyword:
    base = _REF_STEPS if name in _REF_KEYWORDS else 1
    loops = name in _LOOPS_OVER_INSTANCE
    searches = name in _SEARCHES_KEYS
    compares = name in _COMPARES_VALUE

    def run(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        if _METER.get() is not None:
            steps = base
            if isinstance(value, dict | list):
                steps += len(value) // 8
            if isinstance(instance, dict | list):
                if loops:
                    steps += len(instance) // 8
                if searches:
                    patterns = schema.get("patternProperties")
                    searched = patterns if isinstance(patterns, dict) else ()
                    steps += len(instance) * len(searched) // 4
            elif isinstance(instance, str) and name == "pattern":
                steps += len(instance) // 256
            if compares:
                steps += _nodes(value) // 16
            _spend(steps)
        return keyword(validator, value, instance, schema)

    return run


def _nodes(value: Any) -> int:
    """How many values ``value`` holds, itself included (iteratively)."""
    count = 0
    stack = [value]
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return count


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """``uniqueItems`` in linear time (jsonschema's falls back to comparing every pair)."""
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Any] = set()
    for item in instance:
        key = _canonical(item)
        if key in seen:
            yield jsonschema.ValidationError("array has non-unique elements")
            return
        seen.add(key)


def _canonical(value: Any) -> Any:
    """A hashable form equal exactly when jsonschema's ``equal`` says so (1 == 1.0 != True)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, dict):
        _spend(1 + len(value) // 4)
        return ("object", frozenset((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        _spend(1 + len(value) // 4)
        return ("array", tuple(_canonical(v) for v in value))
    try:
        hash(value)
    except TypeError:
        return ("unhashable", id(value))
    return ("value", value)


_SAFE_CLASSES: set[Any] = set()


@lru_cache(maxsize=16)
def safe_class(cls: Any) -> Any:
    """``cls`` with metered keywords and a linear ``uniqueItems``, staying safe on evolve."""
    if cls in _SAFE_CLASSES:
        return cls
    keywords = {name: _charged(name, fn) for name, fn in cls.VALIDATORS.items()}
    keywords["uniqueItems"] = _charged("uniqueItems", _unique_items)
    safe = jsonschema.validators.extend(cls, keywords)
    safe.evolve = _staying_safe(safe.evolve)
    _SAFE_CLASSES.add(safe)
    return safe


def _staying_safe(evolve: Callable[..., Any]) -> Callable[..., Any]:
    """jsonschema's ``evolve`` switches to the stock class of a subschema's ``$schema``
    (the meta-schemas' own subschemas, or a script's): switch to its safe twin instead."""

    def safe_evolve(self: Any, **changes: Any) -> Any:
        evolved = evolve(self, **changes)
        cls: Any = type(evolved)
        if cls in _SAFE_CLASSES:
            return evolved
        fields = {f.alias: getattr(evolved, f.name) for f in attrs.fields(cls) if f.init}
        return safe_class(cls)(**fields)

    return safe_evolve
