"""Map and Set, keyed by SameValueZero and kept in insertion order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from ._values import JSIterator, JSObjectBase, JSTypeError, is_callable, undefined

__all__ = ["JSMap", "JSSet", "key_of"]


def key_of(value: Any) -> Any:
    """A hashable identity for a JS value under SameValueZero."""
    cls = type(value)
    if cls is str:
        return value
    if cls is int or cls is float:
        return ("n", float(value)) if value == value else ("nan",)
    if cls is bool:
        return ("b", value)
    if value is None:
        return ("null",)
    if value is undefined:
        return ("undefined",)
    return ("o", id(value))


def _entries_of(iterable: Any) -> Iterator[tuple[Any, Any]]:
    from ._arrays import iterate

    for entry in iterate(iterable):
        if not isinstance(entry, list):
            raise JSTypeError("Iterator value is not an entry object")
        yield (entry[0] if entry else undefined, entry[1] if len(entry) > 1 else undefined)


class JSMap(JSObjectBase):
    __slots__ = ("entries",)
    js_class = "Map"
    JS_METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, iterable: Any = undefined) -> None:
        self.entries: dict[Any, tuple[Any, Any]] = {}
        if iterable is not undefined and iterable is not None:
            for key, value in _entries_of(iterable):
                self.set(key, value)

    def js_property(self, key: str) -> Any:
        return len(self.entries) if key == "size" else undefined

    def js_iter(self) -> list[list[Any]]:
        return [[k, v] for k, v in self.entries.values()]

    def get(self, key: Any = undefined, *_: Any) -> Any:
        entry = self.entries.get(key_of(key))
        return undefined if entry is None else entry[1]

    def set(self, key: Any = undefined, value: Any = undefined, *_: Any) -> JSMap:
        k = key_of(key)
        if k in self.entries:
            self.entries[k] = (self.entries[k][0], value)
        else:
            self.entries[k] = (0 if key == 0 and type(key) is float else key, value)
        return self

    def has(self, key: Any = undefined, *_: Any) -> bool:
        return key_of(key) in self.entries

    def delete(self, key: Any = undefined, *_: Any) -> bool:
        return self.entries.pop(key_of(key), None) is not None

    def clear(self, *_: Any) -> Any:
        self.entries.clear()
        return undefined

    def for_each(self, fn: Any = undefined, *_: Any) -> Any:
        if not is_callable(fn):
            raise JSTypeError("Map.prototype.forEach callback is not a function")
        for key, value in list(self.entries.values()):
            fn(value, key, self)
        return undefined


JSMap.JS_METHODS = {
    "get": JSMap.get,
    "set": JSMap.set,
    "has": JSMap.has,
    "delete": JSMap.delete,
    "clear": JSMap.clear,
    "forEach": JSMap.for_each,
    "keys": lambda m, *_: JSIterator([k for k, _v in m.entries.values()]),
    "values": lambda m, *_: JSIterator([v for _k, v in m.entries.values()]),
    "entries": lambda m, *_: JSIterator(m.js_iter()),
}


class JSSet(JSObjectBase):
    __slots__ = ("items",)
    js_class = "Set"
    JS_METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, iterable: Any = undefined) -> None:
        from ._arrays import iterate

        self.items: dict[Any, Any] = {}
        if iterable is not undefined and iterable is not None:
            for value in iterate(iterable):
                self.add(value)

    def js_property(self, key: str) -> Any:
        return len(self.items) if key == "size" else undefined

    def js_iter(self) -> list[Any]:
        return list(self.items.values())

    def add(self, value: Any = undefined, *_: Any) -> JSSet:
        self.items.setdefault(key_of(value), value)
        return self

    def has(self, value: Any = undefined, *_: Any) -> bool:
        return key_of(value) in self.items

    def delete(self, value: Any = undefined, *_: Any) -> bool:
        return self.items.pop(key_of(value), undefined) is not undefined or False

    def for_each(self, fn: Any = undefined, *_: Any) -> Any:
        if not is_callable(fn):
            raise JSTypeError("Set.prototype.forEach callback is not a function")
        for value in list(self.items.values()):
            fn(value, value, self)
        return undefined


def _set_delete(s: JSSet, value: Any = undefined, *_: Any) -> bool:
    key = key_of(value)
    if key in s.items:
        del s.items[key]
        return True
    return False


JSSet.JS_METHODS = {
    "add": JSSet.add,
    "has": JSSet.has,
    "delete": _set_delete,
    "clear": lambda s, *_: (s.items.clear(), undefined)[1],
    "forEach": JSSet.for_each,
    "keys": lambda s, *_: JSIterator(s.js_iter()),
    "values": lambda s, *_: JSIterator(s.js_iter()),
    "entries": lambda s, *_: JSIterator([[v, v] for v in s.items.values()]),
}
