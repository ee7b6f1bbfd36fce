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
``create_backend`` takes the options of :meth:`._cli_agent.CLIAgentBackend.create`; the
base URL falls back to ``FLOWDSL_ANTHROPIC_BASE_URL``, the key to ``ANTHROPIC_API_KEY``,
then to the user's Claude Code login.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from .._types import AgentRequest, JSONValue, Usage
from ..errors import BackendError, RateLimited
from ._cli_agent import CLIAgentBackend
from ._common import context_line, make_usage
from ._subprocess import PrivateHome, base_env

__all__ = ["ClaudeBackend", "create_backend"]

DEFAULT_ARGS = ("--permission-mode", "acceptEdits")
_ENV_PREFIXES = ("ANTHROPIC_", "CLAUDE_CODE_", "AWS_", "CLOUD_ML_", "VERTEX_", "GOOGLE_")
"""Provider settings the user may have exported for Claude Code (Bedrock, Vertex, ...)."""


class ClaudeBackend(CLIAgentBackend):
    """Runs each agent as one Claude Code CLI process."""

    name: ClassVar[str] = "claude"
    package: ClassVar[str] = "@anthropic-ai/claude-code"
    base_url_var: ClassVar[str] = "FLOWDSL_ANTHROPIC_BASE_URL"
    api_key_var: ClassVar[str] = "ANTHROPIC_API_KEY"

    def private_home(self) -> PrivateHome:
        credentials = Path.home() / ".claude" / ".credentials.json"
        return PrivateHome([(credentials, ".claude/.credentials.json")])

    def argv(self, request: AgentRequest, home: Path) -> list[str]:
        argv = [self.command, "-p", f"{context_line(request)}\n\n{request.prompt}",
                "--output-format", "json", "--no-session-persistence"]
        model = self.resolved_model(request)
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

    def outcome(self, stdout: str, stderr: str, code: int,
                request: AgentRequest) -> tuple[JSONValue, Usage]:
        result = _result_object(stdout)
        if result is None:
            tail = (stderr.strip() or stdout.strip())[-500:]
            raise BackendError(f"claude exited with status {code} without a result object: {tail}")
        usage = self.usage(result)
        if result.get("is_error") or result.get("subtype") != "success":
            reason = result.get("result") or result.get("subtype") or "unknown error"
            if result.get("api_error_status") == 429:
                raise RateLimited(f"claude was rate limited after its retries: {reason}",
                                  usage=usage)
            raise BackendError(f"claude reported an error: {reason}", usage=usage)
        if request.schema is None:
            return str(result.get("result") or ""), usage
        return result.get("structured_output"), usage

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


create_backend = ClaudeBackend.create
"""Build the claude backend (see :meth:`._cli_agent.CLIAgentBackend.create`)."""
