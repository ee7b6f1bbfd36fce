"""Date (UTC only, never the clock): the object, its fields, setters and string forms.

The runtime has no local time zone: local time is UTC, so ``getHours`` equals
``getUTCHours``, ``getTimezoneOffset()`` is 0 and ``toString`` ends in ``GMT+0000
(Coordinated Universal Time)``, as Node prints under ``TZ=UTC``. Fields come from integer
day arithmetic (:mod:`._date_calendar`), so every time value in ±8.64e15 ms (years -271821
to 275760) reads and prints as in Node: ``+275760-09-13T00:00:00.000Z`` and
``-000001-01-01…`` in ISO form, ``Fri Jan 01 -0001`` in the others. Where the spec leaves
the edges to the engine (the bounds of ``Date.UTC``'s fields), this follows V8's
``builtins-date.cc``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

from ._convert import to_number, to_primitive, to_string
from ._date_calendar import (
    DAY_NAMES,
    MONTH_NAMES,
    MS_PER_DAY,
    civil_from_days,
    make_date,
    make_day,
    make_time,
    time_clip,
)
from ._date_parse import parse_date
from ._values import JSError, JSObjectBase, JSRangeError, undefined

__all__ = ["JSDate", "date_parse", "date_utc", "new_date"]

_ZONE = "GMT+0000 (Coordinated Universal Time)"


class DateUnavailable(JSError):
    js_name = "Error"


class _Fields(NamedTuple):
    """A valid time value's fields (month 0-based, ``day`` the weekday, Sunday 0)."""

    year: int
    month: int
    date: int
    day: int
    hours: int
    minutes: int
    seconds: int
    ms: int


def _fields(time: int) -> _Fields:
    days, in_day = divmod(time, MS_PER_DAY)
    year, month, date = civil_from_days(days)
    seconds, ms = divmod(in_day, 1000)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return _Fields(year, month, date, (days + 4) % 7, hours, minute, second, ms)


def _full_year(year: float) -> float:
    """A year of 0-99 means 1900-1999 (``Date.UTC``, ``new Date(y, m)``, ``setYear``)."""
    if math.isfinite(year) and 0 <= math.trunc(year) <= 99:
        return 1900.0 + math.trunc(year)
    return year


def date_parse(text: Any = undefined, *_: Any) -> int | float:
    """``Date.parse``: the ISO format and V8's legacy forms (see :mod:`._date_parse`)."""
    return parse_date(to_string(text))


def date_utc(*parts: Any) -> int | float:
    """``Date.UTC(year, month = 0, date = 1, hours, minutes, seconds, ms = 0)``."""
    given = [float(to_number(p)) for p in parts[:7]]
    year, month, date, *clock = given + [math.nan, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0][len(given):]
    return time_clip(make_date(make_day(_full_year(year), month, date), make_time(*clock)))


class JSDate(JSObjectBase):
    """A Date: a time value (whole ms since the epoch, within ±8.64e15) or NaN."""

    __slots__ = ("time",)
    js_class = "Date"
    JS_METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, time: float) -> None:
        self.time = time_clip(time)

    @property
    def valid(self) -> bool:
        return self.time == self.time

    def set(self, time: float) -> int | float:
        """Store ``time`` clipped (NaN when out of range) and return it, as setters do."""
        self.time = time_clip(time)
        return self.time

    def fields(self) -> _Fields:
        return _fields(int(self.time))

    def iso(self, *_: Any) -> str:
        """``toISOString``: years outside 0-9999 take a sign and six digits."""
        if not self.valid:
            raise JSRangeError("Invalid time value")
        f = self.fields()
        year = f"{f.year:04d}" if 0 <= f.year <= 9999 else f"{f.year:+07d}"
        return (f"{year}-{f.month + 1:02d}-{f.date:02d}T{f.hours:02d}:{f.minutes:02d}:"
                f"{f.seconds:02d}.{f.ms:03d}Z")

    def js_primitive(self, hint: str) -> Any:
        return self.time if hint == "number" else self.js_to_string()

    def js_to_string(self) -> str:
        return _text(self, lambda f: f"{_day_text(f)} {_time_text(f)}")


def _year_text(year: int) -> str:
    return f"{year:05d}" if year < 0 else f"{year:04d}"  # -0001: the sign is one of 5


def _day_text(f: _Fields) -> str:
    return f"{DAY_NAMES[f.day]} {MONTH_NAMES[f.month]} {f.date:02d} {_year_text(f.year)}"


def _time_text(f: _Fields) -> str:
    return f"{f.hours:02d}:{f.minutes:02d}:{f.seconds:02d} {_ZONE}"


def _utc_text(f: _Fields) -> str:
    return (f"{DAY_NAMES[f.day]}, {f.date:02d} {MONTH_NAMES[f.month]} {_year_text(f.year)} "
            f"{f.hours:02d}:{f.minutes:02d}:{f.seconds:02d} GMT")


def _text(date: JSDate, form: Callable[[_Fields], str]) -> str:
    return form(date.fields()) if date.valid else "Invalid Date"


def _formatter(form: Callable[[_Fields], str]) -> Callable[..., str]:
    return lambda d, *_: _text(d, form)


def _getter(field: int, offset: int = 0) -> Callable[..., int | float]:
    return lambda d, *_: d.fields()[field] + offset if d.valid else math.nan


def _arguments(args: tuple[Any, ...], most: int) -> list[float]:
    """The setter's arguments as numbers: at least one (undefined makes NaN), at most
    ``most``; the fields after them keep their values."""
    return [float(to_number(a)) for a in args[:most] or (undefined,)]


def _time_setter(first: int) -> Callable[..., int | float]:
    """``setHours``/``setMinutes``/``setSeconds``/``setMilliseconds`` (and ``setUTC…``):
    the clock fields from ``first`` on, as many as given."""

    def set_clock(date: JSDate, *args: Any) -> int | float:
        values = _arguments(args, 4 - first)
        if not date.valid:
            return date.time
        f, time = date.fields(), int(date.time)
        clock = [float(f.hours), float(f.minutes), float(f.seconds), float(f.ms)]
        clock[first:first + len(values)] = values
        return date.set(make_date(float(time // MS_PER_DAY), make_time(*clock)))

    return set_clock


def _day_setter(first: int) -> Callable[..., int | float]:
    """``setFullYear``/``setMonth``/``setDate`` (and ``setUTC…``): the calendar fields from
    ``first`` on. Only ``setFullYear`` makes an Invalid Date valid (from 1970-01-01)."""

    def set_day(date: JSDate, *args: Any) -> int | float:
        values = _arguments(args, 3 - first)
        if not date.valid and first > 0:
            return date.time
        time = int(date.time) if date.valid else 0
        f = _fields(time)
        day = [float(f.year), float(f.month), float(f.date)]
        day[first:first + len(values)] = values
        return date.set(make_date(make_day(*day), float(time % MS_PER_DAY)))

    return set_day


def _set_year(date: JSDate, year: Any = undefined, *_: Any) -> int | float:
    """The legacy ``setYear``: 0-99 mean 1900-1999."""
    value = float(to_number(year))
    if value != value:
        return date.set(math.nan)
    return _SETTERS["FullYear"](date, _full_year(value))


def _set_time(date: JSDate, time: Any = undefined, *_: Any) -> int | float:
    return date.set(float(to_number(time)))


def _to_json(date: JSDate, *_: Any) -> str | None:
    return date.iso() if date.valid else None


_FIELDS = ("FullYear", "Month", "Date", "Day", "Hours", "Minutes", "Seconds", "Milliseconds")
_SETTERS = {"FullYear": _day_setter(0), "Month": _day_setter(1), "Date": _day_setter(2),
            "Hours": _time_setter(0), "Minutes": _time_setter(1), "Seconds": _time_setter(2),
            "Milliseconds": _time_setter(3)}

JSDate.JS_METHODS = {
    "getTime": lambda d, *_: d.time,
    "valueOf": lambda d, *_: d.time,
    "setTime": _set_time,
    "toISOString": JSDate.iso,
    "toJSON": _to_json,
    "toString": lambda d, *_: d.js_to_string(),
    "toDateString": _formatter(_day_text),
    "toTimeString": _formatter(_time_text),
    "toUTCString": _formatter(_utc_text),
    "toGMTString": _formatter(_utc_text),
    **{f"get{name}": _getter(i) for i, name in enumerate(_FIELDS)},
    **{f"getUTC{name}": _getter(i) for i, name in enumerate(_FIELDS)},
    "getYear": _getter(0, -1900),
    "getTimezoneOffset": lambda d, *_: 0 if d.valid else math.nan,
    **{f"set{name}": setter for name, setter in _SETTERS.items()},
    **{f"setUTC{name}": setter for name, setter in _SETTERS.items()},
    "setYear": _set_year,
}


def new_date(*args: Any) -> JSDate:
    """``new Date(value)`` or ``new Date(year, month, …)`` (fields in UTC, the local time);
    ``new Date()`` would read the clock, which workflows may not."""
    if not args:
        raise DateUnavailable("new Date() is unavailable in workflows: pass timestamps in args")
    if len(args) > 1:
        return JSDate(date_utc(*args))
    value = args[0]
    if isinstance(value, JSDate):
        return JSDate(value.time)
    value = to_primitive(value)
    return JSDate(date_parse(value) if isinstance(value, str) else float(to_number(value)))
