"""flowdsl: dynamic workflows on one anyio runtime.

Layers, each importing only the ones below it::

    _cli, this module   faces: the ``flowdsl`` command and the Python API
    _durable            runs that survive: the store joined to the runtime, workers, resume
    _runtime            one run: the script (in a child process or inline) and the side
                        that owns its agents: limiter, caps, budget, timeouts, events
    _frontends          script files -> CompiledWorkflow by suffix (_sandbox; compat, JS)
    backends            the AgentBackend protocol and the shipped backends
    _store              persistence only (SQLite)
    errors, _types, _options, _config, _json_schema, _terminal_text     shared by all

``errors`` holds the one exception tree; ``testing`` the fakes.
"""

from __future__ import annotations

import typing as _typing

from ._lazy import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
    from ._durable import resume as resume
    from ._durable import resume_async as resume_async
    from ._durable import run as run
    from ._durable import run_async as run_async
    from ._options import RunOptions as RunOptions
    from ._runtime import RunEvent as RunEvent
    from ._store import RunInfo as RunInfo
    from ._store import Store as Store
    from ._types import AgentRecord as AgentRecord
    from ._types import AgentRequest as AgentRequest
    from ._types import AgentResult as AgentResult
    from ._types import RunResult as RunResult
    from ._types import ToolCall as ToolCall
    from ._types import Usage as Usage
    from .backends import AgentBackend as AgentBackend
    from .errors import AgentLimitExceeded as AgentLimitExceeded
    from .errors import BudgetExceeded as BudgetExceeded
    from .errors import FlowError as FlowError
    from .errors import MetaError as MetaError
    from .errors import RunError as RunError
    from .errors import SandboxViolation as SandboxViolation
    from .errors import ScriptError as ScriptError
    from .errors import UsageError as UsageError

_LAZY: dict[str, tuple[str, str]] = {
    "resume": ("._durable", "resume"),
    "resume_async": ("._durable", "resume_async"),
    "run": ("._durable", "run"),
    "run_async": ("._durable", "run_async"),
    "RunOptions": ("._options", "RunOptions"),
    "RunEvent": ("._runtime", "RunEvent"),
    "RunInfo": ("._store", "RunInfo"),
    "Store": ("._store", "Store"),
    "AgentRecord": ("._types", "AgentRecord"),
    "AgentRequest": ("._types", "AgentRequest"),
    "AgentResult": ("._types", "AgentResult"),
    "RunResult": ("._types", "RunResult"),
    "ToolCall": ("._types", "ToolCall"),
    "Usage": ("._types", "Usage"),
    "AgentBackend": (".backends", "AgentBackend"),
    "AgentLimitExceeded": (".errors", "AgentLimitExceeded"),
    "BudgetExceeded": (".errors", "BudgetExceeded"),
    "FlowError": (".errors", "FlowError"),
    "MetaError": (".errors", "MetaError"),
    "RunError": (".errors", "RunError"),
    "SandboxViolation": (".errors", "SandboxViolation"),
    "ScriptError": (".errors", "ScriptError"),
    "UsageError": (".errors", "UsageError"),
}


__getattr__ = _lazy_exports(__name__, _LAZY)


__version__ = "0.1.0"

__all__ = (
    "AgentBackend",
    "AgentLimitExceeded",
    "AgentRecord",
    "AgentRequest",
    "AgentResult",
    "BudgetExceeded",
    "FlowError",
    "MetaError",
    "RunError",
    "RunEvent",
    "RunInfo",
    "RunOptions",
    "RunResult",
    "SandboxViolation",
    "ScriptError",
    "Store",
    "ToolCall",
    "Usage",
    "UsageError",
    "resume",
    "resume_async",
    "run",
    "run_async",
)
