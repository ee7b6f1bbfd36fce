"""The JavaScript layer: run Claude Code workflow scripts (``.js``) unchanged.

``compile_javascript`` is the ``.js``/``.mjs``/``.cjs`` frontend (see
``flowdsl._frontends.FRONTENDS``): esprima-fork parses the script (:mod:`._parse`), the
transpiler (:mod:`._transpile`) writes the Python form, and the sandbox compiles that
form like any ``.flow.py``, with ``jsrt`` (:mod:`._jsrt`, the JS semantics helpers)
importable. ``transpile`` returns the Python form as text (``flowdsl transpile``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._parse import parse
from ._transpile import Transpiled, transpile_parsed

if TYPE_CHECKING:
    from flowdsl._frontends import CompiledWorkflow

__all__ = ["compile_javascript", "transpile"]


def _transpile(source: str, path: str) -> Transpiled:
    return transpile_parsed(parse(source, path), path)


def transpile(source: str, path: str) -> str:
    """The Python form of a JavaScript workflow (readable; runs with the same result).

    Raises:
        ScriptSyntaxError: the source is not valid JavaScript.
        MetaError: the first statement is not ``export const meta = <literal>``.
        TranspileError: the script uses a construct the JS layer does not support.
    """
    return _transpile(source, path).source


def compile_javascript(source: str, path: str) -> CompiledWorkflow:
    """Compile a JavaScript workflow into a sandboxed :class:`CompiledWorkflow`.

    Raises:
        ScriptSyntaxError, MetaError, TranspileError: see :func:`transpile`.
        SandboxViolation: the Python form breaks the sandbox policy.
    """
    from flowdsl._sandbox import compile_python

    result = _transpile(source, path)
    return compile_python(result.source, path, language="javascript",
                          line_map=result.line_map, display_source=source)
