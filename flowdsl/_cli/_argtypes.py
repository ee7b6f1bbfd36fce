"""argparse value types shared by the commands: one-line errors, never a traceback."""

from __future__ import annotations

import argparse
import math

__all__ = ["byte_size", "non_negative_int", "positive_int", "seconds", "usd"]

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2,
          "mib": 1024**2, "g": 1024**3, "gb": 1024**3, "gib": 1024**3, "t": 1024**4,
          "tb": 1024**4, "tib": 1024**4}


def _whole_number(text: str, minimum: int) -> int:
    """``text`` as an int >= ``minimum``; ``1_000`` and ``1,000`` are accepted."""
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    return _whole_number(text, 0)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected seconds > 0, got {text}")
    return value


def usd(text: str) -> float:
    """``5``, ``2.50``, ``$10`` -> US dollars (finite, >= 0)."""
    try:
        value = float(text.strip().removeprefix("$").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected US dollars like 5 or 2.50, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected US dollars >= 0, got {text}")
    return value


def byte_size(text: str) -> int:
    """``2G``, ``512M``, ``1.5GiB``, ``1073741824`` -> bytes (binary units)."""
    number = text.strip().lower().rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = text.strip().lower()[len(number):]
    try:
        value = float(number.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size like 2G or 512M, got {text!r}") from None
    if unit not in _UNITS or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a size like 2G or 512M, got {text!r}")
    return int(value * _UNITS[unit])
