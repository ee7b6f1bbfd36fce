"""A backend for CLI tests whose agents answer with their prompt (loaded as module:factory)."""

from __future__ import annotations

from flowdsl.testing import FunctionBackend


def create() -> FunctionBackend:
    return FunctionBackend(lambda request: request.prompt)
