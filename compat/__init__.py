"""The JavaScript layer: run Claude Code workflow scripts (``.js``) unchanged.

Three steps, composed by the frontend registry (``flowdsl._frontends``), which is the only
code that imports this package: esprima-fork parses the script (:mod:`._parse`), the
transpiler (:mod:`._transpile`) writes its Python form and a line map (:func:`transpile`),
and the sandbox compiles that form under a policy that offers ``jsrt``, the JS semantics
helpers (:mod:`._jsrt`), built per run by :func:`jsrt_members` with the run's scheduler.

This package imports only the sandbox and ``flowdsl.errors``: never the runtime.
"""

from __future__ import annotations

from typing import Any

from flowdsl._sandbox import ScriptHooks

from ._jsrt import module_members as _module_members
from ._jsrt._values import error_name as error_name
from ._parse import on_fresh_stack, parse
from ._transpile import Transpiled as Transpiled
from ._transpile import transpile_parsed

__all__ = ["Transpiled", "error_name", "jsrt_members", "transpile"]


def transpile(source: str, path: str) -> Transpiled:
    """The Python form of a JavaScript workflow (readable; runs with the same result),
    and the line map from it back to ``source``.

    Raises:
        ScriptSyntaxError: the source is not valid JavaScript.
        MetaError: the first statement is not ``export const meta = <literal>``.
        TranspileError: the script uses a construct the JS layer does not support.
    """
    return on_fresh_stack(lambda: transpile_parsed(parse(source, path), path))


def jsrt_members(hooks: ScriptHooks) -> dict[str, Any]:
    """The members of the ``jsrt`` module for one script run (a sandbox module factory)."""
    return _module_members(hooks)
