"""flowdsl: dynamic workflows on one anyio runtime.

Layout: the public names below are re-exported from underscore modules —
``_runtime`` (runs, limits, primitives), ``_sandbox`` (the Python frontend),
``_frontends`` (the suffix seam to ``compat``, the JS layer), ``backends`` (the protocol
and the shipped backends), ``_store`` (durable runs) and ``_cli``. ``errors`` holds the
one exception tree; ``testing`` the fakes.
"""

from ._runtime import Limits as Limits
from ._runtime import RunEvent as RunEvent
from ._runtime import run as run
from ._runtime import run_async as run_async
from ._store import RunInfo as RunInfo
from ._store import Store as Store
from ._store import resume as resume
from ._store import resume_async as resume_async
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
    "Limits",
    "MetaError",
    "RunError",
    "RunEvent",
    "RunInfo",
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
