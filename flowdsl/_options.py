"""One frozen :class:`RunOptions`: every knob of a run, resolved once.

Precedence, the same for ``flowdsl.run()``, ``run_async()``, ``flowdsl run``, background
workers and resume: the defaults below < the project configuration (``[tool.flowdsl]``
in ``pyproject.toml`` or ``flowdsl.toml``, see :mod:`flowdsl._config`) < explicit
arguments (keyword arguments, command-line flags). :meth:`RunOptions.resolve` is the
only place that merges them.

A stored run keeps its resolved options (:meth:`RunOptions.to_json`); resume and the
background worker decode them over the project configuration of the run's directory
(:meth:`RunOptions.from_json`), so a run continues with the limits it started with.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ._config import Config, load_config
from ._failure_limit import FailureLimit
from .errors import UsageError

if TYPE_CHECKING:
    from ._types import JSONValue

__all__ = ["ISOLATIONS", "Isolation", "RunOptions"]

Isolation = Literal["process", "inline"]
ISOLATIONS: tuple[Isolation, ...] = ("process", "inline")

_KNOBS = ("backend", "model", "base_url", "concurrency", "max_agents", "max_items", "budget",
          "agent_timeout", "run_timeout", "isolation", "memory_limit", "stall_timeout",
          "max_log_line", "max_log_bytes", "max_result_bytes", "hash_seed", "store", "cwd",
          "max_failures", "max_cost", "resume_after_quota", "worktree_base", "otel",
          "distributed")
"""The fields a stored run keeps (``config`` is re-read from the run's directory)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """Limits, backend and places of one run.

    Build with :meth:`resolve`; the constructor takes values as they are (tests,
    benchmarks) and checks them.
    """

    backend: str | None = None
    """A shipped backend name or ``module:factory``; None: the configured one."""
    model: str | None = None
    """The default model when neither the call nor its phase names one."""
    base_url: str | None = None
    """API base URL for the HTTP backends."""
    concurrency: int = 16
    """Agents running at once."""
    max_agents: int = 1000
    """The agent cap: the call past it raises ``AgentLimitExceeded``."""
    max_items: int = 4096
    """The most items one ``parallel()`` / ``pipeline()`` takes."""
    budget: int | None = None
    """Real input + output tokens the run may spend; None is unlimited."""
    agent_timeout: float = 600.0
    """Seconds one agent may run (an agent's own ``timeout`` wins)."""
    run_timeout: float | None = None
    """Wall-clock limit of the whole run in seconds; None is none."""
    isolation: Isolation = "process"
    """Where the script runs: "process", a supervised child process that holds no backend,
    credentials or network client (the security boundary); "inline", the caller's own
    process (trusted scripts, tests, benchmarks: not a security boundary)."""
    memory_limit: int = 2 * 1024**3
    """Bytes of address space the script's process may use (process isolation)."""
    stall_timeout: float = 30.0
    """Seconds the script's event loop may go without a heartbeat (one runaway C call)
    before the process is killed (process isolation)."""
    max_log_line: int = 10_000
    """Characters in one ``log()`` line; a longer one fails the run."""
    max_log_bytes: int = 10 * 1024**2
    """UTF-8 bytes of log text one run may write."""
    max_result_bytes: int = 16 * 1024**2
    """UTF-8 bytes of the run's JSON result (and of one agent's schema)."""
    hash_seed: int | None = None
    """The script process's ``PYTHONHASHSEED`` (1..2**32-1), kept with a stored run so
    every execution of it orders sets alike; None: one fixed by the run id."""
    store: str | None = None
    """The run store: a directory or a ``postgresql://`` URL; None: ``$FLOWDSL_STORE`` or
    ``./.flowdsl``."""
    cwd: str | None = None
    """The project directory the run belongs to (the worker's working directory)."""
    max_failures: str | None = None
    """The failure policy: ``"N"`` agents or ``"P%"`` of those finished (see
    :mod:`flowdsl._failure_limit`); past it no new agent is dispatched and the run fails.
    None: no limit."""
    max_cost: float | None = None
    """A hard cap on the run's real cost in USD, enforced like :attr:`budget` (each agent's
    priced usage counts; an agent whose model has no price cannot be held to it and fails
    the run with a configuration error). None: no cap."""
    resume_after_quota: bool = False
    """When the provider says the quota is exhausted the run pauses (status ``paused``,
    reason quota); with this set, its worker waits for the reset time and resumes it."""
    worktree_base: Literal["head", "working-tree"] = "head"
    """What an ``isolation="worktree"`` agent's worktree starts from: the current commit,
    or a snapshot of the working tree with its uncommitted and untracked files."""
    otel: bool | None = None
    """Export an OpenTelemetry trace of the run (the ``otel`` extra): True asked for, False
    refused, None on when the environment names an OTLP endpoint
    (:func:`flowdsl._config.otel_choice`; so an unset choice is not stored with the run)."""
    distributed: bool = False
    """Run each agent on a ``flowdsl worker`` through the queue in the PostgreSQL store
    (the script still runs here, with every limit); False: on this machine."""
    config: Config = field(default_factory=lambda: Config.default, compare=False, repr=False)
    """The project configuration the options were resolved against (backend settings:
    retries, aliases, prices, CLI commands); never stored."""

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise UsageError(f"concurrency must be at least 1 (got {self.concurrency})")
        if self.max_agents < 0:
            raise UsageError(f"max_agents must be >= 0 (got {self.max_agents})")
        if self.max_items < 0:
            raise UsageError(f"max_items must be >= 0 (got {self.max_items})")
        if self.budget is not None and self.budget < 0:
            raise UsageError(f"budget must be >= 0 tokens (got {self.budget})")
        if self.max_cost is not None and (self.max_cost < 0 or not math.isfinite(self.max_cost)):
            raise UsageError(f"max cost must be a finite number of USD >= 0 (got {self.max_cost})")
        if self.agent_timeout <= 0:
            raise UsageError(f"agent timeout must be > 0 seconds (got {self.agent_timeout})")
        if self.run_timeout is not None and self.run_timeout <= 0:
            raise UsageError(f"run timeout must be > 0 seconds (got {self.run_timeout})")
        self._check_places()

    def _check_places(self) -> None:
        """The choices, sizes and formats (the limits above are numbers)."""
        if self.isolation not in ISOLATIONS:
            raise UsageError(f"isolation must be one of {', '.join(ISOLATIONS)} "
                             f"(got {self.isolation!r})")
        if self.memory_limit < 64 * 1024**2:
            raise UsageError(f"memory limit must be at least 64 MiB (got {self.memory_limit})")
        if self.stall_timeout <= 0:
            raise UsageError(f"stall timeout must be > 0 seconds (got {self.stall_timeout})")
        if self.hash_seed is not None and not 0 < self.hash_seed < 2**32:
            raise UsageError(f"hash seed must be in 1..{2**32 - 1} (got {self.hash_seed})")
        if self.max_failures is not None:
            FailureLimit.parse(self.max_failures)  # UsageError now, not mid-run
        if self.worktree_base not in ("head", "working-tree"):
            raise UsageError("worktree_base must be head or working-tree "
                             f"(got {self.worktree_base!r})")
        for name in ("max_log_line", "max_log_bytes", "max_result_bytes"):
            if getattr(self, name) < 1:
                raise UsageError(f"{name} must be at least 1 (got {getattr(self, name)})")

    @classmethod
    def resolve(cls, project_dir: str | os.PathLike[str] | None = None,
                **explicit: Any) -> RunOptions:
        """Defaults < the configuration above ``project_dir`` (default: the cwd) < ``explicit``.

        ``explicit`` takes the field names; a None value means "not given".

        Raises:
            UsageError: an unknown option, a bad value, or an unreadable configuration.
        """
        unknown = sorted(set(explicit) - set(_KNOBS))
        if unknown:
            raise UsageError(f"unknown run option(s): {', '.join(unknown)} "
                             f"(known: {', '.join(_KNOBS)})")
        directory = Path(project_dir) if project_dir is not None else Path.cwd()
        config = load_config(directory)
        values: dict[str, Any] = {k: v for k, v in config.run_defaults().items()
                                  if v is not None}
        if values:
            try:
                cls(**values)
            except UsageError as exc:  # say which file holds the bad value
                raise UsageError(f"{config.source}: {exc}") from None
        values.update({k: v for k, v in explicit.items() if v is not None})
        values.setdefault("cwd", str(directory.resolve()))
        return cls(config=config, **_typed(values))

    def to_json(self) -> dict[str, JSONValue]:
        """The stored form: every knob that is set (``config`` is not stored)."""
        return {k: getattr(self, k) for k in _KNOBS if getattr(self, k) is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, JSONValue]) -> RunOptions:
        """Decode stored options over the configuration of the run's directory.

        Rows written before ``RunOptions`` kept ``base_url`` under ``backend_options``.
        """
        values = {k: data[k] for k in _KNOBS if data.get(k) is not None}
        legacy = data.get("backend_options")
        if isinstance(legacy, dict) and legacy.get("base_url") and "base_url" not in values:
            values["base_url"] = legacy["base_url"]
        cwd = values.get("cwd")
        project = cwd if isinstance(cwd, str) and Path(cwd).is_dir() else None
        return cls.resolve(project, **values)

    def with_(self, **changes: Any) -> RunOptions:
        """A copy with the given non-None fields replaced."""
        return replace(self, **_typed({k: v for k, v in changes.items() if v is not None}))


_INTS = ("concurrency", "max_agents", "max_items", "budget", "memory_limit", "max_log_line",
         "max_log_bytes", "max_result_bytes", "hash_seed")
_FLOATS = ("agent_timeout", "run_timeout", "stall_timeout", "max_cost")
_BOOLS = ("resume_after_quota", "otel", "distributed")
_STRS = ("backend", "model", "base_url", "isolation", "store", "cwd", "max_failures",
         "worktree_base")


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise option types (stored JSON, config files, keyword arguments)."""
    out = dict(values)
    for key, value in values.items():
        if key in _INTS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise UsageError(f"run option {key!r} must be an integer, got {value!r}")
        elif key in _FLOATS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise UsageError(f"run option {key!r} must be a number, got {value!r}")
            out[key] = float(value)
        elif key in _BOOLS:
            if not isinstance(value, bool):
                raise UsageError(f"run option {key!r} must be true or false, got {value!r}")
        elif key in _STRS:
            if key == "max_failures" and isinstance(value, int) and not isinstance(value, bool):
                out[key] = str(value)
            elif isinstance(value, os.PathLike):
                out[key] = os.fspath(value)
            elif not isinstance(value, str):
                raise UsageError(f"run option {key!r} must be a string, got {value!r}")
    return out

