"""Agent types: Claude Code's agent definitions, found for a workspace.

``agent_type="reviewer"`` names a Markdown file with YAML front matter, looked up in order:

1. ``.flowdsl/agents/reviewer.md`` in the workspace,
2. ``.claude/agents/reviewer.md`` in the workspace (Claude Code's project agents),
3. ``~/.claude/agents/reviewer.md`` (Claude Code's user agents),
4. the definitions shipped with flowdsl (``flowdsl/workflows/agents/``, used by the bundled
   workflows; their names start with ``flowdsl-``),
5. Claude Code's built-in types ``general-purpose``, ``Explore`` and ``Plan``.

The front matter holds ``name``, ``description``, ``tools`` (a comma-separated string or a
list of tool names; absent: the configured default tools) and ``model`` (``inherit`` or
absent: the run's routing decides); the body is the system prompt. What the tools grant is
:mod:`._grants`'s job; this module only reads and checks the files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import AgentTypeError

__all__ = ["BUILTIN_TYPES", "BUNDLED_AGENTS", "AgentType", "AgentTypes"]

BUNDLED_AGENTS = Path(__file__).resolve().parent.parent / "workflows" / "agents"
"""The agent definitions shipped with the package."""

_NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\Z")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_MAX_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentType:
    """One agent definition."""

    name: str
    prompt: str
    """The system prompt (the file's body)."""
    description: str = ""
    tools: tuple[str, ...] | None = None
    """The tool names the definition lists, as written; None: the configured defaults."""
    model: str | None = None
    """The model it asks for; None when absent or ``inherit``."""
    source: str = ""
    """Where it was read from (a path, or ``built-in``)."""


_READ_ONLY = ("Read", "Glob", "Grep", "LS")

BUILTIN_TYPES: dict[str, AgentType] = {
    "general-purpose": AgentType(
        name="general-purpose", source="built-in", tools=None,
        description="General-purpose agent for multi-step tasks (the configured default tools)",
        prompt="You are a capable general-purpose agent. Use the tools you have to look "
               "things up in the workspace rather than guessing, then answer."),
    "Explore": AgentType(
        name="Explore", source="built-in", tools=_READ_ONLY,
        description="Fast read-only agent for exploring a codebase",
        prompt="You explore a codebase read-only: find files with glob, search with grep, "
               "read what matters, and report precisely (paths and line numbers)."),
    "Plan": AgentType(
        name="Plan", source="built-in", tools=_READ_ONLY,
        description="Read-only agent that researches a codebase and writes a plan",
        prompt="You research a codebase read-only and write a concrete, step-by-step plan "
               "that names the files and functions to change. You change nothing."),
}
"""Claude Code's built-in agent types, as far as flowdsl's tools can play them."""


class AgentTypes:
    """Finds and caches the agent definitions of one workspace.

    Args:
        workspace: the project directory agents work in.
        home: the user's home (``~/.claude/agents``); None: no user-level agents.
        bundled: the shipped definitions' directory.
    """

    def __init__(self, workspace: Path, *, home: Path | None = None,
                 bundled: Path = BUNDLED_AGENTS) -> None:
        self.folders = (workspace / ".flowdsl" / "agents", workspace / ".claude" / "agents",
                        *((home / ".claude" / "agents",) if home is not None else ()), bundled)
        self._cache: dict[str, AgentType] = {}

    def get(self, name: str) -> AgentType:
        """The definition ``name`` names.

        Raises:
            AgentTypeError: not a valid name, no such definition, or an unusable file.
        """
        found = self._cache.get(name)
        if found is None:
            found = self._cache[name] = self._find(name)
        return found

    def _find(self, name: str) -> AgentType:
        if not _NAME.match(name):
            raise AgentTypeError(f"agent_type {name!r} is not a valid agent name "
                                 "(letters, digits, '.', '_', '-')")
        for folder in self.folders:
            path = folder / f"{name}.md"
            if path.is_file():
                return read_agent_type(path, name)
        if name in BUILTIN_TYPES:
            return BUILTIN_TYPES[name]
        places = ", ".join(str(f) for f in self.folders[:-1])
        raise AgentTypeError(f"agent_type {name!r}: no definition {name}.md in {places} "
                             f"(built-in types: {', '.join(BUILTIN_TYPES)})")


def read_agent_type(path: Path, name: str) -> AgentType:
    """Parse one definition file (Claude Code's format).

    Raises:
        AgentTypeError: the file cannot be read, is too big, or its front matter is bad.
    """
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise AgentTypeError(f"{path}: agent definition over {_MAX_BYTES // 1024} KiB")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgentTypeError(f"{path}: cannot read the agent definition ({exc})") from exc
    match = _FRONT_MATTER.match(text)
    if match is None:
        return AgentType(name=name, prompt=text.strip(), source=str(path))
    import yaml  # ~20 ms of imports: only for a definition that has front matter

    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 2}:{mark.column + 1}" if mark is not None else str(path)
        raise AgentTypeError(f"{where}: the front matter is not valid YAML") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise AgentTypeError(f"{path}: the front matter must be a mapping of keys")
    return AgentType(
        name=name, prompt=text[match.end():].strip(), source=str(path),
        description=_text(meta.get("description"), "description", path) or "",
        tools=_tool_list(meta.get("tools"), path),
        model=_model(_text(meta.get("model"), "model", path)),
    )


def _text(value: object, key: str, path: Path) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise AgentTypeError(f"{path}: {key!r} must be text")
    return str(value).strip()


def _model(value: str | None) -> str | None:
    return None if not value or value == "inherit" else value


def _tool_list(value: object, path: Path) -> tuple[str, ...] | None:
    """``Read, Grep, Bash(git diff:*)`` or a YAML list; None when absent.

    Commas inside parentheses do not split (``Bash(npm run test, lint)`` stays one).
    """
    if value is None:
        return None
    if isinstance(value, str):
        items, depth, current = [], 0, ""
        for char in value:
            depth += (char == "(") - (char == ")")
            if char == "," and depth == 0:
                items.append(current)
                current = ""
            else:
                current += char
        items.append(current)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = list(value)
    else:
        raise AgentTypeError(f"{path}: 'tools' must be a comma-separated string or a list of "
                             "tool names")
    return tuple(t.strip() for t in items if t.strip())
