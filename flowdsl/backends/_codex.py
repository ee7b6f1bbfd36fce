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
``[tool.flowdsl.cli_args] codex = [...]``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .._config import Config, load_config
from .._types import AgentRequest, AgentResult, Usage
from ._cli import PrivateHome, base_env, find_command, run_cli
from ._common import agent_definition, context_line, fail, make_usage, schema_errors, validator_for
from ._errors import translate

__all__ = ["CodexBackend", "create_backend"]

DEFAULT_ARGS = ("--sandbox", "workspace-write")
_KEY_VAR = "FLOWDSL_CODEX_API_KEY"


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid TOML basic string


class CodexBackend:
    """Runs each agent as one Codex CLI process."""

    def __init__(self, *, command: str, model: str | None, base_url: str | None,
                 api_key: str | None, config: Config, cwd: Path | None = None) -> None:
        self.command = command
        self.model = model
        self.base_url = base_url
        self.api_key = api_key
        self.config = config
        self.cwd = cwd

    def _model(self, request: AgentRequest) -> str | None:
        return self.config.resolve_alias(request.model) or self.model

    def prompt(self, request: AgentRequest) -> str:
        parts = [context_line(request)]
        if request.agent_type:
            parts.append(agent_definition(request.agent_type, self.cwd))
        parts.append(request.prompt)
        return "\n\n".join(parts)

    def argv(self, request: AgentRequest, home: Path) -> list[str]:
        argv = [self.command, "exec", "--json", "--skip-git-repo-check", "--ephemeral"]
        model = self._model(request)
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

    def _home(self) -> PrivateHome:
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
        key = self.api_key or os.environ.get("OPENAI_API_KEY")
        if self.base_url:
            extra[_KEY_VAR] = key or "not-needed"
        elif key:
            extra["OPENAI_API_KEY"] = key
        return base_env(extra, ("OPENAI_", "CODEX_"))

    async def run(self, request: AgentRequest) -> AgentResult:
        if request.schema is not None:
            validator_for(request.schema)
        try:
            with self._home() as home:
                out = await run_cli(self.argv(request, home.path), env=self.env(home.path),
                                    cwd=self.cwd or Path.cwd(), time_limit=self.config.timeout)
            return self.parse(out.stdout, out.stderr, out.returncode, request)
        except Exception as exc:
            raise translate(exc) from exc

    def parse(self, stdout: str, stderr: str, code: int, request: AgentRequest) -> AgentResult:
        events = _events(stdout)
        usage = self.usage(events, request)
        problem = _failure(events)
        message = next((e["item"].get("text") for e in reversed(events)
                        if e.get("type") == "item.completed"
                        and (e.get("item") or {}).get("type") == "agent_message"), None)
        if problem is not None or message is None:
            reason = problem or f"no final message (exit status {code}): {stderr.strip()[-300:]}"
            raise fail(f"codex failed: {reason}", usage)
        if request.schema is None:
            return AgentResult(output=message, usage=usage)
        try:
            output = json.loads(message)
        except json.JSONDecodeError as exc:
            raise fail(f"codex's final message is not JSON: {exc}", usage) from exc
        errors = schema_errors(request.schema, output)
        if errors:
            raise fail("codex's output does not match the schema: " + "; ".join(errors), usage)
        return AgentResult(output=output, usage=usage)

    def usage(self, events: list[dict[str, Any]], request: AgentRequest) -> Usage:
        inp = out = 0
        for event in events:
            if event.get("type") == "turn.completed":
                raw = event.get("usage") or {}
                inp += int(raw.get("input_tokens") or 0)
                out += int(raw.get("output_tokens") or 0)
        return make_usage(self.config, self._model(request), inp, out)


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


def create_backend(
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    config: Config | None = None,
    command: str | None = None,
    cwd: str | Path | None = None,
) -> CodexBackend:
    """Build the codex backend; the CLI must be installed.

    Args:
        model: default model (``-m``); the CLI's configured default when None.
        base_url: a Responses-API endpoint, written as a custom provider into the private
            ``CODEX_HOME``; else config ``base_url``, else ``FLOWDSL_CODEX_BASE_URL``; when
            None the user's own Codex config and login are used.
        api_key: the key for that provider; else ``OPENAI_API_KEY``.
        config: project configuration (``commands.codex``, ``cli_args.codex``, ``timeout``).
        command: the executable; else ``[tool.flowdsl.commands] codex``, else PATH.
        cwd: where agents work; default the current directory at run time.

    Raises:
        BackendConfigError: the CLI is not installed.
    """
    config = config if config is not None else load_config()
    exe = find_command("codex", command or config.commands.get("codex"), "@openai/codex")
    url = base_url or config.base_url or os.environ.get("FLOWDSL_CODEX_BASE_URL")
    return CodexBackend(command=exe, model=config.resolve_alias(model or config.model),
                        base_url=url, api_key=api_key, config=config,
                        cwd=Path(cwd) if cwd is not None else None)
