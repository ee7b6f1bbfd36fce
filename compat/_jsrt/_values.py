"""The JS value model: ``undefined``, errors, ``typeof``, truthiness, property keys.

undefined is the falsy singleton :data:`undefined`; null is ``None``; booleans are
``bool``; numbers are ``int`` (integral values within 2**53) or ``float``; strings are
``str``; arrays are ``list``; plain objects are ``dict`` with ``str`` keys; functions
are Python callables; Map, Set, RegExp, Date, URL, Promise and Error are the classes of
this package. ``bool`` is a subclass of ``int`` in Python, so every type test here
checks ``bool`` before numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar, Final

__all__ = [
    "MAX_SAFE",
    "JSError",
    "JSIterator",
    "JSMethod",
    "JSObjectBase",
    "JSRangeError",
    "JSReferenceError",
    "JSSyntaxError",
    "JSThrow",
    "JSTypeError",
    "JSUndefined",
    "error_name",
    "int_key",
    "is_callable",
    "is_nullish",
    "js_caught",
    "js_isnullish",
    "js_method",
    "js_throw",
    "js_truthy",
    "js_typeof",
    "num",
    "undefined",
]

MAX_SAFE: Final = 2**53


class JSUndefined:
    """The type of :data:`undefined` (one instance)."""

    __slots__ = ()
    _instance: ClassVar[JSUndefined | None] = None

    def __new__(cls) -> JSUndefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "undefined"

    def __reduce__(self) -> str:
        return "undefined"


undefined: Final = JSUndefined()


def num(value: float) -> int | float:
    """A JS number: integral floats within 2**53 become ``int`` (``-0.0`` stays float)."""
    if value.is_integer() and -MAX_SAFE <= value <= MAX_SAFE and (
            value or math.copysign(1, value) > 0):
        return int(value)
    return value


def is_nullish(value: object) -> bool:
    return value is None or value is undefined


js_isnullish = is_nullish


def is_callable(value: object) -> bool:
    if isinstance(value, JSObjectBase):
        return value.js_callable
    return callable(value) and not isinstance(value, BaseException)


def js_truthy(value: object) -> bool:
    """JS ToBoolean."""
    if value is True or value is False:
        return value
    if value is None or value is undefined:
        return False
    cls = type(value)
    if cls is str:
        return value != ""
    if cls is int:
        return value != 0
    if cls is float:
        return not (value == 0 or value != value)
    return True


def js_typeof(value: object) -> str:
    if value is undefined:
        return "undefined"
    if value is None:
        return "object"
    cls = type(value)
    if cls is bool:
        return "boolean"
    if cls is int or cls is float:
        return "number"
    if cls is str:
        return "string"
    if isinstance(value, JSObjectBase):
        return "function" if value.js_callable else "object"
    if callable(value) and not isinstance(value, BaseException):
        return "function"
    return "object"


def int_key(key: str) -> int | None:
    """The array index a property key names (``"3"`` -> 3), or None."""
    if key.isdigit() and key.isascii() and (key == "0" or key[0] != "0"):
        index = int(key)
        if index < 4294967295:
            return index
    return None


class JSObjectBase:
    """Base of the JS built-in object types (Map, Set, RegExp, Promise, namespaces...).

    ``JS_METHODS`` maps method names to functions taking the object first;
    :meth:`js_property` answers the other properties. Python attributes of these
    objects are never reachable from a script.
    """

    __slots__ = ()
    js_class: ClassVar[str] = "Object"
    js_callable: ClassVar[bool] = False
    JS_METHODS: ClassVar[dict[str, Callable[..., Any]]] = {}

    def js_property(self, key: str) -> Any:
        return undefined

    def js_set_property(self, key: str, value: Any) -> None:
        return None

    def js_own_keys(self) -> list[str]:
        return []

    def js_to_string(self) -> str:
        return f"[object {self.js_class}]"


class JSIterator(JSObjectBase):
    """What ``arr.entries()``, ``map.keys()``, ``str.matchAll()``... return: an iterator
    (``next()``), iterable once by ``for...of``, spread and ``Array.from``."""

    __slots__ = ("items", "position")
    js_class = "Array Iterator"
    JS_METHODS: ClassVar[dict[str, Callable[..., Any]]] = {}

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.position = 0

    def js_iter(self) -> list[Any]:
        rest = self.items[self.position:]
        self.position = len(self.items)
        return rest

    def next(self, *_: Any) -> dict[str, Any]:
        if self.position >= len(self.items):
            return {"value": undefined, "done": True}
        self.position += 1
        return {"value": self.items[self.position - 1], "done": False}


JSIterator.JS_METHODS = {
    "next": JSIterator.next,
    "toArray": lambda it, *_: it.js_iter(),
}


class JSMethod:
    """A transpiled function that reads ``this``: ``fn(this, *args)``; a method call
    (``obj.m()``) passes the receiver, a plain call passes undefined."""

    __slots__ = ("__name__", "fn")

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", "method")

    def __call__(self, *args: Any) -> Any:
        return self.fn(undefined, *args)


def js_method(fn: Callable[..., Any]) -> JSMethod:
    """Decorator for transpiled functions that use ``this``."""
    return JSMethod(fn)


# -- errors --------------------------------------------------------------------------


class JSError(Exception):
    """A JS ``Error`` (and the base of its subclasses); also a Python exception."""

    js_name: ClassVar[str] = "Error"

    def __init__(self, message: Any = undefined, options: Any = undefined) -> None:
        from ._convert import to_string

        self.props: dict[str, Any] = {}
        text = "" if message is undefined else to_string(message)
        self.props["message"] = text
        if isinstance(options, dict) and "cause" in options:
            self.props["cause"] = options["cause"]
        super().__init__(text)

    @property
    def message(self) -> str:
        value = self.props.get("message", "")
        return value if isinstance(value, str) else str(value)

    def __str__(self) -> str:
        return self.message

    @classmethod
    def js_instance_check(cls, value: object) -> bool:
        if cls is JSError:
            return isinstance(value, Exception) and not isinstance(value, JSThrow)
        return isinstance(value, cls)


class JSTypeError(JSError):
    js_name = "TypeError"


class JSRangeError(JSError):
    js_name = "RangeError"


class JSSyntaxError(JSError):
    js_name = "SyntaxError"


class JSReferenceError(JSError):
    js_name = "ReferenceError"


def error_name(error: BaseException) -> str:
    """An error's name as JavaScript shows it (``TypeError``, ``Uncaught``, ...)."""
    if isinstance(error, JSError | JSThrow):
        return error.js_name
    return type(error).__name__


class JSThrow(Exception):
    """Carries a thrown value that is not an Error (``throw "text"``, ``throw {code}``)."""

    js_name = "Uncaught"

    def __init__(self, value: Any) -> None:
        from ._convert import to_string

        self.value = value
        super().__init__(to_string(value))


def js_throw(value: Any) -> BaseException:
    """The Python exception that ``throw value`` raises."""
    if isinstance(value, Exception):
        return value
    return JSThrow(value)


_PYTHON_ERRORS: dict[type[BaseException], type[JSError]] = {
    RecursionError: JSRangeError,
    TypeError: JSTypeError,
    AttributeError: JSTypeError,
    KeyError: JSTypeError,
    IndexError: JSRangeError,
    ValueError: JSTypeError,
    ZeroDivisionError: JSRangeError,
    OverflowError: JSRangeError,
}


def js_caught(exc: BaseException) -> Any:
    """The JS value a ``catch (e)`` clause binds for a caught Python exception."""
    if isinstance(exc, JSThrow):
        return exc.value
    if isinstance(exc, JSError):
        return exc
    for cls in type(exc).__mro__:
        target = _PYTHON_ERRORS.get(cls)
        if target is not None:
            message = "Maximum call stack size exceeded" if cls is RecursionError else str(exc)
            return target(message)
    return exc
