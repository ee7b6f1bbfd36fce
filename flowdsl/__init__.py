"""flowdsl: dynamic workflows on one anyio runtime.

Layers, each importing only the ones below it::

    _cli, this module   faces: the ``flowdsl`` command and the Python API
    _durable            runs that survive: the store joined to the runtime, workers, resume
    _runtime            one run: limiter, caps, budget, timeouts, primitives, events
    _frontends          script files -> CompiledWorkflow by suffix (_sandbox; compat, JS)
    backends            the AgentBackend protocol and the shipped backends
    _store              persistence only (SQLite)
    errors, _types, _options, _config, _json_schema     shared by all

``errors`` holds the one exception tree; ``testing`` the fakes.
"""

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
    "Usage",
    "UsageError",
    "resume",
    "resume_async",
    "run",
    "run_async",
)
