"""The one exception tree of flowdsl.

::

    FlowError
    ├── ScriptError            the script cannot run as written (found before running)
    │   ├── ScriptSyntaxError  not valid Python / JavaScript
    │   ├── MetaError          the leading ``meta`` literal is missing or malformed
    │   ├── SandboxViolation   the script uses something the sandbox does not allow
    │   └── TranspileError     a JavaScript construct the JS layer does not support
    ├── RunError               raised while a run is under way
    │   ├── AgentLimitExceeded the call past the agent cap
    │   ├── ItemLimitExceeded  more than 4096 items for parallel()/pipeline()
    │   ├── BudgetExceeded     agent() called when spent >= budget total
    │   ├── CostLimitExceeded  agent() called when the run's cost >= max_cost
    │   ├── FailurePolicyExceeded  agent() called after more agents failed than allowed
    │   ├── AgentTimeout       one agent ran past its timeout (recorded, agent() returns None)
    │   ├── RunTimeout         the run passed its wall-clock limit
    │   ├── SchemaError        an agent schema that is not a usable JSON Schema
    │   ├── AgentTypeError     agent_type names no definition, or a malformed one
    │   ├── IsolationError     isolation= cannot be honoured (unknown value, not a git repo)
    │   ├── WorkflowNestingError  workflow() called from a child workflow
    │   └── BackendError       a backend failed (foreign errors are translated into this)
    │       ├── BackendConfigError  the backend is not configured (missing key, URL, CLI)
    │       ├── RateLimited         the provider refused for rate limits after retries
    │       ├── QuotaExhausted      the account cannot continue (quota, credit, usage limit)
    │       └── RemoteAgentError    an agent failed on a distributed worker (foreign error)
    ├── ToolError              a tool call an agent made was refused or failed
    ├── StoreError             the run store cannot be used
    │   ├── RunNotFound        no run with that id
    │   ├── StoreVersionError  the store was written by a newer flowdsl
    │   └── StoreCorrupt       the database file is not a flowdsl store
    └── UsageError             the caller misused the API or the CLI

Errors that point into a script carry ``path``, ``line`` and ``column`` and render as
``path:line:col: message`` so editors and terminals can jump to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._types import ToolCall, Usage

__all__ = [
    "AgentLimitExceeded",
    "AgentTimeout",
    "AgentTypeError",
    "BackendConfigError",
    "BackendError",
    "BudgetExceeded",
    "CostLimitExceeded",
    "FailurePolicyExceeded",
    "FlowError",
    "IsolationError",
    "ItemLimitExceeded",
    "MetaError",
    "QuotaExhausted",
    "RateLimited",
    "RemoteAgentError",
    "RunError",
    "RunNotFound",
    "RunTimeout",
    "SandboxViolation",
    "SchemaError",
    "ScriptError",
    "ScriptSyntaxError",
    "StoreCorrupt",
    "StoreError",
    "StoreVersionError",
    "ToolError",
    "TranspileError",
    "UsageError",
    "WorkflowNestingError",
]


class FlowError(Exception):
    """Root of every error flowdsl raises on purpose."""


class ScriptError(FlowError):
    """Raised when a script cannot run as written; points at the offending source."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.path or "<script>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class ScriptSyntaxError(ScriptError):
    """Raised when the source is not valid in its language."""


class MetaError(ScriptError):
    """Raised when the leading ``meta`` literal is missing, not a pure literal, or invalid."""


class SandboxViolation(ScriptError):
    """Raised when a script uses a construct, name, attribute or module outside the sandbox."""


class TranspileError(ScriptError):
    """Raised when a JavaScript construct has no translation (classes, generators, ...)."""


class RunError(FlowError):
    """Raised while a run is under way."""


class AgentLimitExceeded(RunError):
    """Raised by the ``agent()`` call past the run's agent cap."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"agent limit of {limit:,} reached: the run may start at most {limit:,}")


class ItemLimitExceeded(RunError):
    """Raised when ``parallel()`` or ``pipeline()`` is given more items than the cap."""

    def __init__(self, what: str, limit: int, actual: int | None = None) -> None:
        self.limit = limit
        self.actual = actual
        got = f"{actual:,}" if actual is not None else "more"
        super().__init__(f"{what}() takes at most {limit:,} items (got {got})")


class BudgetExceeded(RunError):
    """Raised by ``agent()`` when the run's real token spend has reached its budget."""

    def __init__(self, total: int, spent: int) -> None:
        self.total = total
        self.spent = spent
        super().__init__(f"budget of {total:,} tokens exhausted (spent {spent:,})")


class CostLimitExceeded(RunError):
    """Raised by ``agent()`` when the run's real cost has reached ``max_cost`` (USD)."""

    def __init__(self, limit: float, spent: float) -> None:
        self.limit = limit
        self.spent = spent
        super().__init__(f"cost cap of ${limit:,.4f} reached (spent ${spent:,.4f})")


class FailurePolicyExceeded(RunError):
    """Raised by ``agent()`` once more agents have failed than ``max_failures`` allows;
    the run dispatches no new agent and ends failed with this reason (resumable)."""

    def __init__(self, limit: str, failed: int) -> None:
        self.limit = limit
        self.failed = failed
        super().__init__(f"{failed} agents failed, more than max_failures={limit}: no new "
                         "agent is dispatched")


class AgentTimeout(RunError):
    """Raised inside an agent call that ran past its timeout; ``agent()`` returns None."""

    def __init__(self, seconds: float, label: str | None = None) -> None:
        self.seconds = seconds
        self.label = label
        who = f"agent {label!r}" if label else "agent"
        super().__init__(f"{who} timed out after {seconds:g} s")


class RunTimeout(RunError):
    """Raised when the run passes its wall-clock limit; the run fails."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"run exceeded its wall-clock limit of {seconds:g} s")


class SchemaError(RunError):
    """Raised by ``agent()`` when its ``schema`` is not a usable JSON Schema.

    Not an object, not JSON, over the size or depth cap, invalid, a ``$ref`` outside the
    schema, or an unsafe ``pattern``. The message is fixed text: it may name a keyword,
    never a value of the schema (see :mod:`flowdsl._json_schema`).
    """


class AgentTypeError(RunError):
    """Raised by ``agent()`` before dispatch when ``agent_type`` names no agent definition
    (``.flowdsl/agents/``, ``.claude/agents/``, ``~/.claude/agents/``, the bundled ones) or
    the definition cannot be used (bad front matter, an unknown tool)."""


class IsolationError(RunError):
    """Raised by ``agent()`` before dispatch when its ``isolation`` cannot be honoured: an
    unknown value, ``"worktree"`` outside a git repository, or git failing to create the
    worktree."""


class WorkflowNestingError(RunError):
    """Raised when ``workflow()`` is called from a workflow that is itself a child."""


class BackendError(RunError):
    """Raised when a backend fails; foreign exceptions are translated into this.

    ``usage`` is what the failed agent still cost (tokens of re-asks or turns it made
    before failing); the runtime counts it against the budget. ``tool_calls`` are the
    tools it called before failing; the runtime keeps them in the agent's record.
    """

    def __init__(self, message: str = "", *, usage: Usage | None = None,
                 tool_calls: tuple[ToolCall, ...] = ()) -> None:
        self.usage = usage
        self.tool_calls = tool_calls
        super().__init__(message)


class BackendConfigError(BackendError):
    """Raised when a backend lacks what it needs (API key, base URL, CLI on PATH)."""


class RateLimited(BackendError):
    """Raised when the provider kept refusing for rate limits after all retries."""


class QuotaExhausted(BackendError):
    """Raised when the provider says the account cannot continue: quota or credit gone
    (HTTP 402, ``insufficient_quota``), a usage limit reached (the Claude Code and Codex
    CLIs' plan limits). Retrying is pointless until ``resets_at``; the run pauses instead
    of dispatching more agents (status ``paused``, resumable).

    ``resets_at`` is the provider's reset time (epoch seconds) when it gave one.
    """

    def __init__(self, message: str = "", *, resets_at: float | None = None,
                 usage: Usage | None = None, tool_calls: tuple[ToolCall, ...] = ()) -> None:
        self.resets_at = resets_at
        super().__init__(message, usage=usage, tool_calls=tool_calls)


class RemoteAgentError(BackendError):
    """An agent failed on a distributed worker with an error that is not one of
    flowdsl's own; the message starts with the worker's error class."""


class ToolError(FlowError):
    """A tool call an agent made was refused or failed; its message goes back to the model."""


class StoreError(FlowError):
    """Raised when the run store cannot be read or written."""


class RunNotFound(StoreError):
    """Raised when no run has the given id."""


class StoreVersionError(StoreError):
    """Raised when the store's schema is newer than this flowdsl understands."""


class StoreCorrupt(StoreError):
    """Raised when the store file is not a readable flowdsl database."""


class UsageError(FlowError):
    """Raised when the caller misuses the API or the CLI (bad option, unreadable file)."""
