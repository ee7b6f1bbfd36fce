"""What an agent may use: its tool grant, from its agent type and the configuration.

One policy for every backend: the API agents' loop offers exactly these tools, and the
``claude`` CLI is started with the matching ``--allowedTools``/``--disallowedTools``.

- An agent without a type, or whose type has no ``tools`` line, gets the configured
  default tools (``tools`` in ``[tool.flowdsl]``; default the read-only four: read, list,
  glob, grep), plus ``bash`` for the ``bash_allow`` commands when that list is not empty.
- A type's ``tools`` line is exact. Names are Claude Code's (``Read``, ``LS``, ``Glob``,
  ``Grep``, ``Edit``, ``MultiEdit``, ``Write``, ``Bash``, ``WebSearch``, ``WebFetch``) or
  flowdsl's lower-case ones; ``Bash`` alone runs the ``bash_allow`` commands,
  ``Bash(pytest:*)`` adds the prefix ``pytest``, ``Bash(*)`` allows any command;
  ``mcp__NAME__*`` / ``mcp__NAME__TOOL`` grant tools of the MCP server ``NAME``.
- Tools that start nested agents or workflows (``Task``, ``Agent``, ``Workflow``) are
  never granted: a nested fan-out would escape the run's agent cap and budget. Claude
  Code tools with no flowdsl counterpart (``TodoWrite``, ``NotebookRead``, ...) are
  ignored; any other name is an :class:`~flowdsl.errors.AgentTypeError`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .._config import Config
from ..errors import AgentTypeError
from ._agent_types import AgentType

__all__ = [
    "DEFAULT_TOOLS",
    "NESTING_TOOLS",
    "WEB_TOOLS",
    "WORKSPACE_TOOLS",
    "ToolGrant",
    "grant_for",
    "parse_grant",
]

WORKSPACE_TOOLS = ("read", "list", "glob", "grep", "edit", "write", "bash")
"""flowdsl's workspace tools, in the order they are offered."""
DEFAULT_TOOLS = ("read", "list", "glob", "grep")
"""The read-only tools every agent gets unless configured otherwise."""
WEB_TOOLS = ("web_search", "web_fetch")
NESTING_TOOLS = frozenset({"task", "agent", "workflow"})
"""Claude Code tools that start agents or workflows: never granted."""

_ALIASES = {
    "read": "read", "ls": "list", "list": "list", "glob": "glob", "grep": "grep",
    "edit": "edit", "multiedit": "edit", "write": "write", "bash": "bash",
    "websearch": "web_search", "web_search": "web_search",
    "webfetch": "web_fetch", "web_fetch": "web_fetch",
}
_IGNORED = frozenset({
    "todowrite", "todoread", "notebookread", "notebookedit", "bashoutput", "killshell",
    "killbash", "slashcommand", "exitplanmode", "skill", "askuserquestion", "lsp",
})
"""Claude Code tools that flowdsl's agents do without."""
_BASH_PATTERN = re.compile(r"\ABash\((.*)\)\Z", re.IGNORECASE | re.DOTALL)
_MCP_PATTERN = re.compile(r"\Amcp__([A-Za-z0-9_.-]+?)(?:__([A-Za-z0-9_.*-]+))?\Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolGrant:
    """The tools one agent may use."""

    tools: frozenset[str] = frozenset(DEFAULT_TOOLS)
    """Granted names among :data:`WORKSPACE_TOOLS` and :data:`WEB_TOOLS`."""
    bash_allow: tuple[str, ...] = ()
    """Command prefixes ``bash`` may run; ``("*",)``: any command. ``bash`` is granted
    only with a non-empty list."""
    mcp: tuple[str, ...] = field(default=())
    """Patterns over MCP tool names ``mcp__SERVER__TOOL`` (``*`` wildcards)."""

    @property
    def workspace_tools(self) -> tuple[str, ...]:
        """The granted workspace tools, in :data:`WORKSPACE_TOOLS` order."""
        return tuple(t for t in WORKSPACE_TOOLS if t in self.tools)

    @property
    def mcp_servers(self) -> frozenset[str]:
        """The MCP servers some pattern reaches (their tools are listed, then filtered)."""
        return frozenset(p.split("__")[1] for p in self.mcp)

    def allows_mcp(self, server: str, tool: str) -> bool:
        name = f"mcp__{server}__{tool}"
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.mcp)


def parse_grant(names: Iterable[str] | None, *, default_tools: Sequence[str],
                bash_allow: Sequence[str], where: str) -> ToolGrant:
    """The grant a ``tools`` list (an agent type's, or None for the defaults) gives.

    Args:
        names: the listed tool names; None: ``default_tools``, plus ``bash`` when
            ``bash_allow`` is not empty.
        default_tools: the configured default tool names.
        bash_allow: the configured command prefixes for a plain ``Bash``.
        where: what to name in errors (the definition's path, or the config file).

    Raises:
        AgentTypeError: an unknown tool name or a malformed ``Bash(...)``/``mcp__`` pattern.
    """
    if names is None:
        names = [*default_tools, *(["bash"] if bash_allow else [])]
    tools: set[str] = set()
    prefixes: list[str] = []
    mcp: list[str] = []
    for raw in names:
        name = raw.strip()
        if name.startswith("mcp__"):
            if _MCP_PATTERN.match(name) is None:
                raise AgentTypeError(f"{where}: {name!r} is not an MCP tool pattern "
                                     "(mcp__SERVER__TOOL or mcp__SERVER__*)")
            mcp.append(name if name.count("__") >= 2 else f"{name}__*")
            continue
        bash = _BASH_PATTERN.match(name)
        if bash is not None:
            prefixes.append(_bash_prefix(bash.group(1), where))
            tools.add("bash")
            continue
        key = name.lower()
        if key in NESTING_TOOLS or key in _IGNORED:
            continue
        if key not in _ALIASES:
            known = "Read, LS, Glob, Grep, Edit, Write, Bash, Bash(prefix:*), WebSearch, " \
                    "WebFetch, mcp__SERVER__*"
            raise AgentTypeError(f"{where}: unknown tool {name!r} (known: {known})")
        tools.add(_ALIASES[key])
        if _ALIASES[key] == "bash":
            prefixes.extend(bash_allow)
    allow = ("*",) if "*" in prefixes else tuple(dict.fromkeys(p for p in prefixes if p))
    if not allow:
        tools.discard("bash")
    return ToolGrant(tools=frozenset(tools), bash_allow=allow, mcp=tuple(dict.fromkeys(mcp)))


def _bash_prefix(inner: str, where: str) -> str:
    """``pytest:*`` / ``pytest *`` / ``npm test`` -> the prefix; ``*`` -> any command."""
    text = inner.strip()
    if text in ("*", ""):
        return "*"
    for suffix in (":*", " *", "*"):
        if text.endswith(suffix):
            text = text[: -len(suffix)].strip()
            break
    if not text or "*" in text:
        raise AgentTypeError(f"{where}: Bash({inner}) is not a command prefix "
                             "(write Bash(pytest:*), Bash(npm test:*) or Bash(*))")
    return text


def grant_for(agent_type: AgentType | None, config: Config) -> ToolGrant:
    """The grant of an agent of ``agent_type`` (None: no type) under ``config``.

    Raises:
        AgentTypeError: the type's or the configuration's tool list names an unknown tool.
    """
    if agent_type is not None and agent_type.tools is not None:
        return parse_grant(agent_type.tools, default_tools=config.tools,
                           bash_allow=config.bash_allow, where=agent_type.source)
    return parse_grant(None, default_tools=config.tools, bash_allow=config.bash_allow,
                       where=str(config.source or "the configuration's tools"))
