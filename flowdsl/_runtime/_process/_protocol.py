"""The messages between the run (parent) and the script's process (child).

One JSON array of messages per line, in both directions: everything one side produced
in one event-loop turn travels as one line (one write, one parse). The parent trusts
what it sends; what the child sends is untrusted — a script that escaped the sandbox
controls it — so the parent only ever parses it as JSON (never unpickles it), and
:func:`read_child_batch` checks each message's shape before anything acts on it.

Parent -> child: ``init`` (the compiled script, args, limits), ``r`` (an agent's answer),
``x`` (an error raised to the script), ``c`` (a compiled ``workflow()`` child).
Child -> parent: ``a`` (an agent call), ``l`` (a log line), ``n`` (a note), ``p`` (a
phase), ``w`` (``workflow(name)``), ``b`` (a heartbeat), ``d`` (done: the outcome).
"""

from __future__ import annotations

import base64
import json
import marshal
import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..._frontends import CompiledWorkflow
from ..._sandbox import LineMap
from ..._types import AgentRequest
from ...errors import (
    AgentLimitExceeded,
    AgentTypeError,
    BudgetExceeded,
    CostLimitExceeded,
    FlowError,
    IsolationError,
    ItemLimitExceeded,
    RunError,
    SchemaError,
    UsageError,
    WorkflowNestingError,
)

__all__ = [
    "ProtocolError",
    "check_child_message",
    "compiled_from_wire",
    "compiled_to_wire",
    "encode",
    "error_from_wire",
    "error_to_wire",
    "read_child_batch",
    "request_from_wire",
    "request_to_wire",
]


class ProtocolError(Exception):
    """The child sent something that is not a valid message."""


def encode(messages: Sequence[Mapping[str, Any]]) -> bytes:
    """A batch of messages as one line of ASCII (``allow_nan=False``: JSON proper;
    ASCII: a lone surrogate in a script's string travels as ``\\udXXX``)."""
    return json.dumps(messages, separators=(",", ":"), allow_nan=False).encode("ascii") + b"\n"


# -- compiled scripts (parent -> child only: the child never sends code) ----------------

def compiled_to_wire(compiled: CompiledWorkflow) -> dict[str, Any]:
    """What the child needs to run ``compiled``: its code object, marshalled."""
    if compiled.policy is not None:
        raise UsageError("a workflow compiled under its own sandbox policy can only run "
                         "with isolation='inline'")
    line_map = compiled.line_map
    return {
        "path": compiled.path,
        "language": compiled.language,
        "meta": dict(compiled.meta),
        "code": base64.b64encode(marshal.dumps(compiled.code)).decode("ascii"),
        "lines": None if line_map is None else
        [[k, *v] for k, v in line_map.as_dict().items()],
    }


def compiled_from_wire(data: Mapping[str, Any]) -> CompiledWorkflow:
    lines = data["lines"]
    return CompiledWorkflow(
        path=data["path"], language=data["language"], meta=data["meta"], source="",
        python_source="", code=marshal.loads(base64.b64decode(data["code"])),
        line_map=None if lines is None else LineMap({k: (ln, col) for k, ln, col in lines}),
    )


# -- agent requests (child -> parent: checked) -------------------------------------------

_OPTIONAL_TEXT = ("label", "phase", "model", "effort", "agent_type", "isolation")


def request_to_wire(request: AgentRequest) -> dict[str, Any]:
    wire: dict[str, Any] = {"prompt": request.prompt}
    for name in (*_OPTIONAL_TEXT, "schema", "timeout", "max_turns"):
        value = getattr(request, name)
        if value is not None:
            wire[name] = value
    return wire


def request_from_wire(data: Any) -> AgentRequest:
    """An :class:`AgentRequest` from the child, every field checked.

    Raises:
        ProtocolError: a field is missing, unknown or of the wrong type.
    """
    if not isinstance(data, dict) or not isinstance(data.get("prompt"), str):
        raise ProtocolError("agent call without a text prompt")
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name == "prompt":
            continue
        if name in _OPTIONAL_TEXT:
            if not isinstance(value, str):
                raise ProtocolError(f"agent call field {name} is not text")
        elif name == "schema":
            if not isinstance(value, dict):
                raise ProtocolError("agent call schema is not an object")
        elif name == "timeout":
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isfinite(value):
                raise ProtocolError("agent call timeout is not a number")
        elif name == "max_turns":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ProtocolError("agent call max_turns is not a positive integer")
        else:
            raise ProtocolError("agent call with an unknown field")
        fields[name] = value
    return AgentRequest(prompt=data["prompt"], **fields)


# -- errors raised to the script (parent -> child) ---------------------------------------

_ERRORS: dict[str, type[FlowError]] = {
    cls.__name__: cls
    for cls in (RunError, SchemaError, AgentTypeError, IsolationError, UsageError,
                WorkflowNestingError)
}


def error_to_wire(error: FlowError) -> dict[str, Any]:
    if isinstance(error, BudgetExceeded):
        return {"k": "BudgetExceeded", "a": [error.total, error.spent]}
    if isinstance(error, AgentLimitExceeded):
        return {"k": "AgentLimitExceeded", "a": [error.limit]}
    if isinstance(error, CostLimitExceeded):
        return {"k": "CostLimitExceeded", "a": [error.limit, error.spent]}
    if isinstance(error, ItemLimitExceeded):
        return {"k": "RunError", "a": [str(error)]}
    kind = type(error).__name__
    return {"k": kind if kind in _ERRORS else "RunError", "a": [str(error)]}


def error_from_wire(data: Mapping[str, Any]) -> FlowError:
    kind, args = data["k"], data["a"]
    if kind == "BudgetExceeded":
        return BudgetExceeded(*args)
    if kind == "AgentLimitExceeded":
        return AgentLimitExceeded(*args)
    if kind == "CostLimitExceeded":
        return CostLimitExceeded(*args)
    return _ERRORS.get(kind, RunError)(*args)


# -- child -> parent ----------------------------------------------------------------------

_TEXT_KINDS = frozenset({"l", "n", "p"})
_STATUSES = frozenset({"completed", "failed", "stopped"})


def read_child_batch(line: bytes) -> list[dict[str, Any]]:
    """Parse and check one line (a batch of messages) from the child.

    Raises:
        ProtocolError: not JSON, not a list, or a message of no known kind and shape.
    """
    try:
        batch = json.loads(line)
    except (ValueError, RecursionError):
        raise ProtocolError("a line that is not JSON") from None
    if not isinstance(batch, list):
        raise ProtocolError("a line that is not a list of messages")
    return [check_child_message(message) for message in batch]


def check_child_message(message: Any) -> dict[str, Any]:
    """``message`` if it is a message of a known kind and shape (an agent call's request
    replaced by its checked :class:`AgentRequest`).

    Raises:
        ProtocolError: it is not.
    """
    if not isinstance(message, dict):
        raise ProtocolError("a message that is not an object")
    kind = message.get("t")
    if kind == "a":
        if not _is_id(message.get("i")):
            raise ProtocolError("agent call without an id")
        message["r"] = request_from_wire(message.get("r"))
    elif kind in _TEXT_KINDS:
        if not isinstance(message.get("s"), str):
            raise ProtocolError("a log, note or phase without text")
    elif kind == "w":
        if not (_is_id(message.get("i")) and isinstance(message.get("name"), str)):
            raise ProtocolError("a workflow() call without id or name")
    elif kind == "d":
        error = message.get("error")
        if message.get("status") not in _STATUSES or not (error is None or isinstance(error, str)):
            raise ProtocolError("an outcome without a valid status")
    elif kind != "b":
        raise ProtocolError("a message of an unknown kind")
    return message


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
