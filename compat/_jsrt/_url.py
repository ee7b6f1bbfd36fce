"""URL and the URLSearchParams of ``url.searchParams``, as the WHATWG URL Standard says.

Parsing is ada's (``ada_url``), the WHATWG parser Node itself uses since 18.17: a
hand-written parser on ``urllib.parse`` (RFC 3986) got the Standard wrong in ways
scripts see — no dot-segment removal or percent-encoding of paths, no IDNA, ports kept,
``origin`` never "null" — and scripts build dedupe keys from ``hostname + pathname``,
so every difference from Node splits or merges keys. This module only adapts ada to
the JS object model: properties, setters that ignore invalid values (``href`` throws),
errors shaped as Node's, and a ``searchParams`` kept in step with ``search``.

JS strings reach ada as USV strings, as WebIDL converts them: a lone surrogate becomes
U+FFFD (which ada then percent-encodes where it lands in the URL).

One check is added on top of ada 4.0: it accepts any ``xn--`` label, where the Standard
(UTS #46 ToUnicode) and Node reject a label whose Punycode does not decode to a valid
label (``xn--a``, ``xn--zz``). ada follows the current Standard where Node 20 predates
it: ``^`` in a path is percent-encoded (``%5E``), as in newer Node releases.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import Any, ClassVar

import ada_url

from ._convert import to_string
from ._values import JSIterator, JSMethod, JSObjectBase, JSTypeError, is_callable, undefined

__all__ = ["JSURL", "URL_STATICS", "JSURLSearchParams"]

_READABLE = ("href", "origin", "protocol", "username", "password", "host", "hostname",
             "port", "pathname", "search", "hash")
_WRITABLE = frozenset(_READABLE) - {"origin", "href"}
# Looked up at import: the codec module loads from disk, which a running script may not.
_PUNYCODE = codecs.lookup("punycode")


def _usv(value: Any) -> str:
    """A JS value as a USV string: ToString, then lone surrogates -> U+FFFD."""
    text = to_string(value)
    if text.isascii() or not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _missing_args(names: str) -> JSTypeError:
    error = JSTypeError(f"The {names} must be specified")
    error.props["code"] = "ERR_MISSING_ARGS"
    return error


def _invalid_url(text: str, base: str | None) -> JSTypeError:
    error = JSTypeError("Invalid URL")
    error.props["code"] = "ERR_INVALID_URL"
    error.props["input"] = text
    if base is not None:
        error.props["base"] = base
    return error


def _valid_label(label: str) -> bool:
    if not label.startswith("xn--"):
        return True
    try:
        decoded, _ = _PUNYCODE.decode(label[4:].encode("ascii"))
    except (UnicodeError, ValueError):
        return False
    return bool(decoded) and bool(ada_url.idna_to_ascii(decoded))


def _valid_host(url: ada_url.URL) -> bool:
    """Whether every ``xn--`` label of a parsed URL's host is valid Punycode (ada 4.0
    lets invalid ones through; an opaque host is percent-encoded, so it has none)."""
    host = url.hostname
    return "xn--" not in host or all(_valid_label(label) for label in host.split("."))


def _parse(url: Any, base: Any) -> ada_url.URL | None:
    try:
        if base is undefined:
            parsed = ada_url.URL(_usv(url))
        else:
            parsed = ada_url.URL(_usv(url), _usv(base))
    except ValueError:
        return None
    return parsed if _valid_host(parsed) else None


class JSURL(JSObjectBase):
    """A JS ``URL``; ``new URL(input, base?)`` throws TypeError "Invalid URL" as Node."""

    __slots__ = ("_expando", "_params", "_url")
    js_class = "URL"
    JS_METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, *args: Any) -> None:
        if not args:
            raise _missing_args('"url" argument')
        url, base = args[0], args[1] if len(args) > 1 else undefined
        parsed = _parse(url, base)
        if parsed is None:
            raise _invalid_url(_usv(url), None if base is undefined else _usv(base))
        self._url = parsed
        self._params: JSURLSearchParams | None = None
        self._expando: dict[str, Any] = {}

    @property
    def href(self) -> str:
        return self._url.href

    def js_property(self, key: str) -> Any:
        if key == "searchParams":
            if self._params is None:
                self._params = JSURLSearchParams(self._url.search, owner=self)
            return self._params
        if key in _READABLE:
            return getattr(self._url, key)
        return self._expando.get(key, undefined)

    def js_own_keys(self) -> list[str]:
        return list(self._expando)

    def js_set_property(self, key: str, value: Any) -> None:
        if key == "href":
            parsed = _parse(value, undefined)
            if parsed is None:
                raise _invalid_url(_usv(value), None)
            self._url = parsed
        elif key in _WRITABLE:
            self._set_part(key, _usv(value))
        elif key not in ("origin", "searchParams"):  # getters only: assigning is a no-op
            self._expando[key] = value
            return
        if self._params is not None and key in ("href", "search"):
            self._params.reparse(self._url.search)

    def _set_part(self, key: str, value: str) -> None:
        before = self._url.href
        try:
            setattr(self._url, key, value)
        except ValueError:
            return  # as in JS: a setter given an invalid value changes nothing
        if not _valid_host(self._url):
            self._url = ada_url.URL(before)

    def update_search(self, query: str) -> None:
        """``searchParams`` changed: its serialization becomes the query (none if empty)."""
        if query:
            self._url.search = query
        else:
            del self._url.search

    def js_to_string(self) -> str:
        return self._url.href


JSURL.JS_METHODS = {
    "toString": lambda u, *_: u.href,
    "toJSON": lambda u, *_: u.href,
}


def _can_parse(url: Any = undefined, base: Any = undefined, *_: Any) -> bool:
    return _parse(url, base) is not None


def _url_parse(url: Any = undefined, base: Any = undefined, *_: Any) -> JSURL | None:
    try:
        return JSURL(url, base) if base is not undefined else JSURL(url)
    except JSTypeError:
        return None


URL_STATICS: dict[str, Any] = {"canParse": _can_parse, "parse": _url_parse}


class _ParamsIterator(JSIterator):
    __slots__ = ()
    js_class = "URLSearchParams Iterator"


class JSURLSearchParams(JSObjectBase):
    """``url.searchParams``: the query as name/value pairs; every change is written back
    to the URL it belongs to, and a new ``search`` or ``href`` re-reads it."""

    __slots__ = ("_owner", "_pairs")
    js_class = "URLSearchParams"
    JS_METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, query: str, owner: JSURL | None = None) -> None:
        self._pairs = ada_url.URLSearchParams(query)
        self._owner = owner

    def reparse(self, query: str) -> None:
        self._pairs = ada_url.URLSearchParams(query)

    def _changed(self) -> None:
        if self._owner is not None:
            self._owner.update_search(str(self._pairs))

    def items(self) -> Iterator[tuple[str, str]]:
        return self._pairs.items()

    def js_property(self, key: str) -> Any:
        return self._pairs.size if key == "size" else undefined

    def js_iter(self) -> list[list[str]]:
        return [[name, value] for name, value in self._pairs.items()]

    def js_to_string(self) -> str:
        return str(self._pairs)

    def append(self, *args: Any) -> Any:
        if len(args) < 2:
            raise _missing_args('"name" and "value" arguments')
        self._pairs.append(_usv(args[0]), _usv(args[1]))
        self._changed()
        return undefined

    def set(self, *args: Any) -> Any:
        if len(args) < 2:
            raise _missing_args('"name" and "value" arguments')
        self._pairs.set(_usv(args[0]), _usv(args[1]))
        self._changed()
        return undefined

    def delete(self, *args: Any) -> Any:
        if not args:
            raise _missing_args('"name" argument')
        value = None if len(args) < 2 or args[1] is undefined else _usv(args[1])
        self._pairs.delete(_usv(args[0]), value)
        self._changed()
        return undefined

    def sort(self, *_: Any) -> Any:
        self._pairs.sort()  # type: ignore[no-untyped-call]  # ada_url leaves it unannotated
        self._changed()
        return undefined

    def get(self, *args: Any) -> str | None:
        if not args:
            raise _missing_args('"name" argument')
        name = _usv(args[0])
        return self._pairs.get(name) if self._pairs.has(name) else None

    def get_all(self, *args: Any) -> list[str]:
        if not args:
            raise _missing_args('"name" argument')
        return self._pairs.get_all(_usv(args[0]))

    def has(self, *args: Any) -> bool:
        if not args:
            raise _missing_args('"name" argument')
        value = None if len(args) < 2 or args[1] is undefined else _usv(args[1])
        return bool(self._pairs.has(_usv(args[0]), value))

    def for_each(self, fn: Any = undefined, this: Any = undefined, *_: Any) -> Any:
        if not is_callable(fn):
            raise JSTypeError(f"The \"callback\" argument must be of type function. "
                              f"Received {to_string(fn)}")
        for name, value in list(self._pairs.items()):
            if type(fn) is JSMethod:
                fn.fn(this, value, name, self)
            else:
                fn(value, name, self)
        return undefined


JSURLSearchParams.JS_METHODS = {
    "append": JSURLSearchParams.append,
    "set": JSURLSearchParams.set,
    "delete": JSURLSearchParams.delete,
    "sort": JSURLSearchParams.sort,
    "get": JSURLSearchParams.get,
    "getAll": JSURLSearchParams.get_all,
    "has": JSURLSearchParams.has,
    "forEach": JSURLSearchParams.for_each,
    "toString": lambda p, *_: p.js_to_string(),
    "keys": lambda p, *_: _ParamsIterator([name for name, _v in p.items()]),
    "values": lambda p, *_: _ParamsIterator([value for _n, value in p.items()]),
    "entries": lambda p, *_: _ParamsIterator(p.js_iter()),
}
