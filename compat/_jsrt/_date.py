"""Date (UTC only, never the clock) and URL."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from ._convert import to_number, to_string
from ._values import JSError, JSObjectBase, JSTypeError, num, undefined

__all__ = ["JSURL", "JSDate", "date_parse", "date_utc", "new_date"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ISO = re.compile(
    r"([+-]\d{6}|\d{4})(?:-(\d\d)(?:-(\d\d))?)?"
    r"(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d\d:?\d\d)?$")
_MAX_TIME = 8.64e15


class DateUnavailable(JSError):
    js_name = "Error"


def date_parse(text: Any = undefined, *_: Any) -> int | float:
    match = _ISO.match(to_string(text).strip())
    if match is None:
        return math.nan
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        moment = dt.datetime(int(year), int(month or 1), int(day or 1), int(hour or 0),
                             int(minute or 0), int(second or 0), tzinfo=dt.UTC)
    except ValueError:
        return math.nan
    ms = (moment - _EPOCH) // dt.timedelta(milliseconds=1)
    if frac:
        ms += int(frac[:3].ljust(3, "0"))
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        ms -= sign * (int(digits[:2]) * 60 + int(digits[2:])) * 60000
    return ms


def date_utc(*parts: Any) -> int | float:
    values = [to_number(p) for p in parts] + [0] * (7 - len(parts))
    if any(v != v or math.isinf(v) for v in values[:max(len(parts), 1)]):
        return math.nan
    year, month, day = int(values[0]), int(values[1]), int(values[2]) if len(parts) > 2 else 1
    if 0 <= year <= 99:
        year += 1900
    year += month // 12
    month %= 12
    base = dt.datetime(year, month + 1, 1, tzinfo=dt.UTC)
    ms = (base - _EPOCH) // dt.timedelta(milliseconds=1)
    ms += ((day - 1) * 86400 + int(values[3]) * 3600 + int(values[4]) * 60
           + int(values[5])) * 1000 + int(values[6])
    return ms


class JSDate(JSObjectBase):
    __slots__ = ("time",)
    js_class = "Date"
    JS_METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, time: float) -> None:
        self.time = num(float(int(time))) if abs(time) <= _MAX_TIME else math.nan

    def _moment(self) -> dt.datetime:
        if self.time != self.time:
            raise JSError("Invalid time value")
        return _EPOCH + dt.timedelta(milliseconds=self.time)

    def iso(self, *_: Any) -> str:
        if self.time != self.time:
            from ._values import JSRangeError

            raise JSRangeError("Invalid time value")
        moment = self._moment()
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def js_primitive(self, hint: str) -> Any:
        return self.time if hint == "number" else self.js_to_string()

    def js_to_string(self) -> str:
        if self.time != self.time:
            return "Invalid Date"
        return self._moment().strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")

    def part(self, name: str) -> int | float:
        if self.time != self.time:
            return math.nan
        moment = self._moment()
        return {
            "year": moment.year, "month": moment.month - 1, "date": moment.day,
            "day": (moment.weekday() + 1) % 7, "hours": moment.hour, "minutes": moment.minute,
            "seconds": moment.second, "ms": moment.microsecond // 1000,
        }[name]


_PARTS = {"FullYear": "year", "Month": "month", "Date": "date", "Day": "day",
          "Hours": "hours", "Minutes": "minutes", "Seconds": "seconds", "Milliseconds": "ms"}
def _getter(key: str) -> Any:
    return lambda d, *_: d.part(key)


JSDate.JS_METHODS = {
    "getTime": lambda d, *_: d.time,
    "valueOf": lambda d, *_: d.time,
    "toISOString": JSDate.iso,
    "toJSON": lambda d, *_: None if d.time != d.time else d.iso(),
    "toString": lambda d, *_: d.js_to_string(),
    "toUTCString": lambda d, *_: d._moment().strftime("%a, %d %b %Y %H:%M:%S GMT"),
    "toDateString": lambda d, *_: d._moment().strftime("%a %b %d %Y"),
    **{f"get{name}": _getter(key) for name, key in _PARTS.items()},
    **{f"getUTC{name}": _getter(key) for name, key in _PARTS.items()},
    "getTimezoneOffset": lambda d, *_: 0,
}


def new_date(*args: Any) -> JSDate:
    if not args:
        raise DateUnavailable("new Date() is unavailable in workflows: pass timestamps in args")
    if len(args) == 1:
        value = args[0]
        if isinstance(value, JSDate):
            return JSDate(value.time)
        if isinstance(value, str):
            return JSDate(date_parse(value))
        return JSDate(to_number(value))
    return JSDate(date_utc(*args))


class JSURL(JSObjectBase):
    __slots__ = ("href", "parts")
    js_class = "URL"
    JS_METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, url: Any = undefined, base: Any = undefined) -> None:
        text = to_string(url)
        if base is not undefined:
            text = urljoin(to_string(base), text)
        parts = urlsplit(text)
        if not parts.scheme or not (parts.netloc or parts.scheme in ("mailto", "data", "file")):
            raise JSTypeError(f"Invalid URL: {to_string(url)}")
        path = parts.path or ("/" if parts.netloc else "")
        self.parts = parts._replace(path=path, scheme=parts.scheme.lower(),
                                    netloc=parts.netloc.lower())
        self.href = self.parts.geturl()
        if parts.netloc and not parts.path and not (parts.query or parts.fragment):
            self.href += "/"

    def js_property(self, key: str) -> Any:
        p = self.parts
        host = p.hostname or ""
        port = "" if p.port is None else str(p.port)
        values = {
            "href": self.href,
            "protocol": p.scheme + ":",
            "host": host + (":" + port if port else ""),
            "hostname": host,
            "port": port,
            "pathname": p.path,
            "search": "?" + p.query if p.query else "",
            "hash": "#" + p.fragment if p.fragment else "",
            "origin": f"{p.scheme}://{host}" + (":" + port if port else ""),
            "username": p.username or "",
            "password": p.password or "",
        }
        return values.get(key, undefined)

    def js_to_string(self) -> str:
        return self.href


JSURL.JS_METHODS = {"toString": lambda u, *_: u.href, "toJSON": lambda u, *_: u.href}
