"""The anyio runtime: one task group per run, limiter, caps, budget gate, timeouts."""

from ._api import execute as execute
from ._api import resolve_backend as resolve_backend
from ._api import run as run
from ._api import run_async as run_async
from ._events import Observer as Observer
from ._events import RunEvent as RunEvent
from ._journal import Journal as Journal
from ._journal import KeyCounter as KeyCounter
from ._limits import Limits as Limits
from ._primitives import ScriptContext as ScriptContext
from ._run import Halt as Halt
from ._run import Run as Run
from ._run import Task as Task
from ._run import current_run as current_run

__all__ = (
    "Halt",
    "Journal",
    "KeyCounter",
    "Limits",
    "Observer",
    "Run",
    "RunEvent",
    "ScriptContext",
    "Task",
    "current_run",
    "execute",
    "resolve_backend",
    "run",
    "run_async",
)
