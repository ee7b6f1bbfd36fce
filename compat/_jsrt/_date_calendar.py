"""Time values and the proleptic Gregorian calendar: ECMA-262's date arithmetic (§21.4.1)
as V8 does it (``src/date/date.cc``, ``src/builtins/builtins-date.cc``), for :mod:`._date`
and :mod:`._date_parse`.

A time value is a whole number of milliseconds since 1970-01-01T00:00Z within ±8.64e15
(years -271821 to 275760). Days convert to and from civil dates with Howard Hinnant's
integer algorithms (``days_from_civil``/``civil_from_days``), not :mod:`datetime`, which
stops at years 1-9999. ``make_time``/``make_day``/``make_date``/``time_clip`` keep V8's
double arithmetic and its bounds on year and month, so out-of-range fields given to a
setter or ``Date.UTC`` roll over, or give Invalid Date, exactly as in Node.
"""

from __future__ import annotations

import math

from ._values import num

__all__ = ["DAY_NAMES", "MAX_TIME", "MONTH_NAMES", "MS_PER_DAY", "civil_from_days",
           "days_from_civil", "make_date", "make_day", "make_time", "time_clip"]

MAX_TIME = 8.64e15
"""The largest time value magnitude (100,000,000 days either side of the epoch)."""
MS_PER_DAY = 86_400_000
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")
DAY_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_MAX_YEAR = 1_000_000
"""V8's ``kMaxYear`` (``kMinYear`` is its negation): a wider year is Invalid Date even when
a month offset would bring it back (where the spec would accept it)."""
_MAX_MONTH = 10_000_000
"""V8's ``kMaxMonth`` (``kMinMonth`` is its negation)."""


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 for a proleptic Gregorian date (month 0-based, may overflow)."""
    year += month // 12
    month = month % 12 + 1
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468 + day - 1


def civil_from_days(days: int) -> tuple[int, int, int]:
    """The proleptic Gregorian (year, 0-based month, day) of a day number since the epoch."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 2 if mp < 10 else mp - 10  # March-based to 0-based January
    return yoe + era * 400 + (month <= 1), month, day


def _integer(value: float) -> float:
    """ToIntegerOrInfinity of a finite number, as a double."""
    return float(math.trunc(value))


def make_time(hour: float, minute: float, second: float, ms: float) -> float:
    """MakeTime: milliseconds into the day, by V8's double arithmetic (NaN if not finite)."""
    if not all(math.isfinite(v) for v in (hour, minute, second, ms)):
        return math.nan
    return (_integer(hour) * 3_600_000.0 + _integer(minute) * 60_000.0
            + _integer(second) * 1000.0 + _integer(ms))


def make_day(year: float, month: float, date: float) -> float:
    """MakeDay: the day number of ``date`` in ``month`` of ``year`` (both may overflow)."""
    if not (-_MAX_YEAR <= year <= _MAX_YEAR and -_MAX_MONTH <= month <= _MAX_MONTH
            and math.isfinite(date)):
        return math.nan
    first = days_from_civil(math.trunc(year), math.trunc(month), 1)
    return float(first - 1) + _integer(date)


def make_date(day: float, time: float) -> float:
    """MakeDate: a day number and milliseconds into it, as a (not yet clipped) time."""
    if not (math.isfinite(day) and math.isfinite(time)):
        return math.nan
    return time + day * MS_PER_DAY


def time_clip(time: float) -> int | float:
    """TimeClip: a whole number of milliseconds within ±8.64e15, else NaN."""
    if not -MAX_TIME <= time <= MAX_TIME:
        return math.nan
    return num(_integer(time) + 0.0)
