"""The Claude Code CLI flags that hold one agent to its tool grant (checked on 2.1.330).

The grant (:mod:`._grants`) becomes:

- ``--tools``: the built-in tools offered, exactly the granted ones (read: ``Read``;
  list: ``LS``, ``Glob``; glob/grep: ``Glob``/``Grep``; edit: ``Edit``, ``MultiEdit``;
  write: ``Write``; bash: ``Bash``; ``WebSearch``/``WebFetch``). Names a CLI version
  lacks are dropped by the CLI (2.1.330 has no ``LS`` or ``MultiEdit``).
- ``--allowedTools``: what runs without asking: ``Read(./**)`` (reads inside the
  workspace), ``Edit(./**)`` for edit/write (Claude Code's ``Edit`` rules cover every
  file-writing tool; a bare ``Write`` would also approve writes outside the workspace),
  ``Bash(PREFIX:*)`` per ``bash_allow`` prefix (``Bash`` for ``*``), ``WebSearch``,
  ``WebFetch`` and the grant's ``mcp__...`` patterns.
- ``--disallowedTools``: the tools that start agents, workflows or later sessions -
  ``Task``/``Agent``, ``Workflow``, ``Skill`` (a skill may run in a subagent),
  ``SendMessage``, ``CronCreate``, ``ScheduleWakeup``, ``RemoteTrigger``. ``--tools``
  already leaves them out; the deny rules also hold when ``cli_args`` adds tools.
- ``--permission-mode dontAsk``: whatever no rule allows is refused, never asked about.
  The CLI checks every part of a compound command (``pytest && rm -rf x`` is refused
  under ``Bash(pytest:*)``) and keeps reads and edits inside the working directory.
- ``--setting-sources ""``: no user or project ``settings.json`` adds allow rules,
  hooks or a permission mode; ``--strict-mcp-config`` (with ``--mcp-config FILE``
  holding only the reached servers, :mod:`._mcp_config`): no other MCP server starts.
- ``--max-turns``, and for an agent type ``--agents FILE --agent NAME``: the type's
  definition as Claude Code's own JSON (description, prompt, and its tools - the same list
  as ``--tools``, plus ``StructuredOutput`` for a schema agent and the reached MCP
  servers), so the definition found by :mod:`._agent_types` drives the CLI whichever
  folder it came from; ``--agents`` outranks the CLI's own ``.claude/agents`` lookup.

Considered and rejected: ``acceptEdits`` (the old default) approves edits but refuses
every command, and approves some file commands (``mkdir``, ``rm``) on its own;
``bypassPermissions`` runs anything offered; ``--restricted`` adds nothing these flags
lack except refusing a ``bypassPermissions`` the user asks for in ``cli_args``; the
claude-agent-sdk with a ``can_use_tool`` callback (not installed; it would re-implement
the compound-command and path checks the CLI's rules already make).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._agent_types import AgentType
from ._grants import ToolGrant

__all__ = ["NEVER", "agent_definition", "allow_rules", "builtin_tools", "policy_args"]

NEVER = ("Task", "Agent", "Workflow", "Skill", "SendMessage", "CronCreate", "ScheduleWakeup",
         "RemoteTrigger")
"""Claude Code tools that start agents, workflows or sessions: always denied."""

_BUILTIN: Mapping[str, tuple[str, ...]] = {
    "read": ("Read",), "list": ("LS", "Glob"), "glob": ("Glob",), "grep": ("Grep",),
    "edit": ("Edit", "MultiEdit"), "write": ("Write",), "bash": ("Bash",),
    "web_search": ("WebSearch",), "web_fetch": ("WebFetch",),
}
_ORDER = ("read", "list", "glob", "grep", "edit", "write", "bash", "web_search", "web_fetch")
_READS = frozenset({"read", "list", "glob", "grep"})
_WRITES = frozenset({"edit", "write"})


def builtin_tools(grant: ToolGrant) -> tuple[str, ...]:
    """The Claude Code built-in tools ``grant`` offers, in a stable order."""
    names = (name for tool in _ORDER if tool in grant.tools for name in _BUILTIN[tool])
    return tuple(dict.fromkeys(names))


def allow_rules(grant: ToolGrant) -> tuple[str, ...]:
    """The permission rules that let the granted tools run without asking."""
    rules: list[str] = []
    if grant.tools & _READS:
        rules.append("Read(./**)")
    if grant.tools & _WRITES:
        rules.append("Edit(./**)")
    if "bash" in grant.tools:
        star = grant.bash_allow == ("*",)
        rules += ["Bash"] if star else [f"Bash({prefix}:*)" for prefix in grant.bash_allow]
    rules += [name for tool, name in (("web_search", "WebSearch"), ("web_fetch", "WebFetch"))
              if tool in grant.tools]
    rules += grant.mcp
    return tuple(rules)


def _offered_mcp(pattern: str) -> str:
    """An agent definition's ``tools`` takes exact names or a whole server only."""
    return pattern if "*" not in pattern else f"mcp__{pattern.split('__')[1]}__*"


def agent_definition(agent_type: AgentType, grant: ToolGrant, *,
                     schema: bool) -> dict[str, Any]:
    """``agent_type`` as one entry of Claude Code's ``--agents`` JSON.

    The model is left out: ``--model`` carries the agent's (the call's, else the type's).
    """
    tools = [*builtin_tools(grant), *(["StructuredOutput"] if schema else []),
             *dict.fromkeys(_offered_mcp(p) for p in grant.mcp)]
    return {"description": agent_type.description or f"flowdsl agent type {agent_type.name}",
            "prompt": agent_type.prompt, "tools": tools}


def policy_args(grant: ToolGrant, *, max_turns: int, mcp_file: Path | None = None,
                agent: tuple[str, Path] | None = None) -> list[str]:
    """The flags that hold one ``claude -p`` run to ``grant``.

    Args:
        grant: the agent's tools.
        max_turns: its turn limit.
        mcp_file: a ``.mcp.json``-format file with the servers the grant reaches.
        agent: the agent type's name and the ``--agents`` file defining it.
    """
    args = ["--tools", ",".join(builtin_tools(grant)), "--permission-mode", "dontAsk",
            "--setting-sources", ""]
    rules = allow_rules(grant)
    if rules:
        args += ["--allowedTools", *rules]
    args += ["--disallowedTools", *NEVER, "--strict-mcp-config"]
    if mcp_file is not None:
        args += ["--mcp-config", str(mcp_file)]
    args += ["--max-turns", str(max_turns)]
    if agent is not None:
        args += ["--agents", str(agent[1]), "--agent", agent[0]]
    return args
