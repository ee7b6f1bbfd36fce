"""Dates across the whole JS time range (±8.64e15 ms) read, print and set as in Node."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compat._jsrt._date import JSDate, date_utc
from compat._jsrt._values import JSRangeError

MAX = 8_640_000_000_000_000

# time values: the range's ends and one past them, the edges of years 0-9999 and of the
# extended ISO years, leap days and centuries, fractions (truncated) and spread samples
TIMES: list[Any] = [
    0, -1, 1, MAX, -MAX, MAX + 1, -MAX - 1, MAX - 1, -MAX + 1, 1.5, -1.5, 1e20, "NaN",
    -62198755200000, -62198755200001, -62167219200000, -62167219200001, -62135596800000,
    -62135596800001, 253402300799999, 253402300800000, 951782400000, 951868800000,
    4107542400000, -2208988800000, -5364662400000, -12219292800000, -8 * 10**15, -10**15,
    -3 * 10**14, 3 * 10**14, 10**15, 5 * 10**15, 86 * 10**14, -123456789012345,
    123456789012345, -62198668800001,
]

STRINGS = [
    "Sep 13 275760", "Sep 14 275760", "Sep 13 275760 00:00:00.001 GMT", "-000001-01-01T00:00:00Z",
    "+275760-09-13T00:00:00.000Z", "+275760-09-13T00:00:00.001Z", "-271821-04-20T00:00:00Z",
    "-271821-04-19T23:59:59.999Z", "+010000-01-01", "0000-01-01", "-000100-02-29",
    "+100000-02-29T12:34:56.789Z", "Dec 31 99999 23:59:59", "Apr 20 -271821",
]

# [time, method, arguments]: each setter at the range's ends, on Invalid Date, with too few,
# non-numeric, fractional and overflowing arguments
SETTERS: list[Any] = [
    [MAX, "setMilliseconds", [0]], [MAX, "setMilliseconds", [1]], [MAX, "setUTCSeconds", [-1]],
    [-MAX, "setUTCHours", [-1]], [-MAX, "setDate", [21]], [-MAX, "setMonth", [3, 19]],
    [-MAX, "setUTCMonth", [4, 1]], [0, "setFullYear", [275760, 8, 13]],
    [0, "setFullYear", [275760, 8, 14]], [0, "setUTCFullYear", [-271821, 3, 20]],
    [0, "setUTCFullYear", [1000000]], [0, "setFullYear", [-1]], [0, "setFullYear", [10000, 0]],
    ["NaN", "setFullYear", [2024]], ["NaN", "setUTCFullYear", [2024, 1, 29]],
    ["NaN", "setMonth", [1]], ["NaN", "setHours", [1]], ["NaN", "setDate", [1]],
    ["NaN", "setMilliseconds", [1]], [0, "setYear", [99]], [0, "setYear", [-1]],
    [0, "setYear", [100]], [0, "setYear", [275760]], ["NaN", "setYear", [5]],
    [0, "setYear", ["NaN"]], [0, "setYear", [99.9]], [0, "setHours", [1, 2, 3, 4]],
    [0, "setHours", [25]], [0, "setUTCHours", [1, "x"]], [0, "setMinutes", [-1]],
    [0, "setMinutes", [1, 2, 3]], [0, "setSeconds", [1e20]], [0, "setSeconds", [59, 999]],
    [0, "setMilliseconds", [1.9]], [0, "setMilliseconds", [-1.9]], [0, "setMilliseconds", []],
    [0, "setMonth", [-1]], [0, "setMonth", [10**7]], [0, "setMonth", [-2 * 10**7]],
    [0, "setMonth", [1, 31]], [0, "setDate", [10**8]], [0, "setDate", [10**8 + 1]],
    [0, "setDate", [-10**8 + 1]], [0, "setUTCDate", ["Infinity"]], [0, "setTime", [MAX]],
    [0, "setTime", ["8.64e15"]], [0, "setTime", [MAX + 1]], [0, "setTime", []],
    [0, "setTime", [-0.5]], [951782400000, "setFullYear", [2001]],
    [-62198755200000, "setUTCFullYear", [0]], [MAX, "setFullYear", [275760]],
]

# Date.UTC's arguments (and new Date's, from two on): defaults, 0-99 years, V8's year and
# month bounds, the range's ends, fractions and overflowing fields
UTC: list[Any] = [
    [], [2024], [99], [100], [-1], [0, 0], [275760, 8, 13], [275760, 8, 13, 0, 0, 0, 1],
    [-271821, 3, 20], [-271821, 3, 19, 23, 59, 59, 999], [1000000], [-1000000, 0],
    [1000001, -12000012], [2024, 10**7], [2024, -(10**7)], [1970, 0, 10**8],
    [1970, 0, 10**8 + 1], [2024.9, 1.9, 1.9, 1.9, 1.9, 1.9, 1.9], [-0.5], ["NaN"],
    [2024, 0, 1, 0, 0, 0, 1e20], [1970, 0, 1, 2400000000], [2024, "Infinity"],
    [99.5, 11, 31, 23, 59, 59, 999], [-271822, 12 * 271822 + 3, 20], [2024, 0, 1, 0, 0, 0, 0, 9],
]

_TABLE = """
const show = (f) => { try { return String(f()); } catch (e) { return `${e.name}: ${e.message}`; } };
const describe = (d) => [
  d.getTime(), show(() => d.toISOString()), d.toString(), d.toUTCString(), d.toGMTString(),
  d.toDateString(), d.toTimeString(), JSON.stringify(d), JSON.stringify(d.toJSON()),
  d.getFullYear(), d.getMonth(), d.getDate(), d.getDay(), d.getHours(), d.getMinutes(),
  d.getSeconds(), d.getMilliseconds(), d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(),
  d.getUTCDay(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds(),
  d.getYear(), d.getTimezoneOffset(), `${d}`, d + "", +d,
].join(" | ");
const setter = ([t, name, xs]) => {
  const d = new Date(Number(t));
  const r = d[name](...xs);
  return `${t} ${name}(${xs.join(", ")}) => ${r} ${describe(d)}`;
};
return [
  ...args.times.map((t) => `${t} => ${describe(new Date(Number(t)))}`),
  ...args.strings.map((s) => `${JSON.stringify(s)} => ${describe(new Date(s))}`),
  ...args.setters.map(setter),
  ...args.utc.map((xs) => `UTC(${xs.join(", ")}) => ${Date.UTC(...xs)}`),
  ...args.utc.filter((xs) => xs.length > 1)
    .map((xs) => `new Date(${xs.join(", ")}) => ${describe(new Date(...xs))}`),
];
"""


def test_dates_across_the_time_range_match_node(
    js: Callable[..., Path], oracle_diff: Callable[[Path, Any], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Node's local time zone must be UTC, which is the runtime's local time
    monkeypatch.setenv("TZ", "UTC")
    cases = {"times": TIMES, "strings": STRINGS, "setters": SETTERS, "utc": UTC}
    assert oracle_diff(js(_TABLE), cases) == []


# pinned from Node 20 (TZ=UTC), so the range is checked where Node is missing too
PINNED = [
    (MAX, "+275760-09-13T00:00:00.000Z",
     "Sat Sep 13 275760 00:00:00 GMT+0000 (Coordinated Universal Time)",
     "Sat, 13 Sep 275760 00:00:00 GMT"),
    (-MAX, "-271821-04-20T00:00:00.000Z",
     "Tue Apr 20 -271821 00:00:00 GMT+0000 (Coordinated Universal Time)",
     "Tue, 20 Apr -271821 00:00:00 GMT"),
    (-62198755200000, "-000001-01-01T00:00:00.000Z",
     "Fri Jan 01 -0001 00:00:00 GMT+0000 (Coordinated Universal Time)",
     "Fri, 01 Jan -0001 00:00:00 GMT"),
    (-62135596800001, "0000-12-31T23:59:59.999Z",
     "Sun Dec 31 0000 23:59:59 GMT+0000 (Coordinated Universal Time)",
     "Sun, 31 Dec 0000 23:59:59 GMT"),
    (253402300800000, "+010000-01-01T00:00:00.000Z",
     "Sat Jan 01 10000 00:00:00 GMT+0000 (Coordinated Universal Time)",
     "Sat, 01 Jan 10000 00:00:00 GMT"),
    (-1, "1969-12-31T23:59:59.999Z",
     "Wed Dec 31 1969 23:59:59 GMT+0000 (Coordinated Universal Time)",
     "Wed, 31 Dec 1969 23:59:59 GMT"),
]


@pytest.mark.parametrize(("time", "iso", "text", "utc"), PINNED)
def test_pinned_dates_print_as_in_node(time: int, iso: str, text: str, utc: str) -> None:
    date = JSDate(time)
    assert (date.iso(), date.js_to_string(), JSDate.JS_METHODS["toUTCString"](date)) == (
        iso, text, utc)


@pytest.mark.parametrize("time", [MAX + 1, -MAX - 1, 1e20, float("nan"), float("inf")])
def test_times_beyond_the_range_are_invalid_dates(time: float) -> None:
    date = JSDate(time)
    assert date.js_to_string() == "Invalid Date"
    with pytest.raises(JSRangeError, match="Invalid time value"):
        date.iso()


def test_setters_and_utc_stop_at_the_range_ends() -> None:
    date = JSDate(0)
    assert JSDate.JS_METHODS["setUTCFullYear"](date, 275760, 8, 13) == MAX
    assert math.isnan(JSDate.JS_METHODS["setUTCMilliseconds"](date, 1))
    assert math.isnan(date.time)
    assert date_utc(-271821, 3, 20) == -MAX
    assert math.isnan(date_utc(-271821, 3, 19, 23, 59, 59, 999))


def test_extended_years_run_in_a_workflow(run_js: Callable[..., Any]) -> None:
    result = run_js("return [new Date('Sep 13 275760').toISOString(), "
                    "new Date('-000001-01-01T00:00:00Z').getUTCFullYear(), "
                    "new Date(8.64e15 + 1).toString()];\n")
    assert result.value == ["+275760-09-13T00:00:00.000Z", -1, "Invalid Date"]
