"""A script ready to run: :class:`CompiledWorkflow`."""

from __future__ import annotations

import hashlib
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any

from .._sandbox import LineMap, SandboxPolicy, ScriptHooks, start_script
from ._registry import FRONTENDS, Frontend, Language, workflow_policy

__all__ = ["CompiledWorkflow"]

_BY_LANGUAGE: Mapping[str, Frontend] = {f.language: f for f in FRONTENDS.values()}


@dataclass(frozen=True, slots=True, kw_only=True)
class CompiledWorkflow:
    """A script ready to run: its meta, its Python form and the sandboxed code object."""

    path: str
    language: Language
    meta: Mapping[str, Any]
    source: str
    """The script as the user wrote it."""
    python_source: str
    """What the sandbox compiled (``source`` itself for Python workflows)."""
    code: CodeType = field(repr=False)
    line_map: LineMap | None = field(default=None, repr=False)
    """Python line -> (line, column) in ``source``, for transpiled scripts."""
    policy: SandboxPolicy | None = field(default=None, repr=False, compare=False)
    """The policy ``code`` was compiled under (None: the workflow policy)."""

    @property
    def name(self) -> str:
        return str(self.meta.get("name", Path(self.path).stem))

    @property
    def source_hash(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    def original_position(self, python_line: int) -> tuple[int, int | None]:
        """Map a line of the Python form back to the script the user wrote."""
        if self.line_map is None:
            return python_line, None
        return self.line_map.lookup(python_line)

    def error_name(self, error: BaseException) -> str:
        """``error``'s type as the script's language names it (``TypeError``, ...)."""
        return _BY_LANGUAGE[self.language].error_name(error)

    def start(self, dsl: Mapping[str, object], hooks: ScriptHooks) -> Coroutine[Any, Any, Any]:
        """Create the script's globals and return its entry coroutine (not yet started).

        Args:
            dsl: the DSL names the script sees as globals (``agent``, ``parallel``, ...).
            hooks: the run's tick and scheduler.
        """
        return start_script(self.code, dsl, hooks, self.policy or workflow_policy())
