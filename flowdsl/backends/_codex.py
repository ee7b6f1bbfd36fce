"""The ``codex`` backend: the Codex CLI (``codex exec --json``) as a real coding agent.

One agent = one ``codex exec --json`` run in the project directory with stdin closed:

- a private HOME and ``CODEX_HOME`` holding copies of the user's ``auth.json`` and
  ``config.toml``; with a base URL configured, ``config.toml`` is instead written with a
  custom model provider (``wire_api = "responses"``) pointing at it - a gateway, a local
  Responses-API server, or the tests' fake;
- ``--output-schema FILE`` for schema agents (the final message is JSON, checked here by
  jsonschema; note that OpenAI's strict mode wants every property required and
  ``additionalProperties: false``);
- ``-m`` (alias-resolved), ``-c model_reasoning_effort=...``; ``agent_type`` has no Codex
  equivalent, so ``.claude/agents/NAME.md`` is prepended to the prompt instead;
- usage summed over the ``turn.completed`` events; Codex reports no cost, so the price
  table prices the tokens.

The default extra arguments are ``--sandbox workspace-write``; replace them with
``[tool.flowdsl.cli_args] codex = [...]``. ``create_backend`` takes the options of
:meth:`._cli_agent.CLIAgentBackend.create`; the base URL falls back to
``FLOWDSL_CODEX_BASE_URL``, the key to ``OPENAI_API_KEY``. Without a base URL the user's
own Codex config and login are used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar

from .._types import AgentRequest, JSONValue, Usage
from ..errors import BackendError
from ._cli_agent import CLIAgentBackend
from ._common import agent_definition, context_line, make_usage
from ._subprocess import PrivateHome, base_env

__all__ = ["CodexBackend", "create_backend"]

DEFAULT_ARGS = ("--sandbox", "workspace-write")
_KEY_VAR = "FLOWDSL_CODEX_API_KEY"


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid TOML basic string


class CodexBackend(CLIAgentBackend):
    """Runs each agent as one Codex CLI process."""

    name: ClassVar[str] = "codex"
    package: ClassVar[str] = "@openai/codex"
    base_url_var: ClassVar[str] = "FLOWDSL_CODEX_BASE_URL"
    api_key_var: ClassVar[str] = "OPENAI_API_KEY"

    def prompt(self, request: AgentRequest) -> str:
        parts = [context_line(request)]
        if request.agent_type:
            parts.append(agent_definition(request.agent_type, self.cwd))
        parts.append(request.prompt)
        return "\n\n".join(parts)

    def argv(self, request: AgentRequest, home: Path) -> list[str]:
        argv = [self.command, "exec", "--json", "--skip-git-repo-check", "--ephemeral"]
        model = self.resolved_model(request)
        if model:
            argv += ["-m", model]
        if request.effort:
            argv += ["-c", f"model_reasoning_effort={_toml_str(request.effort)}"]
        if request.schema is not None:
            schema_file = home / "output-schema.json"
            schema_file.write_text(json.dumps(request.schema), encoding="utf-8")
            argv += ["--output-schema", str(schema_file)]
        argv += list(self.config.cli_args.get("codex", DEFAULT_ARGS))
        argv += ["--", self.prompt(request)]
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
        inp = out = 0
        for event in events:
            if event.get("type") == "turn.completed":
                raw = event.get("usage") or {}
                inp += int(raw.get("input_tokens") or 0)
                out += int(raw.get("output_tokens") or 0)
        return make_usage(self.config, self.resolved_model(request), inp, out)


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
    for event in events:
        kind = event.get("type")
        if kind == "turn.failed":
            return str((event.get("error") or {}).get("message") or "turn failed")
        if kind == "error":
            return str(event.get("message") or "error")
    return None


create_backend = CodexBackend.create
"""Build the codex backend (see :meth:`._cli_agent.CLIAgentBackend.create`)."""
