"""What crosses the queue: an agent call to a worker, its outcome back, as JSON text.

DBOS would pickle Python objects by default; flowdsl sends JSON text only, so a worker
and a coordinator of different Python builds understand each other and nothing in the
database is executable. The outcome of an agent that failed travels as a value, not as
a raised exception: the coordinator rebuilds the failure (the same flowdsl error class
where there is one, with the usage and tool calls it still cost).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .._types import AgentRequest, AgentResult, JSONValue, ToolCall, Usage
from ..errors import BackendError, QuotaExhausted, RemoteAgentError

__all__ = ["AgentCall", "decode_call", "decode_outcome", "encode_call", "encode_failure",
           "encode_result", "succeeded"]

_REQUEST_FIELDS = ("label", "phase", "model", "schema", "effort", "agent_type", "isolation",
                   "timeout", "max_turns")
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


@dataclass(frozen=True, slots=True)
class AgentCall:
    """One agent as a worker receives it."""

    request: AgentRequest
    backend: str
    """The backend the coordinator's run names; the worker builds its own of that name."""
    model: str | None
    """The run's model (the request's own ``model`` wins, as on one machine)."""
    seconds: float
    """How long the agent may run (the coordinator enforces it too, and cancels)."""


def encode_call(request: AgentRequest, *, backend: str, model: str | None,
                seconds: float) -> str:
    fields: dict[str, Any] = {name: getattr(request, name) for name in _REQUEST_FIELDS}
    fields = {k: v for k, v in fields.items() if v is not None}
    return _encode({"prompt": request.prompt, "request": fields, "backend": backend,
                    "model": model, "seconds": seconds})


def decode_call(text: str) -> AgentCall:
    data = json.loads(text)
    request = AgentRequest.from_dict({**data["request"], "prompt": data["prompt"]})
    return AgentCall(request=request, backend=str(data["backend"]), model=data.get("model"),
                     seconds=float(data["seconds"]))


def _usage_json(usage: Usage | None) -> dict[str, JSONValue] | None:
    if usage is None:
        return None
    return {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cost_usd": usage.cost_usd, "estimated": usage.estimated,
            "unpriced_tokens": usage.unpriced_tokens}


def _usage(data: Any) -> Usage | None:
    if not isinstance(data, dict):
        return None
    return Usage(input_tokens=int(data["input_tokens"]), output_tokens=int(data["output_tokens"]),
                 cost_usd=float(data["cost_usd"]), estimated=bool(data["estimated"]),
                 unpriced_tokens=int(data["unpriced_tokens"]))


def encode_result(result: AgentResult) -> str:
    return _encode({"ok": True, "output": result.output, "usage": _usage_json(result.usage),
                    "tool_calls": [call.to_json() for call in result.tool_calls]})


def encode_failure(exc: BaseException) -> str:
    usage = getattr(exc, "usage", None)
    tools = getattr(exc, "tool_calls", ())
    return _encode({
        "ok": False, "error_type": type(exc).__name__, "message": str(exc),
        "usage": _usage_json(usage if isinstance(usage, Usage) else None),
        "tool_calls": [call.to_json() for call in tools if isinstance(call, ToolCall)],
        "resets_at": getattr(exc, "resets_at", None),
    })


def succeeded(text: str) -> bool:
    """Whether an outcome is an agent's result (not its failure)."""
    return bool(json.loads(text).get("ok"))


def decode_outcome(text: str) -> AgentResult:
    """The result of an agent that succeeded on a worker.

    Raises:
        BackendError: the agent failed there — its flowdsl class when it had one
            (``QuotaExhausted`` pauses the run, ``BackendConfigError`` ends it, as on one
            machine), else ``RemoteAgentError`` naming the worker's error class.
    """
    data = json.loads(text)
    tools = tuple(ToolCall.from_json(call) for call in data.get("tool_calls") or ())
    usage = _usage(data.get("usage"))
    if data["ok"]:
        return AgentResult(output=data["output"], usage=usage or Usage(), tool_calls=tools)
    name, message = str(data["error_type"]), str(data["message"])
    cls = _backend_errors().get(name)
    if cls is QuotaExhausted:
        resets = data.get("resets_at")
        raise QuotaExhausted(message, resets_at=float(resets) if resets else None,
                             usage=usage, tool_calls=tools)
    if cls is not None:
        raise cls(message, usage=usage, tool_calls=tools)
    raise RemoteAgentError(f"{name}: {message}", usage=usage, tool_calls=tools)


def _backend_errors() -> dict[str, type[BackendError]]:
    """flowdsl's backend error classes by name (a worker's failure is rebuilt as one)."""
    found: dict[str, type[BackendError]] = {}
    todo: list[type[BackendError]] = [BackendError]
    while todo:
        cls = todo.pop()
        if cls.__module__ == BackendError.__module__:
            found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found
