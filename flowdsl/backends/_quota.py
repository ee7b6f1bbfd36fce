"""Does a provider's refusal mean the account cannot continue, and until when?

A rate limit passes in seconds and is retried; an exhausted quota, an empty credit
balance or a plan's usage limit does not, and every agent sent after it fails the same
way. :func:`quota_error` tells the two apart for an HTTP error response and
:func:`cli_usage_limit` for the text a CLI agent printed; both return a
:class:`~flowdsl.errors.QuotaExhausted` with the provider's reset time when it gave one.

What counts as a quota refusal (the shapes providers send):

- HTTP 402 (payment required), whatever the body says;
- an error ``type`` or ``code`` of ``insufficient_quota``, ``billing_hard_limit_reached``,
  ``usage_limit_reached`` (OpenAI, the ChatGPT backend Codex talks to);
- a message about the quota, the credit balance or a usage limit (Anthropic's
  "Your credit balance is too low", "You have reached your specified API usage limits.
  You will regain access on 2026-01-01 at 00:00 UTC");
- the CLIs' usage-limit lines: Claude Code's "Claude AI usage limit reached|1766502000",
  "You've hit your limit · resets 1:30am (Asia/Dhaka)", "Claude usage limit reached.
  Your limit will reset at 9am (America/Chicago)"; Codex's "You've hit your usage limit.
  … try again in 2 days 17 hours 14 minutes" or "… try again at Jul 5th, 2026 8:19 PM".

A plain 429 ("rate limit", "try again later") is none of these: it stays a retried
rate limit.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import QuotaExhausted

__all__ = ["cli_usage_limit", "quota_error", "reset_time"]

_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached",
                          "usage_limit_reached", "billing_not_active", "quota_exceeded"})
_QUOTA_WORDS = re.compile(
    r"exceeded your current quota|insufficient[_ ]quota|credit balance is too low"
    r"|usage limits?\b.{0,40}\b(?:reached|hit|exceeded)|(?:reached|hit)\b.{0,40}\busage limit"
    r"|hit your (?:session |weekly |daily |monthly )?limit|regain access on"
    r"|billing hard limit|out of credits",
    re.IGNORECASE | re.DOTALL,
)
_CLI_LIMIT = re.compile(
    r"usage limit reached|hit your (?:\w+ )?(?:usage )?limit|limit reached\s*[·∙•]"
    r"|\d+-hour limit reached|out of (?:extra )?usage",
    re.IGNORECASE,
)


def quota_error(status: int | None, body: Any, headers: Mapping[str, str] | None,
                *, now: float | None = None) -> QuotaExhausted | None:
    """The quota refusal an HTTP error response is, or None (a retryable rate limit, a
    server error, a bad request).

    Args:
        status: the response's status code.
        body: the decoded JSON body (a dict; or its ``error`` object), or its text.
        headers: the response headers (reset times are read from them).
        now: the current time (tests); default ``time.time()``.
    """
    error: Any = body if isinstance(body, dict) else {}
    if isinstance(error.get("error"), dict):  # the openai SDK hands over the inner object
        error = error["error"]
    kinds = {str(error.get(k)) for k in ("type", "code") if error.get(k) is not None}
    message = str(error.get("message") or (body if isinstance(body, str) else "") or "")
    if status != 402 and not kinds & _QUOTA_CODES and not _QUOTA_WORDS.search(message):
        return None
    now = time.time() if now is None else now
    resets = _body_reset(error, now) or reset_time(message, now) or _header_reset(headers, now)
    what = next(iter(sorted(kinds & _QUOTA_CODES)), f"HTTP {status}")
    text = f"quota exhausted ({what}): {message.strip() or 'the provider refused'}"
    return QuotaExhausted(_one_line(text), resets_at=resets)


def cli_usage_limit(text: str, *, now: float | None = None) -> QuotaExhausted | None:
    """The usage-limit refusal a CLI agent printed (its result text or stderr), or None."""
    match = _CLI_LIMIT.search(text) or _QUOTA_WORDS.search(text)
    if match is None:
        return None
    now = time.time() if now is None else now
    line = next((ln for ln in text.splitlines() if match.group(0) in ln), text)
    line = re.sub(r"\|\d{9,11}\b", "", line)  # Claude Code's machine-readable suffix
    return QuotaExhausted(_one_line(f"usage limit: {line.strip(' ■⎿')}"),
                          resets_at=reset_time(text, now))


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- reset times ------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_EPOCH = re.compile(r"\|(\d{9,11})\b")
_ISO_UTC = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:T| at )(\d\d?):(\d\d)(?::(\d\d))?\s*(?:UTC|Z)",
                      re.IGNORECASE)
_IN = re.compile(r"(?:try again|resets?|reset) in ((?:\s*,?\s*(?:and\s+)?\d+(?:\.\d+)?\s*"
                 r"(?:days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b)+)",
                 re.IGNORECASE)
_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b",
                   re.IGNORECASE)
_AT = re.compile(
    r"(?:resets?|reset at|try again at|regain access on)\s+(?:at\s+)?"
    r"(?:(?P<month>[A-Za-z]{3})[a-z]*\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s*"
    r"(?:(?P<year>\d{4}),?\s*)?(?:at\s+)?)?"
    r"(?P<hour>\d{1,2})(?::(?P<minute>\d\d))?\s*(?P<ampm>[ap]\.?m\.?)?"
    r"(?:\s*\((?P<zone>[A-Za-z_]+(?:/[A-Za-z_+-]+)*)\))?",
    re.IGNORECASE,
)
_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def reset_time(text: str, now: float) -> float | None:
    """The reset time a refusal's text names (epoch seconds), or None.

    Understands an epoch suffix (``|1766502000``), an ISO date in UTC, a duration
    ("try again in 2 days 3 hours", "resets in 45 minutes") and a clock time with an
    optional date and IANA zone ("resets May 5 at 9pm (America/New_York)", "try again
    at 3:04 PM"; without a zone, the local one); a bare clock time is its next occurrence.
    """
    found = _EPOCH.search(text)
    if found:
        return float(found.group(1))
    found = _ISO_UTC.search(text)
    if found:
        y, mo, d, h, mi, s = (int(g or 0) for g in found.groups())
        return datetime(y, mo, d, h, mi, s, tzinfo=UTC).timestamp()
    found = _IN.search(text)
    if found:
        total = sum(float(n) * _SECONDS[unit[0].lower()] for n, unit in _UNIT.findall(found[1]))
        return now + total if total else None
    found = _AT.search(text)
    return _clock_time(found, now) if found else None


def _clock_time(found: re.Match[str], now: float) -> float | None:
    hour, minute = int(found["hour"]), int(found["minute"] or 0)
    ampm = (found["ampm"] or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif found["minute"] is None:
        return None  # a bare number is not a time ("resets 5")
    if hour > 23 or minute > 59:
        return None
    try:
        zone = ZoneInfo(found["zone"]) if found["zone"] else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    current = datetime.fromtimestamp(now, zone).astimezone(zone)
    month = _MONTHS.get((found["month"] or "").lower()[:3])
    try:
        if month is not None:
            year = int(found["year"]) if found["year"] else current.year
            moment = current.replace(year=year, month=month, day=int(found["day"]), hour=hour,
                                     minute=minute, second=0, microsecond=0)
            if not found["year"] and moment.timestamp() < now - 86400:
                moment = moment.replace(year=year + 1)  # "Jan 2" said on Dec 30
        else:
            moment = current.replace(hour=hour, minute=minute, second=0, microsecond=0)
            if moment.timestamp() <= now:
                moment += timedelta(days=1)
    except ValueError:
        return None
    return moment.timestamp()


def _body_reset(error: Mapping[str, Any], now: float) -> float | None:
    """``resets_at`` (epoch) or ``resets_in_seconds`` in the error object (ChatGPT's shape)."""
    at, within = error.get("resets_at"), error.get("resets_in_seconds")
    if isinstance(at, int | float) and not isinstance(at, bool) and at > 0:
        return float(at)
    if isinstance(within, int | float) and not isinstance(within, bool) and within > 0:
        return now + float(within)
    return None


_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def _header_reset(headers: Mapping[str, str] | None, now: float) -> float | None:
    """The latest reset any rate-limit header names: ``retry-after`` (seconds or a date),
    Anthropic's ``anthropic-ratelimit-*-reset`` (RFC 3339), OpenAI's
    ``x-ratelimit-reset-*`` (a duration such as ``6m0s``)."""
    if headers is None:
        return None
    found: list[float] = []
    for name, value in headers.items():
        name = name.lower()
        if name == "retry-after":
            try:
                found.append(now + float(value))
            except ValueError:
                pass
        elif name.startswith("anthropic-ratelimit-") and name.endswith("-reset"):
            try:
                found.append(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
            except ValueError:
                pass
        elif name.startswith("x-ratelimit-reset"):
            parts = _GO_DURATION.findall(value)
            if parts:
                found.append(now + sum(float(n) * (0.001 if u == "ms" else _SECONDS[u])
                                       for n, u in parts))
    return max(found) if found else None
