"""JSON.stringify / JSON.parse with JS's output and errors; the run result conversion."""

from __future__ import annotations

import json
import math
from typing import Any

from ._convert import own_keys, to_string
from ._numbers import number_to_string
from ._values import JSObjectBase, JSSyntaxError, JSTypeError, is_callable, num, undefined

__all__ = ["json_parse", "json_stringify", "to_result"]

_SKIP = object()


def _prepare(value: Any, key: str, holder: Any, replacer: Any, stack: list[int]) -> Any:
    """The value that will be serialized (toJSON, replacer), or _SKIP."""
    to_json = None
    if isinstance(value, dict):
        to_json = value.get("toJSON")
    elif isinstance(value, JSObjectBase):
        to_json = value.JS_METHODS.get("toJSON")
        if to_json is not None:
            value = to_json(value)
            to_json = None
    if is_callable(to_json):
        value = to_json(key)  # type: ignore[misc]
    if is_callable(replacer):
        value = replacer(key, value)
    return value


def _serialize(value: Any, key: str, holder: Any, state: _State, indent: str) -> str | None:
    value = _prepare(value, key, holder, state.replacer, state.stack)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    cls = type(value)
    if cls is str:
        return json.dumps(value, ensure_ascii=False)
    if cls is int or cls is float:
        return number_to_string(value) if not (value != value or math.isinf(value)) else "null"
    if value is undefined or is_callable(value):
        return None
    if id(value) in state.stack:
        raise JSTypeError("Converting circular structure to JSON")
    state.stack.append(id(value))
    try:
        if isinstance(value, list):
            return _array(value, state, indent)
        return _object(value, state, indent)
    finally:
        state.stack.pop()


class _State:
    __slots__ = ("allow", "gap", "replacer", "stack")

    def __init__(self, replacer: Any, gap: str) -> None:
        self.replacer = replacer if is_callable(replacer) else undefined
        self.allow: list[str] | None = None
        if isinstance(replacer, list):
            self.allow = []
            for item in replacer:
                if isinstance(item, str) or type(item) in (int, float):
                    text = to_string(item)
                    if text not in self.allow:
                        self.allow.append(text)
        self.gap = gap
        self.stack: list[int] = []


def _array(value: list[Any], state: _State, indent: str) -> str:
    if not value:
        return "[]"
    inner = indent + state.gap
    parts = []
    for i, item in enumerate(value):
        text = _serialize(item, str(i), value, state, inner)
        parts.append("null" if text is None else text)
    if not state.gap:
        return "[" + ",".join(parts) + "]"
    return "[\n" + inner + (",\n" + inner).join(parts) + "\n" + indent + "]"


def _object_items(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [(k, value[k]) for k in own_keys(value)]
    if isinstance(value, JSObjectBase):
        return [(k, value.js_property(k)) for k in value.js_own_keys()]
    props = getattr(value, "props", None)
    if isinstance(props, dict):
        return [(k, v) for k, v in props.items() if k not in ("message", "name", "cause")]
    return []


def _object(value: Any, state: _State, indent: str) -> str:
    inner = indent + state.gap
    parts = []
    items = _object_items(value)
    if state.allow is not None:
        lookup = dict(items)
        items = [(k, lookup[k]) for k in state.allow if k in lookup]
    colon = ": " if state.gap else ":"
    for k, item in items:
        text = _serialize(item, k, value, state, inner)
        if text is not None:
            parts.append(json.dumps(k, ensure_ascii=False) + colon + text)
    if not parts:
        return "{}"
    if not state.gap:
        return "{" + ",".join(parts) + "}"
    return "{\n" + inner + (",\n" + inner).join(parts) + "\n" + indent + "}"


def json_stringify(value: Any = undefined, replacer: Any = undefined, space: Any = undefined,
                   *_: Any) -> Any:
    gap = ""
    if type(space) in (int, float):
        gap = " " * max(0, min(10, int(space)))
    elif isinstance(space, str):
        gap = space[:10]
    state = _State(replacer, gap)
    holder = {"": value}
    text = _serialize(value, "", holder, state, "")
    return undefined if text is None else text


def _parse_int(text: str) -> int | float:
    return num(float(int(text))) if len(text) > 15 else int(text)


def _parse_constant(name: str) -> Any:
    raise ValueError(f"Unexpected token '{name[0]}'")


def json_parse(text: Any = undefined, reviver: Any = undefined, *_: Any) -> Any:
    source = to_string(text)
    try:
        value = json.loads(source, parse_int=_parse_int, parse_float=lambda s: num(float(s)),
                           parse_constant=_parse_constant)
    except (ValueError, RecursionError) as exc:
        raise JSSyntaxError(_parse_message(source, exc)) from None
    if is_callable(reviver):
        return _revive({"": value}, "", reviver)
    return value


def _parse_message(source: str, exc: Exception) -> str:
    if not source.strip():
        return "Unexpected end of JSON input"
    pos = getattr(exc, "pos", 0) or 0
    if pos >= len(source):
        return "Unexpected end of JSON input"
    shown = source if len(source) <= 30 else source[:30] + "..."
    return f"Unexpected token '{source[pos]}', \"{shown}\" is not valid JSON"


def _revive(holder: Any, key: str, reviver: Any) -> Any:
    value = holder[key] if isinstance(holder, dict) else holder[int(key)]
    if isinstance(value, list):
        for i in range(len(value)):
            item = _revive(value, str(i), reviver)
            value[i] = item
    elif isinstance(value, dict):
        for k in own_keys(value):
            item = _revive(value, k, reviver)
            if item is undefined:
                del value[k]
            else:
                value[k] = item
    return reviver(key, value)


def to_result(value: Any) -> Any:
    """A script's return value as plain JSON (``JSON.parse(JSON.stringify(v)) ?? null``)."""
    text = json_stringify(value)
    if text is undefined:
        return None
    return json.loads(text, parse_float=lambda s: num(float(s)))

