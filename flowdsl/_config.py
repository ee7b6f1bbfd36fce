"""Project configuration: ``[tool.flowdsl]`` in ``pyproject.toml`` or a ``flowdsl.toml``.

The nearest file wins, searching from the start directory up to the filesystem root; in one
directory ``flowdsl.toml`` (a file that exists only for flowdsl) is preferred over
``pyproject.toml``. Keys (all optional)::

    backend = "openai"            # openai | anthropic | claude | codex | simulate | module:factory
    model = "gpt-4.1-mini"        # the run default; opts.model and meta.phases[].model win
    base_url = "http://127.0.0.1:8000/v1"   # OpenAI-compatible / Anthropic endpoint
    retries = 4                   # HTTP retries on 429/5xx/connection errors (exp. backoff)
    backoff = 0.5                 # first backoff delay in seconds (doubles, capped at 30 s)
    reasks = 2                    # schema re-asks after an invalid structured output
    timeout = 600                 # seconds for one HTTP request / one CLI run
    agent_timeout = 900           # default per-agent timeout applied by the runtime
    concurrency = 16              # agents running at once
    max_agents = 1000             # the agent cap
    budget = 200000               # token budget of every run (real input + output tokens)
    run_timeout = 3600            # wall-clock limit of a run, in seconds
    isolation = "process"         # process (the script in a supervised child) | inline
    memory_limit = 2147483648     # bytes of address space the script's process may use
    stall_timeout = 30            # seconds the script's event loop may stall (one C call)
    max_log_line = 10000          # characters in one log() line
    max_log_bytes = 10485760      # bytes of log text one run may write
    max_result_bytes = 16777216   # bytes of a run's JSON result (and of one agent schema)
    store = ".flowdsl"            # the run store directory, relative to this file
    max_tokens = 4096             # output cap sent to the Anthropic Messages API
    stream = false                # openai text agents: stream (SSE, usage from the last chunk)
    tools = ["read", "list", "glob", "grep"]   # tools of agents whose type lists none
    bash_allow = ["pytest", "git diff"]         # command prefixes a plain Bash grant may run
    bash_timeout = 120            # seconds one bash tool call may run
    max_turns = 30                # model turns of one tool-using API agent (opts.max_turns wins)
    max_failures = "10%"          # failure policy: N agents or P% of those finished (see
                                  # flowdsl/_failure_limit.py); past it no agent is dispatched
    otel = true                   # export an OpenTelemetry trace of every run (the otel
                                  # extra); unset: on when OTEL_EXPORTER_OTLP_ENDPOINT is set
    distributed = true            # agents run on `flowdsl worker`s through the queue of the
                                  # PostgreSQL store (store = "postgresql://...")

    [tool.flowdsl.mcp_servers]    # MCP servers for agents whose type grants mcp__NAME__*
    github = { command = "github-mcp", args = ["stdio"], env = { TOKEN = "..." } }
    docs = { type = "http", url = "http://127.0.0.1:9000/mcp" }

    [tool.flowdsl.aliases]        # model aliases, resolved after routing
    fast = "gpt-4.1-mini"
    smart = "gpt-4.1"

    [tool.flowdsl.prices]         # USD per million tokens; the exact name wins over genai-prices
    "my-local-model" = { input = 0.0, output = 0.0 }

    [tool.flowdsl.commands]       # coding-agent CLIs, when not on PATH
    claude = "/opt/claude/bin/claude"
    codex = "/opt/codex/bin/codex"

    [tool.flowdsl.cli_args]       # extra arguments for each CLI run, after the tool policy's
    claude = ["--verbose"]        # (a repeated single-value flag overrides the policy's)
    codex = ["--sandbox", "workspace-write"]

A ``flowdsl.toml`` holds the same keys at its top level (or under ``[tool.flowdsl]``).
The run knobs (``backend``, ``model``, ``base_url``, ``concurrency``, ``max_agents``,
``budget``, ``agent_timeout``, ``run_timeout``, ``isolation``, ``memory_limit``,
``stall_timeout``, ``max_log_line``, ``max_log_bytes``, ``max_result_bytes``,
``store``) are merged into
:class:`flowdsl._options.RunOptions`, where explicit arguments win.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Literal

from .errors import UsageError

__all__ = [
    "OTEL_ENDPOINT_VARIABLES",
    "Config",
    "OtelChoice",
    "Price",
    "load_config",
    "otel_choice",
    "project_folders",
    "project_root",
    "resolve_model",
]


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million input and output tokens: a ``[tool.flowdsl.prices]`` entry.

    Every other price comes from genai-prices (:mod:`flowdsl.backends._prices`).
    """

    input: float
    output: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


_INT_KEYS = ("retries", "reasks", "concurrency", "max_tokens", "max_agents", "budget",
             "memory_limit", "max_log_line", "max_log_bytes", "max_result_bytes", "max_turns")
_FLOAT_KEYS = ("timeout", "agent_timeout", "backoff", "run_timeout", "stall_timeout",
               "bash_timeout", "max_cost")
_STR_KEYS = ("backend", "model", "base_url", "store", "isolation", "worktree_base")
_TABLE_KEYS = ("aliases", "prices", "commands", "cli_args", "mcp_servers")
_BOOL_KEYS = ("stream", "resume_after_quota", "otel", "distributed")
_LIST_KEYS = ("tools", "bash_allow")
_KNOWN_KEYS = frozenset(_INT_KEYS + _FLOAT_KEYS + _STR_KEYS + _TABLE_KEYS + _BOOL_KEYS
                        + _LIST_KEYS + ("max_failures",))


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Resolved configuration; every field has a usable default."""

    backend: str | None = None
    model: str | None = None
    base_url: str | None = None
    retries: int = 4
    backoff: float = 0.5
    reasks: int = 2
    timeout: float = 600.0
    agent_timeout: float | None = None
    concurrency: int | None = None
    max_agents: int | None = None
    budget: int | None = None
    run_timeout: float | None = None
    isolation: str | None = None
    memory_limit: int | None = None
    stall_timeout: float | None = None
    max_log_line: int | None = None
    max_log_bytes: int | None = None
    max_result_bytes: int | None = None
    store: str | None = None
    max_tokens: int = 4096
    stream: bool = False
    tools: tuple[str, ...] = ("read", "list", "glob", "grep")
    """Tool names of agents whose type lists none (see :mod:`flowdsl.backends._grants`)."""
    bash_allow: tuple[str, ...] = ()
    """Command prefixes a plain ``Bash`` grant runs; also granted to default agents."""
    bash_timeout: float = 120.0
    max_turns: int = 30
    max_failures: str | None = None
    """The failure policy (``"10"`` agents or ``"5%"``); a run knob."""
    max_cost: float | None = None
    """The run's cost cap in USD; a run knob."""
    resume_after_quota: bool | None = None
    """Resume a quota-paused run at the provider's reset time; a run knob."""
    worktree_base: str | None = None
    """``head`` or ``working-tree``: what isolated agents' worktrees start from; a run knob."""
    otel: bool | None = None
    """Export an OpenTelemetry trace of every run (None: when the environment names an OTLP
    endpoint, see :func:`otel_choice`); a run knob."""
    distributed: bool | None = None
    """Send agents to ``flowdsl worker`` processes through the PostgreSQL store's queue;
    a run knob."""
    mcp_servers: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: MappingProxyType({}))
    """MCP servers by name, in ``.mcp.json``'s format (checked when agents start)."""
    aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    prices: Mapping[str, Price] = field(default_factory=lambda: MappingProxyType({}))
    """The user's prices by exact model name, checked before genai-prices."""
    commands: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    cli_args: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    source: Path | None = None
    """The file the values came from, for error messages; None for defaults."""

    default: ClassVar[Config]

    def with_overrides(self, **values: Any) -> Config:
        """A copy with the given non-None fields replaced (CLI flags over the file)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def with_prices(self, prices: Mapping[str, Price]) -> Config:
        """A copy whose price overrides are this one's with ``prices`` added or replaced."""
        return replace(self, prices=MappingProxyType({**self.prices, **prices}))

    def run_defaults(self) -> dict[str, Any]:
        """The run knobs this configuration sets (None: not set), for ``RunOptions``.

        A relative ``store`` is relative to the configuration file's directory.
        """
        store = self.store
        if store is not None and self.source is not None and "://" not in store:  # not a URL
            store = str(self.source.parent / store)
        return {
            "backend": self.backend, "model": self.model, "base_url": self.base_url,
            "concurrency": self.concurrency, "max_agents": self.max_agents,
            "budget": self.budget, "agent_timeout": self.agent_timeout,
            "run_timeout": self.run_timeout, "isolation": self.isolation,
            "memory_limit": self.memory_limit, "stall_timeout": self.stall_timeout,
            "max_log_line": self.max_log_line, "max_log_bytes": self.max_log_bytes,
            "max_result_bytes": self.max_result_bytes, "store": store,
            "max_failures": self.max_failures, "max_cost": self.max_cost,
            "resume_after_quota": self.resume_after_quota, "worktree_base": self.worktree_base,
            "otel": self.otel, "distributed": self.distributed,
        }

    def price(self, model: str | None) -> Price | None:
        """The user's price for ``model`` (exact name, after aliases); None: not overridden."""
        model = self.resolve_alias(model)
        return self.prices.get(model) if model else None

    def resolve_alias(self, model: str | None) -> str | None:
        """Follow alias chains (``fast`` -> ``mini`` -> a real name); cycles are an error."""
        seen: list[str] = []
        while model is not None and model in self.aliases:
            if model in seen:
                chain = " -> ".join([*seen, model])
                raise UsageError(f"model alias cycle: {chain}")
            seen.append(model)
            model = self.aliases[model]
        return model


Config.default = Config()


def resolve_model(
    opts_model: str | None,
    phase_model: str | None,
    default: str | None,
    aliases: Mapping[str, str] | None = None,
) -> str | None:
    """Model routing: ``opts.model`` > ``meta.phases[].model`` > run default, then aliases."""
    chosen = opts_model or phase_model or default
    return Config(aliases=MappingProxyType(dict(aliases or {}))).resolve_alias(chosen)


OTEL_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
"""The standard variables that name an OTLP collector: set, they turn tracing on."""

OtelChoice = Literal["on", "off", "auto"]
"""Tracing asked for (``--otel``, ``otel = true``), refused, or on by the environment."""


def otel_choice(chosen: bool | None, environ: Mapping[str, str] | None = None) -> OtelChoice:
    """Whether a run exports an OpenTelemetry trace.

    ``chosen`` (``--otel`` / ``--no-otel``, ``otel=`` of the API, the ``otel`` key) wins;
    unset, tracing is ``"auto"``: on when the environment names an OTLP endpoint (the
    collector the exporter reads from the same variables), else ``"off"``. Automatic
    tracing without the ``otel`` extra is skipped with a notice; asked-for tracing without
    it is an error.
    """
    if chosen is not None:
        return "on" if chosen else "off"
    env = os.environ if environ is None else environ
    return "auto" if any(env.get(name, "").strip() for name in OTEL_ENDPOINT_VARIABLES) else "off"


def project_folders(start: Path) -> Iterator[Path]:
    """``start`` and its parents, up to and including the repository root (``.git``).

    Without a repository above ``start``, up to the filesystem root.
    """
    current = start.resolve()
    while True:
        yield current
        if (current / ".git").exists() or current.parent == current:
            return
        current = current.parent


def project_root(start: Path) -> Path:
    """The repository root at or above ``start`` (a folder holding ``.git``), else ``start``."""
    *_, top = project_folders(start)
    return top if (top / ".git").exists() else start.resolve()


def _find(start: Path) -> tuple[Path, dict[str, Any]] | None:
    for directory in (start, *start.parents):
        for name in ("flowdsl.toml", "pyproject.toml"):
            path = directory / name
            if not path.is_file():
                continue
            data = _read(path)
            if name == "flowdsl.toml":
                section = data.get("tool", {}).get("flowdsl", data)
                return path, {k: v for k, v in section.items() if k != "tool"}
            if "flowdsl" in data.get("tool", {}):
                return path, data["tool"]["flowdsl"]
    return None


def _read(path: Path) -> dict[str, Any]:
    import tomllib  # here: loaded only when a flowdsl.toml or pyproject.toml is found

    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read configuration ({exc})") from exc


def load_config(start_dir: str | Path | None = None) -> Config:
    """Read the nearest flowdsl configuration above ``start_dir`` (default: the cwd).

    Raises:
        UsageError: the file is unreadable, or a key is unknown or has the wrong type.
    """
    start = Path(start_dir if start_dir is not None else Path.cwd()).resolve()
    found = _find(start)
    if found is None:
        return Config.default
    path, section = found
    return _parse(section, path)


def _parse(section: Mapping[str, Any], path: Path) -> Config:
    unknown = sorted(set(section) - _KNOWN_KEYS)
    if unknown:
        known = ", ".join(sorted(_KNOWN_KEYS))
        raise UsageError(f"{path}: unknown flowdsl key(s) {', '.join(unknown)} (known: {known})")
    values: dict[str, Any] = {"source": path}
    for key in _STR_KEYS:
        if key in section:
            values[key] = _typed(section[key], str, key, path)
    for key in _INT_KEYS:
        if key in section:
            values[key] = _typed(section[key], int, key, path)
    for key in _BOOL_KEYS:
        if key in section:
            values[key] = _typed(section[key], bool, key, path)
    for key in _FLOAT_KEYS:
        if key in section:
            values[key] = float(_typed(section[key], (int, float), key, path))
    for key in ("aliases", "commands"):
        if key in section:
            table = _typed(section[key], dict, key, path)
            values[key] = MappingProxyType({
                str(k): _typed(v, str, f"{key}.{k}", path) for k, v in table.items()
            })
    values.update(_agent_keys(section, path))
    if "max_failures" in section:
        values["max_failures"] = str(_typed(section["max_failures"], (int, str),
                                            "max_failures", path))
    if "cli_args" in section:
        table = _typed(section["cli_args"], dict, "cli_args", path)
        values["cli_args"] = MappingProxyType({
            str(k): tuple(_typed(a, str, f"cli_args.{k}", path)
                          for a in _typed(v, list, f"cli_args.{k}", path))
            for k, v in table.items()
        })
    if "prices" in section:
        values["prices"] = _prices(_typed(section["prices"], dict, "prices", path), path)
    return Config(**values)


def _agent_keys(section: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The tool lists and the MCP servers (each server's entry is checked when used)."""
    values: dict[str, Any] = {}
    for key in _LIST_KEYS:
        if key in section:
            values[key] = tuple(_typed(v, str, f"{key}[]", path)
                                for v in _typed(section[key], list, key, path))
    if "mcp_servers" in section:
        table = _typed(section["mcp_servers"], dict, "mcp_servers", path)
        values["mcp_servers"] = MappingProxyType({
            str(k): MappingProxyType(dict(_typed(v, dict, f"mcp_servers.{k}", path)))
            for k, v in table.items()
        })
    return values


def _prices(table: Mapping[str, Any], path: Path) -> Mapping[str, Price]:
    merged: dict[str, Price] = {}
    for model, entry in table.items():
        entry = _typed(entry, dict, f"prices.{model}", path)
        try:
            merged[model] = Price(float(entry["input"]), float(entry["output"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(
                f"{path}: prices.{model} needs numeric 'input' and 'output' "
                f"(USD per million tokens), got {entry!r}"
            ) from exc
    return MappingProxyType(merged)


def _typed(value: Any, kind: type | tuple[type, ...], key: str, path: Path) -> Any:
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise UsageError(f"{path}: flowdsl key {key!r} must be {names}, got {value!r}")
    return value
