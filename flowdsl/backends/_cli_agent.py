"""The base of the coding-agent CLI backends (``claude``, ``codex``): one agent, one process.

:meth:`CLIAgentBackend.run` is the whole flow and the error boundary: check the schema
before spawning anything, settle the agent's setup (:mod:`._agent_setup`: type, tool grant,
model, turns - an unknown type is an :class:`~flowdsl.errors.AgentTypeError`, raised as is),
make a private home, run the CLI there with the configured time limit
(:func:`._subprocess.run_cli`), parse its output, and translate whatever escapes.
:meth:`CLIAgentBackend.parse` checks a schema agent's output with jsonschema, the only
judge. :meth:`CLIAgentBackend.create` is both backends' ``create_backend``.

A subclass says only what differs: its name and npm package, where its base URL and key
come from, the private home's contents, the argv (from the request and its setup), the
environment, and how to read the CLI's output (:meth:`CLIAgentBackend.outcome`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar, Self

from .._config import Config, load_config
from .._types import AgentRequest, AgentResult, JSONValue, Usage
from ..errors import BackendError, QuotaExhausted
from ._agent_setup import AgentSetup, AgentSetups
from ._common import schema_errors, validator_for
from ._errors import translate
from ._model_names import ModelNames
from ._quota import cli_usage_limit
from ._subprocess import PrivateHome, find_command, run_cli

__all__ = ["CLIAgentBackend"]


class CLIAgentBackend:
    """Runs each agent as one process of a coding-agent CLI; subclasses fill the hooks."""

    name: ClassVar[str]
    """The CLI's executable name and the key of ``[tool.flowdsl.commands]``/``cli_args``."""
    package: ClassVar[str]
    """The npm package that installs the CLI (named when it is missing)."""
    base_url_var: ClassVar[str]
    """The environment variable that gives the base URL when no argument or config does."""
    api_key_var: ClassVar[str]
    """The environment variable that gives the API key when no argument does."""
    provider: ClassVar[str | None] = None
    """The genai-prices provider of the CLI's models (prices, model names)."""
    native_models: ClassVar[frozenset[str]] = frozenset()
    """Model names the CLI resolves itself (``claude --model opus``)."""

    def __init__(self, *, command: str, model: str | None, base_url: str | None,
                 api_key: str | None, config: Config, cwd: Path | None = None) -> None:
        self.command = command
        self.model = model
        self.base_url = base_url
        self.api_key = api_key
        self.config = config
        self.cwd = cwd
        self._setups: AgentSetups | None = None

    # -- subclass hooks ------------------------------------------------------------------------
    def private_home(self) -> PrivateHome:
        """A fresh private home holding copies of the user's credentials for the CLI."""
        raise NotImplementedError

    def argv(self, request: AgentRequest, setup: AgentSetup, home: Path) -> list[str]:
        """The command line for one agent (``home`` may hold files it names)."""
        raise NotImplementedError

    def env(self, home: Path) -> dict[str, str]:
        """The child's whole environment (see :func:`._subprocess.base_env`)."""
        raise NotImplementedError

    def outcome(self, stdout: str, stderr: str, code: int,
                request: AgentRequest) -> tuple[JSONValue, Usage]:
        """The output (text, or a schema agent's value) and usage of one finished run.

        Raises:
            BackendError: the CLI reported a failure (with the usage it still cost).
        """
        raise NotImplementedError

    # -- the protocol --------------------------------------------------------------------------
    async def run(self, request: AgentRequest) -> AgentResult:
        if request.schema is not None:
            validator_for(request.schema)  # SchemaError before spawning anything
        setup = self.setup(request)  # AgentTypeError, not translated into a BackendError
        try:
            with self.private_home() as home:
                argv = self.argv(request, setup, home.path)
                out = await run_cli(argv, env=self.env(home.path),
                                    cwd=_cwd(request, self.workspace),
                                    time_limit=self.config.timeout)
            return self.parse(out.stdout, out.stderr, out.returncode, request)
        except Exception as exc:
            raise translate(exc) from exc

    def parse(self, stdout: str, stderr: str, code: int, request: AgentRequest) -> AgentResult:
        """The result of one finished run; a schema agent's output must match its schema.

        Raises:
            QuotaExhausted: the CLI said its plan's usage limit is reached.
            BackendError: the run failed or its output does not match the schema.
        """
        try:
            output, usage = self.outcome(stdout, stderr, code, request)
        except QuotaExhausted:
            raise
        except BackendError as exc:
            limit = cli_usage_limit(f"{exc}\n{stderr[-2000:]}")
            if limit is None:
                raise
            raise QuotaExhausted(str(limit), resets_at=limit.resets_at, usage=exc.usage) from exc
        if request.schema is not None:
            errors = schema_errors(request.schema, output)
            if errors:
                raise BackendError(f"{self.name}'s structured output does not match the "
                                   "schema: " + "; ".join(errors), usage=usage)
        return AgentResult(output=output, usage=usage)

    @property
    def workspace(self) -> Path:
        """Where agents work: ``cwd``, else the current directory at run time."""
        return (self.cwd or Path.cwd()).resolve()

    def setup(self, request: AgentRequest) -> AgentSetup:
        """The agent's type, grant, model and turn limit (definitions cached per workspace).

        Raises:
            AgentTypeError: the agent type is unknown or its tool list is unusable.
        """
        workspace = self.workspace
        if self._setups is None or self._setups.workspace != workspace:
            self._setups = AgentSetups(workspace, self.config, default_model=self.model,
                                       home=Path.home(), names=self.model_names)
        return self._setups.setup(request)

    @property
    def model_names(self) -> ModelNames | None:
        """How model names are judged (not for a custom endpoint: it has names of its own)."""
        if self.base_url is not None:
            return None
        return ModelNames(self.provider, self.native_models)

    def check_models(self, names: Iterable[tuple[str, str]]) -> None:
        """Check the run's model names (``--model``, phases) before any agent runs.

        Raises:
            BackendConfigError: a name is an alias nobody defined.
        """
        if self.model_names is not None:
            self.model_names.check(names, self.config)

    def resolved_model(self, request: AgentRequest) -> str | None:
        """The agent's model: the call's, else its type's, else the backend's (resolved)."""
        return self.setup(request).model

    @classmethod
    def create(
        cls,
        *,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        config: Config | None = None,
        command: str | None = None,
        cwd: str | Path | None = None,
    ) -> Self:
        """Build the backend; the CLI must be installed.

        Args:
            model: default model; the CLI's own default when None (aliases resolved).
            base_url: an endpoint for the CLI (a gateway, a local server, the tests' fake);
                else config ``base_url``, else the :attr:`base_url_var` environment
                variable; when None the CLI's own settings are used.
            api_key: else the :attr:`api_key_var` environment variable; else the user's own
                CLI login (its credentials are copied into the private home).
            config: project configuration (``commands``, ``cli_args``, ``timeout``, and the
                agents' ``tools``, ``bash_allow``, ``max_turns``, ``mcp_servers``).
            command: the executable; else ``[tool.flowdsl.commands]``, else PATH.
            cwd: where agents work; default the current directory at run time.

        Raises:
            BackendConfigError: the CLI is not installed.
        """
        config = config if config is not None else load_config()
        exe = find_command(cls.name, command or config.commands.get(cls.name), cls.package)
        url = base_url or config.base_url or os.environ.get(cls.base_url_var)
        return cls(command=exe, model=config.resolve_alias(model or config.model),
                   base_url=url, api_key=api_key or os.environ.get(cls.api_key_var),
                   config=config, cwd=Path(cwd) if cwd is not None else None)


def _cwd(request: AgentRequest, default: Path) -> Path:
    """Where the CLI runs: the request's workspace (a worktree of its own, for an isolated
    agent), else the backend's."""
    return Path(request.workspace) if request.workspace is not None else default
