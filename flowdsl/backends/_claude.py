"""The ``claude`` backend: the Claude Code CLI as a real coding agent.

One agent = one ``claude -p PROMPT --output-format json`` run in the project directory
(the agent reads and edits files there), with:

- ``--json-schema`` for schema agents: the CLI forces its StructuredOutput tool with the
  user's schema and returns ``structured_output``; jsonschema re-checks it here;
- ``--model`` (alias-resolved), ``--effort``, and ``--agent NAME`` for ``agent_type``
  (Claude Code reads ``.claude/agents/NAME.md`` from the project);
- a private HOME holding copies of the user's Claude Code credentials only;
- ``ANTHROPIC_BASE_URL`` set when a base URL is configured (a gateway, or the tests' fake);
- usage from the result object's ``modelUsage`` (every model the run used, cache tokens
  counted as input) and cost from ``total_cost_usd`` - the CLI's own figure is believed.

The default extra arguments are ``--permission-mode acceptEdits`` (edits are allowed,
shell commands are not); replace them with ``[tool.flowdsl.cli_args] claude = [...]``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .._config import Config, load_config
from .._types import AgentRequest, AgentResult, Usage
from ..errors import RateLimited
from ._cli import PrivateHome, base_env, find_command, run_cli
from ._common import context_line, fail, make_usage, schema_errors, validator_for
from ._errors import translate

__all__ = ["ClaudeBackend", "create_backend"]

DEFAULT_ARGS = ("--permission-mode", "acceptEdits")
_ENV_PREFIXES = ("ANTHROPIC_", "CLAUDE_CODE_", "AWS_", "CLOUD_ML_", "VERTEX_", "GOOGLE_")
"""Provider settings the user may have exported for Claude Code (Bedrock, Vertex, ...)."""


class ClaudeBackend:
    """Runs each agent as one Claude Code CLI process."""

    def __init__(self, *, command: str, model: str | None, base_url: str | None,
                 api_key: str | None, config: Config, cwd: Path | None = None) -> None:
        self.command = command
        self.model = model
        self.base_url = base_url
        self.api_key = api_key
        self.config = config
        self.cwd = cwd

    def argv(self, request: AgentRequest) -> list[str]:
        argv = [self.command, "-p", f"{context_line(request)}\n\n{request.prompt}",
                "--output-format", "json", "--no-session-persistence"]
        model = self.config.resolve_alias(request.model) or self.model
        if model:
            argv += ["--model", model]
        if request.effort:
            argv += ["--effort", request.effort]
        if request.agent_type:
            argv += ["--agent", request.agent_type]
        if request.schema is not None:
            argv += ["--json-schema", json.dumps(request.schema)]
        argv += list(self.config.cli_args.get("claude", DEFAULT_ARGS))
        return argv

    def env(self, home: Path) -> dict[str, str]:
        extra = {"HOME": str(home), "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                 "DISABLE_AUTOUPDATER": "1"}
        if self.base_url:
            extra["ANTHROPIC_BASE_URL"] = self.base_url
        if self.api_key:
            extra["ANTHROPIC_API_KEY"] = self.api_key
        return base_env(extra, _ENV_PREFIXES)

    async def run(self, request: AgentRequest) -> AgentResult:
        if request.schema is not None:
            validator_for(request.schema)  # SchemaError before spawning anything
        user_home = Path.home()
        copies = [(user_home / ".claude" / ".credentials.json", ".claude/.credentials.json")]
        try:
            with PrivateHome(copies) as home:
                out = await run_cli(self.argv(request), env=self.env(home.path),
                                    cwd=self.cwd or Path.cwd(), time_limit=self.config.timeout)
            return self.parse(out.stdout, out.stderr, out.returncode, request)
        except Exception as exc:
            error = translate(exc)
            raise error from exc

    def parse(self, stdout: str, stderr: str, code: int, request: AgentRequest) -> AgentResult:
        result = _result_object(stdout)
        if result is None:
            tail = (stderr.strip() or stdout.strip())[-500:]
            raise fail(f"claude exited with status {code} without a result object: {tail}")
        usage = self.usage(result)
        if result.get("is_error") or result.get("subtype") != "success":
            reason = result.get("result") or result.get("subtype") or "unknown error"
            if result.get("api_error_status") == 429:
                limited = RateLimited(f"claude was rate limited after its retries: {reason}")
                limited.usage = usage  # type: ignore[attr-defined]
                raise limited
            raise fail(f"claude reported an error: {reason}", usage)
        if request.schema is None:
            return AgentResult(output=str(result.get("result") or ""), usage=usage)
        output = result.get("structured_output")
        errors = schema_errors(request.schema, output)
        if errors:
            raise fail("claude's structured output does not match the schema: "
                       + "; ".join(errors), usage)
        return AgentResult(output=output, usage=usage)

    def usage(self, result: dict[str, Any]) -> Usage:
        per_model = result.get("modelUsage")
        inp = out = 0
        if isinstance(per_model, dict) and per_model:
            for entry in per_model.values():
                inp += sum(int(entry.get(k) or 0) for k in
                           ("inputTokens", "cacheReadInputTokens", "cacheCreationInputTokens"))
                out += int(entry.get("outputTokens") or 0)
        else:
            raw = result.get("usage") or {}
            inp = sum(int(raw.get(k) or 0) for k in
                      ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"))
            out = int(raw.get("output_tokens") or 0)
        cost = result.get("total_cost_usd")
        reported = float(cost) if isinstance(cost, int | float) else None
        model = next(iter(per_model), None) if isinstance(per_model, dict) else None
        return make_usage(self.config, model, inp, out, reported_cost=reported)


def _result_object(stdout: str) -> dict[str, Any] | None:
    """The ``{"type": "result", ...}`` object (the whole output, or its last JSON line)."""
    for candidate in (stdout, *reversed(stdout.strip().splitlines())):
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(value, list):
            value = next((v for v in reversed(value) if isinstance(v, dict)
                          and v.get("type") == "result"), None)
        if isinstance(value, dict) and value.get("type") == "result":
            return value
    return None


def create_backend(
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    config: Config | None = None,
    command: str | None = None,
    cwd: str | Path | None = None,
) -> ClaudeBackend:
    """Build the claude backend; the CLI must be installed.

    Args:
        model: default model (``--model``); the CLI's own default when None.
        base_url: ``ANTHROPIC_BASE_URL`` for the CLI; else config ``base_url``, else
            ``FLOWDSL_ANTHROPIC_BASE_URL``, else the CLI's own setting.
        api_key: ``ANTHROPIC_API_KEY`` for the CLI; else the environment's; else the user's
            Claude Code login (its credentials file is copied into the private home).
        config: project configuration (``commands.claude``, ``cli_args.claude``, ``timeout``).
        command: the executable; else ``[tool.flowdsl.commands] claude``, else PATH.
        cwd: where agents work; default the current directory at run time.

    Raises:
        BackendConfigError: the CLI is not installed.
    """
    config = config if config is not None else load_config()
    exe = find_command("claude", command or config.commands.get("claude"),
                       "@anthropic-ai/claude-code")
    url = base_url or config.base_url or os.environ.get("FLOWDSL_ANTHROPIC_BASE_URL")
    return ClaudeBackend(command=exe, model=config.resolve_alias(model or config.model),
                         base_url=url, api_key=api_key or os.environ.get("ANTHROPIC_API_KEY"),
                         config=config, cwd=Path(cwd) if cwd is not None else None)
