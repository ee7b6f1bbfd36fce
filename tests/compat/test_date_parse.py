"""``Date.parse`` and ``new Date(string)`` read every form V8 reads, as V8 reads it."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compat._jsrt._date_parse import parse_date

# ISO forms (and their edges), then the legacy forms V8 accepts or refuses
DATES = [
    "2024-03-01", "2024-03-01T10:00:00Z", "2024-03-01T10:00:00.123+02:00", "2024-03-01T10:00",
    "2024-03-01T10:00:00", "2024-03-01T24:00", "2024-03-01T24:00:01", "2024-03", "2024",
    "+002024-03-01", "-000001-01-01T00:00:00Z", "-000000-01-01", "2024-02-30", "2024-02-31",
    "2024-13-01", "2024-00-10", "2024-03-01T10:00:00+0530", "2024-03-01T10:00:00.1Z",
    "2024-03-01T10:00:00.123456789Z", "2024-03-01T10:00:00 Z", "2024-03-01T25:00", "2024-03-01Z",
    "2024/03/01", "2024/3/1", "3/1/2024", "03/01/2024 10:00", "3/1", "1/2/24", "12/31/99",
    "12/31/50", "12/31/49", "2024/03/01 10:00:00 GMT+0100", "March 1, 2024", "Mar 1 2024",
    "Mar 1 2024 10:00 GMT+0100", "Mar 1 2024 10:00 GMT-8", "Mar 1 2024 10:00 GMT+01:30", "Mar 1",
    "1 March 2024", "1 Mar 2024 10:00:00 UTC", "01-Mar-2024", "Mar-01-2024", "2024 March 1",
    "March 2024", "December 25, 1995 13:30:00", "Dec 25, 1995 1:30 PM", "Dec 25, 1995 12:00 AM",
    "Dec 25, 1995 12:00 PM", "Dec 25, 1995 13:00 PM", "Dec 25 1995 10:00 am EST",
    "Dec 25 1995 10:00 PST", "Dec 25 1995 10:00 PDT", "Dec 25 1995 10:00 CST",
    "Fri, 01 Mar 2024 10:00:00 +0000", "Fri, 01 Mar 2024 10:00:00 GMT",
    "Fri, 01 Mar 2024 10:00:00 -0500", "Fri, 1 Mar 2024 10:00 +0100",
    "Tue Mar 05 2024 10:00:00 GMT+0000 (Coordinated Universal Time)",
    "Tue Mar 05 2024 10:00:00 GMT+0530 (India Standard Time)", "Tue, 05 Mar 2024 10:00:00 GMT",
    "2024-03-01 10:00", "2024-03-01 10:00:00", "2024-03-01 10:00:00.5", "2024-03-01 10:00:00Z",
    "2024-03-01 10:00:00 +01:00", "2024-03-01 10:00 PM", "  2024-03-01  ",
    "2024-03-01T10:00:00Z ", "", "   ", "hello", "Invalid Date", "2024", "123", "0", "99", "1e3",
    "NaN", "Mar 32 2024", "Feb 29 2023", "Feb 29 2024", "Friday March 1 2024",
    "March 1 2024 Friday", "2024-03-01 foo", "foo 2024-03-01", "10:00 2024-03-01", "10:00:00",
    "T10:00", "2024-03-01T10:00:00.000+24:00", "Mar 1 2024 10:00:00.123", "Mar 1 2024 10:00:60",
    "Mar 1 2024 24:00", "Mar 1 2024 23:59:59.999", "Mar 1 2024 10::", "1.2.2024", "01.03.2024",
    "2024.03.01", "Mar 1 2024 (comment) 10:00", "Mar 1 2024 (nested (x)) 10:00 GMT",
    "Mar 1 2024 UTC+2", "Mar 1 2024 10:00 UTC+02", "Mar 1 2024 10:00 +2", "Mar 1 2024 10:00 Z",
    "Mar 1 2024 10:00Z", "Mar 1 2024 10:00z", "Sat, 01 Jan 2000 00:00:00 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT", "Jan 1 1970", "Sep 13 275760", "Sep 14 275760",
    "+275760-09-13T00:00:00Z", "+275760-09-13T00:00:00.001Z", "-271821-04-20T00:00:00Z",
    "-271821-04-19T23:59:59.999Z", "2024-3-1", "2024-03-1", "24-03-01", "2024-03-01T10",
    "2024-03-01T10:0", "2024-03-01t10:00:00z", "Mar 1 2024 10:00:00 GMT+0100 (CET)",
    "1 March 2024 10:00", "2024 Mar 1 10:00", "Mar. 1, 2024", "Mar, 1 2024", "2024年3月1日",
    "Mar 1 2024 10:00 +0100 ignored", "Mar 1 2024 10:00 +01:00", "Mar 1 2024 10:00 -01:30",
    "Mar 1 2024 10 AM", "Mar 1 2024 10:00 AM PM", "Mar 1 2024 10:00 a.m.", "6/15/2024 3:45:30 PM",
    "15/6/2024", "2024/06/15T10:00", "Mar 1 2024 10:00 GMT+123456",
]

_TABLE = """
return args.cases.map((s) => `${JSON.stringify(s)} => ${Date.parse(s)} ${new Date(s).getTime()}`);
"""


def test_every_date_string_parses_as_in_node(
    js: Callable[..., Path], oracle_diff: Callable[[Path, Any], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Node's local time zone must be UTC, which is the runtime's local time
    monkeypatch.setenv("TZ", "UTC")
    assert oracle_diff(js(_TABLE), {"cases": DATES}) == []


# pinned from Node 20 (TZ=UTC), so the parser is checked where Node is missing too
PINNED = [
    ("2024/03/01", 1709251200000),
    ("March 1, 2024", 1709251200000),
    ("Mar 1 2024 10:00 GMT+0100", 1709283600000),
    ("Fri, 01 Mar 2024 10:00:00 +0000", 1709287200000),
    ("Tue Mar 05 2024 10:00:00 GMT+0000 (Coordinated Universal Time)", 1709632800000),
    ("1 March 2024", 1709251200000),
    ("2024-03-01 10:00", 1709287200000),
    ("3/1", 983404800000),
    ("2024-02-30", 1709251200000),
    ("Dec 25, 1995 1:30 PM EST", 819916200000),
    ("2024-03-01T10:00:00.123+02:00", 1709280000123),
]


@pytest.mark.parametrize(("text", "ms"), PINNED)
def test_pinned_dates_match_node(text: str, ms: int) -> None:
    assert parse_date(text) == ms


@pytest.mark.parametrize("text", ["", "hello", "March 1 2024 Friday", "2024-03-01 foo",
                                  "2024-03-01T10:00:00 Z", "Mar 32 2024"])
def test_invalid_dates_are_nan(text: str) -> None:
    assert math.isnan(parse_date(text))


def test_new_date_of_a_legacy_string_is_that_time(
    run_js: Callable[..., Any],
) -> None:
    result = run_js("return [new Date('Mar 1 2024 10:00 GMT+0100').toISOString(), "
                    "String(new Date('not a date')), Date.parse('2024/03/01')];\n")
    assert result.value == ["2024-03-01T09:00:00.000Z", "Invalid Date", 1709251200000]
