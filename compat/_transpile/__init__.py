"""JS AST -> the Python form of a workflow.

The output is a module the sandbox compiles like any ``.flow.py``::

    meta = {...}

    from jsrt import js_get, js_call, ...


    async def script(agent, parallel, pipeline, phase, log, args, budget, workflow, console):
        ...the script body...


    return await js_run(script, agent, parallel, pipeline, phase, log, args, budget, workflow)

``js_run`` hands the body JS-flavoured globals (``agent()`` returns a promise) and turns
its return value into JSON the way ``JSON.parse(JSON.stringify(value))`` would.
Visitors dispatch with ``visit_<NodeType>`` methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowdsl._sandbox import LineMap, collector_paused

from .._parse import Parsed
from ._base import DSL_NAMES
from ._expressions import ExpressionMixin
from ._functions import FunctionMixin
from ._nesting import check_nesting
from ._scope import ScopeAnalysis
from ._statements import StatementMixin
from ._writer import Writer

__all__ = ["Transpiled", "transpile_parsed"]


@dataclass(frozen=True, slots=True)
class Transpiled:
    """The Python form of a JavaScript workflow and its map back to the JavaScript."""

    source: str
    line_map: LineMap


class Transpiler(StatementMixin, FunctionMixin, ExpressionMixin):
    def __init__(self, path: str, analysis: ScopeAnalysis) -> None:
        self.path = path
        self.analysis = analysis
        self.w = Writer()
        self.loops = []
        self.imports = set()
        self.switch_flags = {}

    def program(self, parsed: Parsed) -> Transpiled:
        info = self.analysis.functions[id(parsed.wrapper)]
        self.fn = info
        self.w.indent = 1
        self.function_prologue(info, [])
        self.body(parsed.body)
        if not parsed.body or parsed.body[-1].type not in ("ReturnStatement", "ThrowStatement"):
            self.w.line(f"return {self.use('undefined')}")
        return self.assemble(parsed.meta)

    def assemble(self, meta: dict[str, Any]) -> Transpiled:
        self.imports.add("js_run")
        source_name = self.path.replace("\\", "/").rsplit("/", 1)[-1]
        header = [
            f"# The Python form of {source_name}, written by `flowdsl transpile`: JS semantics",
            "# come from jsrt (undefined, js_get, js_add, ...). Edit the JavaScript source.",
            f"meta = {format_literal(meta)}",
            "",
        ]
        names = sorted(self.imports, key=lambda n: (n.startswith("js_"), n.lower()))
        header += _import_lines(names)
        header += ["", "", f"async def script({', '.join(DSL_NAMES)}):"]
        dsl = ", ".join(DSL_NAMES[:-1])
        footer = ["", "", f"return await js_run(script, {dsl})"]
        offset = len(header) + header[2].count("\n")
        line_map = {1: (1, 1)}
        line_map.update({k + offset: v for k, v in self.w.line_map.items()})
        text = "\n".join(header) + "\n" + self.w.text() + "\n".join(footer) + "\n"
        return Transpiled(text, LineMap(line_map))


def _import_lines(names: list[str]) -> list[str]:
    lines = ["from jsrt import ("]
    current = "   "
    for name in names:
        if len(current) + len(name) + 2 > 92:
            lines.append(current.rstrip())
            current = "   "
        current += f" {name},"
    lines.append(current)
    lines.append(")")
    return lines


def format_literal(value: Any, indent: int = 0) -> str:
    """A Python literal for a JSON value, one key per line for dicts."""
    pad = "    " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{k!r}: {format_literal(v, indent + 1)}," for k, v in value.items()]
        if sum(len(i) for i in items) < 80 and indent:
            return "{" + ", ".join(i.strip().rstrip(",") for i in items) + "}"
        return "{\n" + "\n".join(items) + "\n" + "    " * indent + "}"
    if isinstance(value, list):
        inner = [format_literal(v, indent + 1) for v in value]
        return "[" + ", ".join(inner) + "]"
    if isinstance(value, float) and value.is_integer():
        return repr(int(value))
    return repr(value)


def transpile_parsed(parsed: Parsed, path: str) -> Transpiled:
    with collector_paused():  # no full collection over the JS tree it walks
        check_nesting(parsed.wrapper, path)
        analysis = ScopeAnalysis()
        analysis.program(parsed.wrapper, parsed.body)
        analysis.assign_names()
        return Transpiler(path, analysis).program(parsed)
