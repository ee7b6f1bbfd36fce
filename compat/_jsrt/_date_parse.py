"""``Date.parse`` as V8 does it: the ES5 ISO format first, then V8's legacy parser.

JavaScript leaves every non-ISO form implementation-defined, and scripts written for
Claude Code run on V8, so this module follows V8's ``src/date/dateparser-inl.h`` token
by token rather than a tidier grammar of our own: the same words are recognised (three-
letter month prefixes, ``AM``/``PM``, ``UT``/``UTC``/``GMT``/``Z`` and the US zones),
unknown words are skipped only before the first number, parentheses are comments,
``3/1`` means 2001-03-01, two-digit years are 1950–2049 and an out-of-range day such as
``2024-02-30`` rolls over into the next month. Where V8 answers Invalid Date this
answers NaN.

The runtime has no local time zone (local time is UTC, ``getTimezoneOffset()`` is 0), so
a date without an offset is read as UTC and parsing never depends on the machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._date_calendar import MAX_TIME, MONTH_NAMES, days_from_civil
from ._numbers import WHITESPACE

__all__ = ["parse_date"]

_NONE = 2**31 - 1
"""V8's ``kNone``: the slot was not given."""
_MAX_DIGITS = 9
_MONTHS = tuple(name.lower() for name in MONTH_NAMES)
_ZONES = {"ut": 0, "utc": 0, "z": 0, "gmt": 0, "cdt": -5, "cst": -6, "edt": -4, "est": -5,
          "mdt": -6, "mst": -7, "pdt": -7, "pst": -8}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "num", "sym", "word", "space", "other", "end"
    value: int | str = 0
    length: int = 0
    keyword: str = ""  # for words: "month", "ampm", "zone", "t" or "" (unknown)

    def is_sym(self, char: str) -> bool:
        return self.kind == "sym" and self.value == char

    def is_sign(self) -> bool:
        return self.kind == "sym" and self.value in ("+", "-")

    def is_fixed_number(self, length: int) -> bool:
        return self.kind == "num" and self.length == length

    def is_z(self) -> bool:
        return self.kind == "word" and self.keyword == "zone" and self.length == 1

    @property
    def number(self) -> int:
        assert isinstance(self.value, int)
        return self.value


def _keyword(word: str) -> tuple[str, int]:
    prefix = "".join(chr(ord(c) | 0x20) if c < "\x80" else c for c in word[:3])
    if prefix in _MONTHS:
        return "month", _MONTHS.index(prefix) + 1
    if len(word) > 3:
        return "", 0
    if prefix in ("am", "pm"):
        return "ampm", 0 if prefix == "am" else 12
    if prefix in _ZONES:
        return "zone", _ZONES[prefix]
    return ("t", 0) if prefix == "t" else ("", 0)


def _scan(text: str, i: int) -> tuple[_Token, int]:
    """The token at ``i`` and the index after it (V8's ``DateStringTokenizer::Scan``)."""
    char = text[i]
    if "0" <= char <= "9":
        j = i
        while j < len(text) and "0" <= text[j] <= "9":
            j += 1
        digits = text[i:j].lstrip("0")[:_MAX_DIGITS]
        return _Token("num", int(digits or "0"), j - i), j
    if char in ":-+.)":
        return _Token("sym", char, 1), i + 1
    if char >= "A" and char not in WHITESPACE:
        j = i
        while j < len(text) and text[j] >= "A" and text[j] not in WHITESPACE:
            j += 1
        keyword, value = _keyword(text[i:j])
        return _Token("word", value, j - i, keyword), j
    if char in WHITESPACE:
        return _Token("space", 0, 1), i + 1
    if char == "(":
        depth = 0
        while True:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
            if depth <= 0 or i >= len(text):
                return _Token("other"), i
    return _Token("other"), i + 1


class _Scanner:
    """One token of lookahead over the string."""

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0
        self.peek = self._read()

    def _read(self) -> _Token:
        if self.pos >= len(self.text):
            return _Token("end")
        token, self.pos = _scan(self.text, self.pos)
        return token

    def next(self) -> _Token:
        token, self.peek = self.peek, self._read()
        return token

    def skip(self, char: str) -> bool:
        if self.peek.is_sym(char):
            self.next()
            return True
        return False


class _Day:
    def __init__(self) -> None:
        self.comp: list[int] = []
        self.named_month = _NONE
        self.iso = False

    def add(self, n: int) -> bool:
        if len(self.comp) >= 3:
            return False
        self.comp.append(n)
        return True

    def write(self) -> tuple[int, int, int] | None:
        if not self.comp:
            return None
        a, b, c = (*self.comp, 1, 1)[:3]  # month and day default to 1 (so "3/1" is 2001)
        if self.named_month == _NONE:
            year, month, day = (a, b, c) if self.iso or not 1 <= a <= 31 else (c, a, b)
        else:
            month = self.named_month
            year, day = (a, b) if not 1 <= a <= 31 else (b, a)
        if not self.iso:
            year += 2000 if 0 <= year <= 49 else 1900 if 50 <= year <= 99 else 0
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        return year, month - 1, day


class _Time:
    def __init__(self) -> None:
        self.comp: list[int] = []
        self.hour_offset = _NONE

    def empty(self) -> bool:
        return not self.comp

    def expecting(self, n: int) -> bool:
        limit = {1: 59, 2: 59, 3: 999}.get(len(self.comp), -1)
        return 0 <= n <= limit

    def add(self, n: int) -> bool:
        if len(self.comp) >= 4:
            return False
        self.comp.append(n)
        return True

    def add_final(self, n: int) -> bool:
        if not self.add(n):
            return False
        self.comp += [0] * (4 - len(self.comp))
        return True

    def write(self) -> tuple[int, int, int, int] | None:
        hour, minute, second, ms = (*self.comp, 0, 0, 0, 0)[:4]
        if self.hour_offset != _NONE:
            if not 0 <= hour <= 12:
                return None
            hour = hour % 12 + self.hour_offset
        if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59
                and 0 <= ms <= 999) and (hour, minute, second, ms) != (24, 0, 0, 0):
            return None
        return hour, minute, second, ms


class _Zone:
    def __init__(self) -> None:
        self.sign = self.hour = self.minute = _NONE

    def set(self, hours: int) -> None:
        self.sign = -1 if hours < 0 else 1
        self.hour, self.minute = abs(hours), 0

    def expecting(self, n: int) -> bool:
        return self.hour != _NONE and self.minute == _NONE and 0 <= n <= 59

    def is_utc(self) -> bool:
        return self.hour == 0 and self.minute == 0

    def empty(self) -> bool:
        return self.hour == _NONE

    def offset_seconds(self) -> int:
        """The offset east of UTC; 0 (UTC, the runtime's local time) when none was given."""
        if self.sign == _NONE:
            return 0
        hour = 0 if self.hour == _NONE else self.hour
        minute = 0 if self.minute == _NONE else self.minute
        return self.sign * (hour * 3600 + minute * 60)


class _Parser:
    def __init__(self, text: str) -> None:
        self.scanner = _Scanner(text)
        self.day, self.time, self.zone = _Day(), _Time(), _Zone()

    # -- the ES5 format: [+-yy]yyyy[-MM[-DD]][THH:mm[:ss[.sss]][Z|+-hh:mm]] ----------

    def es5(self) -> _Token | None:
        """Read the ISO prefix; the first token it cannot use (None: invalid date)."""
        s, day = self.scanner, self.day
        if s.peek.is_sign():
            sign = s.next()
            if not s.peek.is_fixed_number(6):
                return sign
            year = s.next().number
            if sign.value == "-" and year == 0:
                return sign
            day.add(-year if sign.value == "-" else year)
        elif s.peek.is_fixed_number(4):
            day.add(s.next().number)
        else:
            return s.next()
        for limit in (12, 31):
            if not s.skip("-"):
                break
            if not s.peek.is_fixed_number(2) or not 1 <= s.peek.number <= limit:
                return s.next()
            day.add(s.next().number)
        if s.peek.kind != "word" or s.peek.keyword != "t":
            if s.peek.kind != "end":
                return s.next()
        elif not self._es5_time():
            return None
        if self.zone.empty() and self.time.empty():
            self.zone.set(0)
        day.iso = True
        return s.peek

    def _two_digits(self, low: int, high: int) -> int | None:
        peek = self.scanner.peek
        if not peek.is_fixed_number(2) or not low <= peek.number <= high:
            return None
        return self.scanner.next().number

    def _es5_time(self) -> bool:
        s, time = self.scanner, self.time
        s.next()
        hour = self._two_digits(0, 24)
        if hour is None or not s.skip(":"):
            return False
        top = 0 if hour == 24 else 59  # 24:00[:00[.000]] is the end of the day
        minute = self._two_digits(0, top)
        if minute is None:
            return False
        time.comp += [hour, minute]
        if s.skip(":"):
            second = self._two_digits(0, top)
            if second is None:
                return False
            time.add(second)
            if s.skip("."):
                if s.peek.kind != "num" or (hour == 24 and s.peek.number > 0):
                    return False
                time.add(_milliseconds(s.next()))
        return self._es5_zone() and s.peek.kind == "end"

    def _es5_zone(self) -> bool:
        s, zone = self.scanner, self.zone
        if s.peek.is_z():
            s.next()
            zone.set(0)
        elif s.peek.is_sign():
            zone.sign = 1 if s.next().value == "+" else -1
            if s.peek.is_fixed_number(4):
                hour, minute = divmod(s.next().number, 100)
                if not (0 <= hour <= 23 and 0 <= minute <= 59):
                    return False
            else:
                hour_or_none = self._two_digits(0, 23)
                if hour_or_none is None or not s.skip(":"):
                    return False
                minute_or_none = self._two_digits(0, 59)
                if minute_or_none is None:
                    return False
                hour, minute = hour_or_none, minute_or_none
            zone.hour, zone.minute = hour, minute
        return True

    # -- the legacy forms ------------------------------------------------------------

    def legacy(self, token: _Token) -> bool:
        read_number = bool(self.day.comp)
        while token.kind != "end":
            if token.kind == "num":
                read_number = True
                if not self._number(token.number):
                    return False
            elif token.kind == "word":
                if not self._word(token, read_number):
                    return False
            elif token.is_sign() and (self.zone.is_utc() or not self.time.empty()):
                read_number = True
                if not self._offset(token):
                    return False
            elif (token.is_sign() or token.is_sym(")")) and read_number:
                return False
            token = self.scanner.next()
        return True

    def _number(self, n: int) -> bool:
        s, time = self.scanner, self.time
        if s.skip(":"):
            if s.skip(":"):
                if not time.empty():
                    return False
                time.comp += [n, 0]
                return True
            if not time.add(n):
                return False
            s.skip(".")
        elif s.skip(".") and time.expecting(n):
            time.add(n)
            if s.peek.kind != "num":
                return False
            return time.add_final(_milliseconds(s.next()))
        elif self.zone.expecting(n):
            self.zone.minute = n
        elif time.expecting(n):
            time.add_final(n)
            peek = s.peek
            return peek.kind in ("end", "space") or peek.is_z() or peek.is_sign()
        else:
            if not self.day.add(n):
                return False
            s.skip("-")
        return True

    def _word(self, token: _Token, read_number: bool) -> bool:
        if token.keyword == "ampm" and not self.time.empty():
            self.time.hour_offset = token.number
        elif token.keyword == "month":
            self.day.named_month = token.number
            self.scanner.skip("-")
        elif token.keyword == "zone" and read_number:
            self.zone.set(token.number)
        elif read_number or self.scanner.peek.kind == "num":
            return False  # a word after a number, or glued to the first number
        return True

    def _offset(self, sign: _Token) -> bool:
        s, zone = self.scanner, self.zone
        zone.sign = 1 if sign.value == "+" else -1
        n = length = 0
        if s.peek.kind == "num":
            digits = s.next()
            n, length = digits.number, digits.length
        if s.peek.is_sym(":"):
            zone.hour, zone.minute = n, _NONE
        elif length in (1, 2):
            zone.hour, zone.minute = n, 0
        elif length in (3, 4):
            zone.hour, zone.minute = divmod(n, 100)
        else:
            return False
        return True


def _milliseconds(token: _Token) -> int:
    """The first three significant digits of a fraction, as V8 reads them."""
    length = min(token.length, _MAX_DIGITS)
    scale: int = 10 ** abs(length - 3)
    return token.number * scale if length < 3 else token.number // scale


def parse_date(text: str) -> int | float:
    """Milliseconds since the epoch for ``text`` as V8's ``Date.parse`` reads it, or NaN."""
    parser = _Parser(text)
    rest = parser.es5()
    if rest is None or not parser.legacy(rest):
        return math.nan
    day, time = parser.day.write(), parser.time.write()
    offset = parser.zone.offset_seconds()
    if day is None or time is None or abs(offset) >= 2**30:
        return math.nan
    hour, minute, second, ms = time
    seconds = ((days_from_civil(*day) * 24 + hour) * 60 + minute) * 60 + second
    value = (seconds - offset) * 1000 + ms
    return value if abs(value) <= MAX_TIME else math.nan
