"""The ``claude`` backend: the Claude Code CLI as a real coding agent.

One agent = one ``claude -p --output-format json ... -- PROMPT`` run in the project
directory, under the same tool policy as the API agents (:mod:`._agent_setup`,
:mod:`._grants`), with:

- the agent's tool grant as flags (:mod:`._claude_flags`): ``--tools`` offers exactly the
  granted built-ins, ``--allowedTools`` approves them (reads and edits inside the
  workspace, ``Bash(PREFIX:*)`` per ``bash_allow`` prefix, the granted ``mcp__`` patterns),
  ``--disallowedTools`` always denies the tools that start agents or workflows (``Task``,
  ``Agent``, ``Workflow``, ...), and ``--permission-mode dontAsk`` refuses everything
  else; ``--setting-sources ""`` keeps settings files from widening that, and
  ``--max-turns`` carries the agent's turn limit (``opts.max_turns``, else ``max_turns``).
  A default agent gets the configured ``tools`` (read-only unless configured) and runs the
  ``bash_allow`` commands (the project's tests); an agent type's ``tools`` line is exact;
- ``--agents FILE --agent NAME`` for ``agent_type``: the definition flowdsl found
  (``.flowdsl/agents``, ``.claude/agents``, ``~/.claude/agents``, bundled, or built-in)
  passed as Claude Code's own agent JSON - its prompt, its tools; its model goes in
  ``--model``. An unknown type raises :class:`~flowdsl.errors.AgentTypeError` before
  anything is spawned;
- ``--strict-mcp-config --mcp-config FILE``: only the MCP servers the grant reaches, from
  the workspace's ``.mcp.json`` and ``[tool.flowdsl.mcp_servers]`` (:mod:`._mcp_config`);
- ``--json-schema`` for schema agents: the CLI forces its StructuredOutput tool with the
  user's schema and returns ``structured_output``; jsonschema re-checks it here;
- ``--model`` (the call's, else the type's, else the backend's; alias-resolved), ``--effort``;
- a private HOME holding copies of the user's Claude Code credentials only (the user's own
  settings and MCP servers do not reach the agent; ``~/.claude/agents`` does, through
  flowdsl's lookup);
- ``ANTHROPIC_BASE_URL`` set when a base URL is configured (a gateway, or the tests' fake);
- usage from the result object's ``modelUsage`` (every model the run used, cache tokens
  counted as input) and cost from ``total_cost_usd`` - the CLI's own figure is believed.

``[tool.flowdsl.cli_args] claude = [...]`` adds arguments after the policy flags (they no
longer replace a default): another ``--allowedTools`` rule adds to the approved ones, while
a repeated single-value flag such as ``--permission-mode`` overrides the policy's - the
user's explicit choice. The prompt follows ``--``, so a prompt starting with ``-`` is safe.
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
from ._agent_setup import AgentSetup, context_line
from ._claude_flags import agent_definition, policy_args
from ._cli_agent import CLIAgentBackend
from ._common import make_usage
from ._mcp_config import mcp_config
from ._model_names import CLAUDE_CLI_ALIASES
from ._subprocess import PrivateHome, base_env

__all__ = ["ClaudeBackend", "create_backend"]

_ENV_PREFIXES = ("ANTHROPIC_", "CLAUDE_CODE_", "AWS_", "CLOUD_ML_", "VERTEX_", "GOOGLE_")
"""Provider settings the user may have exported for Claude Code (Bedrock, Vertex, ...)."""


class ClaudeBackend(CLIAgentBackend):
    """Runs each agent as one Claude Code CLI process."""

    name: ClassVar[str] = "claude"
    package: ClassVar[str] = "@anthropic-ai/claude-code"
    base_url_var: ClassVar[str] = "FLOWDSL_ANTHROPIC_BASE_URL"
    api_key_var: ClassVar[str] = "ANTHROPIC_API_KEY"
    provider: ClassVar[str | None] = "anthropic"
    native_models: ClassVar[frozenset[str]] = CLAUDE_CLI_ALIASES

    def private_home(self) -> PrivateHome:
        credentials = Path.home() / ".claude" / ".credentials.json"
        return PrivateHome([(credentials, ".claude/.credentials.json")])

    def argv(self, request: AgentRequest, setup: AgentSetup, home: Path) -> list[str]:
        """The command line; the MCP and agent definitions go in files in ``home``.

        Files, not argument strings: a server's ``env`` may hold a token (argv is visible
        to every user in ``ps``), and a definition may pass the 128 KiB argument limit.

        Raises:
            BackendConfigError: the grant names an MCP server defined nowhere.
        """
        argv = [self.command, "-p", "--output-format", "json", "--no-session-persistence"]
        if setup.model:
            argv += ["--model", setup.model]
        if request.effort:
            argv += ["--effort", request.effort]
        if request.schema is not None:
            argv += ["--json-schema", json.dumps(request.schema)]
        servers = mcp_config(setup.grant, self.workspace, self.config)
        agent = None
        if setup.agent_type is not None:
            definition = agent_definition(setup.agent_type, setup.grant,
                                          schema=request.schema is not None)
            agent = (setup.agent_type.name,
                     _write_json(home / "agents.json", {setup.agent_type.name: definition}))
        argv += policy_args(
            setup.grant, max_turns=setup.max_turns, agent=agent,
            mcp_file=_write_json(home / "mcp.json", servers) if servers is not None else None)
        argv += self.config.cli_args.get("claude", ())
        return [*argv, "--", f"{context_line(request)}\n\n{request.prompt}"]

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
        return make_usage(self.config, model, inp, out, provider="anthropic",
                          reported_cost=reported)


def _write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


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
