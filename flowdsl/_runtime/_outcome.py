"""How a script's end becomes a run's outcome: its JSON result or a one-line error."""

from __future__ import annotations

import math
import traceback
from typing import Any

from .._frontends import CompiledWorkflow
from ..errors import FlowError
from ._halt import unwrap

__all__ = ["describe_error", "error_location", "to_json"]


def describe_error(compiled: CompiledWorkflow, exc: BaseException) -> str:
    """``path:line: Type: message`` at the deepest frame of the script itself.

    The line is the one the user wrote (a transpiled script maps back to its ``.js``);
    the error is named as the script's language names it (the frontend knows: a
    JavaScript ``TypeError`` is not Python's).
    """
    exc = unwrap(exc)
    message = str(exc) or type(exc).__name__
    if isinstance(exc, FlowError) and message.startswith(compiled.path):
        return message
    return f"{error_location(compiled, exc)}: {compiled.error_name(exc)}: {message}"


def error_location(compiled: CompiledWorkflow, exc: BaseException) -> str:
    """``path:line`` of the deepest script frame ``exc`` passed through (or ``path``)."""
    path = compiled.path
    line: int | None = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == path and frame.lineno is not None:
            line = frame.lineno
    if line is None:
        return path
    orig_line, _ = compiled.original_position(line)
    return f"{path}:{orig_line}"


def to_json(value: Any) -> Any:
    """A JSON-compatible copy of a script's result (tuples become lists).

    Raises:
        TypeError: the value holds something JSON cannot represent.
    """
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise TypeError(f"dict key {key!r} is not a string")
            out[key if isinstance(key, str) else str(key)] = to_json(item)
        return out
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    raise TypeError(f"{type(value).__name__} value {value!r:.60}")
