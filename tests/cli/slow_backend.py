"""A backend for CLI tests that never answers in time (loaded as module:factory)."""

from __future__ import annotations

from flowdsl.testing import SleepBackend


def create() -> SleepBackend:
    return SleepBackend(30)
