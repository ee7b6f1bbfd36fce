"""The ``codex`` backend: the Codex CLI (``codex exec --json``) as a real coding agent.

One agent = one ``codex exec --json`` run in the project directory with stdin closed:

- a private HOME and ``CODEX_HOME`` holding copies of the user's ``auth.json`` and
  ``config.toml``; with a base URL configured, ``config.toml`` is instead written with a
  custom model provider (``wire_api = "responses"``) pointing at it - a gateway, a local
  Responses-API server, or the tests' fake;
- ``--output-schema FILE`` for schema agents (the final message is JSON, checked here by
  jsonschema; note that OpenAI's strict mode wants every property required and
  ``additionalProperties: false``);
- ``-m`` (the call's model, else the agent type's, else the backend's; alias-resolved),
  ``-c model_reasoning_effort=...``; ``agent_type`` has no Codex equivalent, so the
  definition flowdsl finds (:mod:`._agent_types`; an unknown type raises
  :class:`~flowdsl.errors.AgentTypeError` before anything is spawned) is prepended to the
  prompt, after the context line;
- the sandbox picked by the agent's tool grant (:mod:`._grants`): ``--sandbox read-only``
  when it grants none of edit, write and bash (Codex still runs read-only commands), else
  ``--sandbox workspace-write`` (writes confined to the workspace). Codex cannot narrow
  further: its commands are not held to the ``bash_allow`` prefixes, and the grant's
  ``mcp__`` patterns and ``max_turns`` have no ``codex exec`` flag, so they are not
  applied;
- usage summed over the ``turn.completed`` events; Codex reports no cost, so the tokens
  are priced as OpenAI's (:mod:`._prices`). An ``error`` event fails the agent only when no
  ``turn.completed`` follows it (Codex reports a dropped stream it then retries as an
  ``error``, ``Reconnecting... 1/5``); ``turn.failed`` always fails it.

``[tool.flowdsl.cli_args] codex = [...]`` adds arguments after these; when they choose a
sandbox themselves (``-s``/``--sandbox``, ``-c sandbox_mode=...``,
``--dangerously-bypass-approvals-and-sandbox``) the grant's is not passed.
``create_backend`` takes the options of
:meth:`._cli_agent.CLIAgentBackend.create`; the base URL falls back to
``FLOWDSL_CODEX_BASE_URL``, the key to ``OPENAI_API_KEY``. Without a base URL the user's
own Codex config and login are used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from .._types import AgentRequest, JSONValue, Usage
from ..errors import BackendError
from ._agent_setup import AgentSetup
from ._cli_agent import CLIAgentBackend
from ._common import make_usage
from ._grants import ToolGrant
from ._subprocess import PrivateHome, base_env

__all__ = ["CodexBackend", "create_backend", "sandbox_args"]

_KEY_VAR = "FLOWDSL_CODEX_API_KEY"
_WRITING = frozenset({"edit", "write", "bash"})
_SANDBOX_FLAGS = ("-s", "--sandbox", "--dangerously-bypass-approvals-and-sandbox")


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid TOML basic string


def sandbox_args(grant: ToolGrant, cli_args: Sequence[str]) -> list[str]:
    """``--sandbox`` for ``grant``; none when ``cli_args`` choose the sandbox themselves."""
    for i, arg in enumerate(cli_args):
        value = cli_args[i + 1] if i + 1 < len(cli_args) else ""
        if arg in _SANDBOX_FLAGS or arg.startswith(("--sandbox=", "-s")) or (
                arg in ("-c", "--config") and value.strip().startswith("sandbox_mode")):
            return []
    mode = "workspace-write" if grant.tools & _WRITING else "read-only"
    return ["--sandbox", mode]


class CodexBackend(CLIAgentBackend):
    """Runs each agent as one Codex CLI process."""

    name: ClassVar[str] = "codex"
    package: ClassVar[str] = "@openai/codex"
    base_url_var: ClassVar[str] = "FLOWDSL_CODEX_BASE_URL"
    api_key_var: ClassVar[str] = "OPENAI_API_KEY"
    provider: ClassVar[str | None] = "openai"

    def argv(self, request: AgentRequest, setup: AgentSetup, home: Path) -> list[str]:
        argv = [self.command, "exec", "--json", "--skip-git-repo-check", "--ephemeral"]
        if setup.model:
            argv += ["-m", setup.model]
        if request.effort:
            argv += ["-c", f"model_reasoning_effort={_toml_str(request.effort)}"]
        if request.schema is not None:
            schema_file = home / "output-schema.json"
            schema_file.write_text(json.dumps(request.schema), encoding="utf-8")
            argv += ["--output-schema", str(schema_file)]
        user_args = self.config.cli_args.get("codex", ())
        argv += [*sandbox_args(setup.grant, user_args), *user_args]
        argv += ["--", f"{setup.system_prompt}\n\n{request.prompt}"]
        return argv

    def private_home(self) -> PrivateHome:
        user = Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex")
        copies = [(user / "auth.json", ".codex/auth.json")]
        if not self.base_url:
            copies.append((user / "config.toml", ".codex/config.toml"))
        home = PrivateHome(copies)
        if self.base_url:
            (home.path / ".codex").mkdir(exist_ok=True)
            (home.path / ".codex" / "config.toml").write_text(
                'model_provider = "flowdsl"\n\n[model_providers.flowdsl]\n'
                'name = "flowdsl"\n'
                f"base_url = {_toml_str(self.base_url)}\n"
                'wire_api = "responses"\n'
                f'env_key = "{_KEY_VAR}"\n', encoding="utf-8")
        return home

    def env(self, home: Path) -> dict[str, str]:
        extra = {"HOME": str(home), "CODEX_HOME": str(home / ".codex")}
        if self.base_url:
            extra[_KEY_VAR] = self.api_key or "not-needed"
        elif self.api_key:
            extra["OPENAI_API_KEY"] = self.api_key
        return base_env(extra, ("OPENAI_", "CODEX_"))

    def outcome(self, stdout: str, stderr: str, code: int,
                request: AgentRequest) -> tuple[JSONValue, Usage]:
        events = _events(stdout)
        usage = self.usage(events, request)
        problem = _failure(events)
        message = next((e["item"].get("text") for e in reversed(events)
                        if e.get("type") == "item.completed"
                        and (e.get("item") or {}).get("type") == "agent_message"), None)
        if problem is not None or message is None:
            reason = problem or f"no final message (exit status {code}): {stderr.strip()[-300:]}"
            raise BackendError(f"codex failed: {reason}", usage=usage)
        if request.schema is None:
            return message, usage
        try:
            return json.loads(message), usage
        except json.JSONDecodeError as exc:
            raise BackendError(f"codex's final message is not JSON: {exc}", usage=usage) from exc

    def usage(self, events: list[dict[str, Any]], request: AgentRequest) -> Usage:
        inp = out = cached = 0
        for event in events:
            if event.get("type") == "turn.completed":
                raw = event.get("usage") or {}
                inp += int(raw.get("input_tokens") or 0)
                cached += int(raw.get("cached_input_tokens") or 0)  # part of input_tokens
                out += int(raw.get("output_tokens") or 0)
        return make_usage(self.config, self.resolved_model(request), inp, out,
                          provider="openai", cache_read_tokens=cached)


def _events(stdout: str) -> list[dict[str, Any]]:
    events = []
    for line in stdout.splitlines():
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            events.append(value)
    return events


def _failure(events: list[dict[str, Any]]) -> str | None:
    """Why the run failed: a ``turn.failed``, or an ``error`` no ``turn.completed`` follows."""
    unrecovered: str | None = None
    for event in events:
        kind = event.get("type")
        if kind == "turn.failed":
            return str((event.get("error") or {}).get("message") or "turn failed")
        if kind == "error":
            unrecovered = unrecovered or str(event.get("message") or "error")
        elif kind == "turn.completed":
            unrecovered = None  # a retried stream: the turn got through
    return unrecovered


create_backend = CodexBackend.create
"""Build the codex backend (see :meth:`._cli_agent.CLIAgentBackend.create`)."""
