"""``flowdsl mcp install``: register flowdsl's MCP server with an agent host.

The entry is always named ``flowdsl`` and runs :func:`server_command` (``flowdsl mcp``,
stdio). Where each host keeps it:

* **claude** (Claude Code): project scope ``<project>/.mcp.json``, user scope
  ``~/.claude.json`` (a file full of other Claude Code state); both under ``"mcpServers"``
  as ``{"type": "stdio", "command": ..., "args": [...], "env": {}}``.
* **codex** (Codex CLI): ``<project>/.codex/config.toml`` (Codex reads it for trusted
  projects) or ``~/.codex/config.toml``; table ``[mcp_servers.flowdsl]`` with ``command``
  and ``args``. The file is edited with tomlkit, so its comments, order and formatting stay
  byte-for-byte, and the result is re-read with tomllib: an edit that would change anything
  but our entry (possible with dotted keys) is refused.
* **cursor**: ``<project>/.cursor/mcp.json`` or ``~/.cursor/mcp.json``, under
  ``"mcpServers"`` as ``{"command": ..., "args": [...]}``.

Rules. The entry is ours: a different ``flowdsl`` entry is replaced whole, except that an
``env`` object the user put in it is kept. An entry already as wanted leaves the file alone
("unchanged", not even rewritten). Other entries and keys are never touched; JSON keeps its
key order and is written with 2-space indents and a trailing newline (a blank file counts as
``{}``). Missing files and folders are created; a write goes to a temporary file in the same
folder that then replaces the file (``os.replace``), with the old file's permission bits (a
new ``~/.claude.json`` gets 0600), through a symlink to its target. Content that cannot be
read or safely edited raises :class:`~flowdsl.errors.UsageError` in one line naming the file
(``file:line:col`` for syntax errors, columns from 1) and leaves the file as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import tomlkit
from tomlkit import items
from tomlkit.exceptions import ParseError

from ..errors import UsageError

__all__ = ["HOSTS", "SCOPES", "Host", "InstallOutcome", "Scope", "config_path", "install",
           "server_command"]

Host = Literal["claude", "codex", "cursor"]
Scope = Literal["project", "user"]
HOSTS: tuple[Host, ...] = ("claude", "codex", "cursor")
SCOPES: tuple[Scope, ...] = ("project", "user")
ENTRY = "flowdsl"

_KINDS: dict[type, str] = {list: "an array", str: "a string", bool: "a boolean",
                           int: "a number", float: "a number", type(None): "null"}


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallOutcome:
    """What :func:`install` did. ``text`` is the file's new full text, or with ``--print``
    the snippet to paste (the entry alone, as a complete small file)."""

    host: Host
    scope: Scope
    path: Path
    action: Literal["created", "updated", "unchanged", "printed"]
    text: str


def server_command() -> list[str]:
    """The command a host runs; the absolute interpreter path means the host needs no PATH."""
    return [sys.executable, "-m", "flowdsl", "mcp"]


def config_path(host: Host, scope: Scope, *, project_dir: Path, home: Path) -> Path:
    """The configuration file ``host`` reads its ``scope``'s MCP servers from."""
    base = project_dir if scope == "project" else home
    if host == "claude":
        return base / (".mcp.json" if scope == "project" else ".claude.json")
    return base / (".codex/config.toml" if host == "codex" else ".cursor/mcp.json")


def install(host: Host, *, scope: Scope = "project", project_dir: Path, home: Path,
            command: list[str] | None = None, print_only: bool = False) -> InstallOutcome:
    """Add (or refresh) the ``flowdsl`` entry in ``host``'s configuration for ``scope``."""
    if host not in HOSTS or scope not in SCOPES:
        raise UsageError(f"unknown host or scope {host!r}/{scope!r}: host is one of "
                         f"{', '.join(HOSTS)}, scope one of {', '.join(SCOPES)}")
    argv = server_command() if command is None else list(command)
    if not argv:
        raise UsageError("the MCP server command is empty")
    path = config_path(host, scope, project_dir=project_dir, home=home)
    edit = _edit_toml if host == "codex" else _edit_json
    if print_only:
        return InstallOutcome(host=host, scope=scope, path=path, action="printed",
                              text=edit(host, path, None, argv))
    old = _read(path)
    new = edit(host, path, old, argv)
    if new == old:
        return InstallOutcome(host=host, scope=scope, path=path, action="unchanged", text=new)
    private = host == "claude" and scope == "user"
    _write_atomically(path, new, new_file_mode=0o600 if private else 0o666)
    return InstallOutcome(host=host, scope=scope, path=path,
                          action="created" if old is None else "updated", text=new)


def _wanted_entry(host: Host, argv: list[str], current: object) -> dict[str, Any]:
    """Our entry for ``host``, keeping the ``env`` object of the ``current`` one."""
    env = current.get("env") if isinstance(current, dict) else None
    entry: dict[str, Any] = {"type": "stdio"} if host == "claude" else {}
    entry |= {"command": argv[0], "args": argv[1:]}
    if isinstance(env, dict) or host == "claude":
        entry["env"] = env if isinstance(env, dict) else {}
    return entry


def _edit_json(host: Host, path: Path, old: str | None, argv: list[str]) -> str:
    data = _parse_json(path, old)
    servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise UsageError(f'{path}: "mcpServers" is {_kind(servers)}, not an object')
    wanted = _wanted_entry(host, argv, servers.get(ENTRY))
    if old is not None and servers.get(ENTRY) == wanted:
        return old
    servers[ENTRY] = wanted
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _parse_json(path: Path, text: str | None) -> dict[str, Any]:
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"{path}: the top level is {_kind(data)}, not an object")
    return data


def _edit_toml(host: Host, path: Path, old: str | None, argv: list[str]) -> str:
    text = old or ""
    doc = _parse_toml(path, text)
    before = _toml_meaning(path, text)
    servers = before.get("mcp_servers", {})
    if not isinstance(servers, dict):
        raise UsageError(f"{path}: mcp_servers is {_kind(servers)}, not a table")
    wanted = _wanted_entry(host, argv, servers.get(ENTRY))
    if servers.get(ENTRY) == wanted:
        return text
    new = _with_toml_entry(doc, text, wanted)
    if _toml_meaning(path, new, quiet=True) != before | {"mcp_servers": servers | {ENTRY: wanted}}:
        raise UsageError(f"{path}: cannot add [mcp_servers.{ENTRY}] without changing other "
                         "settings (dotted keys?); add it by hand (see --print)")
    return new


def _parse_toml(path: Path, text: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        reason = str(exc).rsplit(" at line ", 1)[0]
        raise UsageError(f"{path}:{exc.line}:{exc.col + 1}: invalid TOML: {reason}") from exc


def _toml_meaning(path: Path, text: str, *, quiet: bool = False) -> dict[str, Any]:
    """The plain values of ``text`` by the standard parser (``{}`` if quiet and invalid)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        if quiet:
            return {}
        raise UsageError(f"{path}: invalid TOML: {exc}") from exc


def _with_toml_entry(doc: tomlkit.TOMLDocument, text: str, wanted: dict[str, Any]) -> str:
    """``doc`` with our entry: edited in place if it exists, else appended at the end."""
    servers = doc.get("mcp_servers")
    current = None if servers is None else servers.get(ENTRY)
    if isinstance(current, items.Table | items.InlineTable):
        for key in [key for key in current if key not in wanted]:
            del current[key]
        current["command"] = wanted["command"]
        current["args"] = wanted["args"]
        return tomlkit.dumps(doc)
    if servers is not None and (current is not None or isinstance(servers, items.InlineTable)):
        servers[ENTRY] = _fill_toml_table(tomlkit.inline_table(), wanted)
        return tomlkit.dumps(doc)
    table = tomlkit.table(is_super_table=True)
    table[ENTRY] = _fill_toml_table(tomlkit.table(), wanted)
    snippet = tomlkit.document()
    snippet["mcp_servers"] = table
    if not text.strip():
        return tomlkit.dumps(snippet)
    gap = "" if text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
    return text + gap + tomlkit.dumps(snippet)


def _fill_toml_table(table: items.Table | items.InlineTable,
                     wanted: dict[str, Any]) -> items.Table | items.InlineTable:
    """``table`` holding ``wanted``, a nested ``env`` as an inline table."""
    for key, value in wanted.items():
        nested = isinstance(value, dict)
        table[key] = _fill_toml_table(tomlkit.inline_table(), value) if nested else value
    return table


def _kind(value: object) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _read(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {_reason(exc)}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from exc


def _write_atomically(path: Path, text: str, *, new_file_mode: int) -> None:
    """Replace ``path``'s target with ``text`` via a temporary file in the same folder."""
    target = Path(os.path.realpath(path))
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode: int | None = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            mode = None
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        fd = os.open(temp, flags, new_file_mode if mode is None else 0o600)
        with os.fdopen(fd, "wb") as file:
            if mode is not None:
                os.fchmod(file.fileno(), mode)
            file.write(text.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, target)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {_reason(exc)}") from exc
    finally:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
