"""State shared by the transpiler's visitor mixins."""

from __future__ import annotations

from typing import Any, NoReturn

from flowdsl.errors import TranspileError

from .._parse import position
from ._scope import FunctionInfo, ScopeAnalysis
from ._writer import Writer

__all__ = ["DSL_NAMES", "JSRT_GLOBALS", "Base", "contains"]

Node = Any

DSL_NAMES = ("agent", "parallel", "pipeline", "phase", "log", "args", "budget", "workflow",
             "console")
JSRT_GLOBALS = frozenset({
    "Object", "Array", "Number", "String", "Boolean", "Math", "JSON", "Promise", "Map", "Set",
    "Date", "URL", "RegExp", "Error", "TypeError", "RangeError", "SyntaxError",
    "ReferenceError", "URIError", "parseInt", "parseFloat", "isNaN", "isFinite", "NaN",
    "Infinity", "encodeURI", "decodeURI", "encodeURIComponent", "decodeURIComponent",
    "escape", "unescape",
})
FUNCTION_TYPES = frozenset({"FunctionExpression", "ArrowFunctionExpression",
                            "FunctionDeclaration"})


def contains(node: Node, types: frozenset[str], *, into_functions: bool = False) -> bool:
    """Whether ``node``'s subtree has a node of one of ``types``."""
    from ._scope import children

    stack = [node]
    while stack:
        current = stack.pop()
        if current is None:
            continue
        if current.type in types:
            return True
        if current is not node and current.type in FUNCTION_TYPES and not into_functions:
            continue
        stack.extend(children(current))
    return False


class Base:
    path: str
    analysis: ScopeAnalysis
    w: Writer
    fn: FunctionInfo
    loops: list[Node]
    imports: set[str]
    this_bound: bool = False
    switch_flags: dict[int, str]

    def error(self, node: Node, message: str) -> NoReturn:
        line, column = position(node)
        raise TranspileError(message, path=self.path, line=line, column=column)

    def use(self, name: str) -> str:
        self.imports.add(name)
        return name

    def py_name(self, ident: Node) -> str:
        """The Python name of the binding a declaring identifier introduces."""
        binding = self.analysis.refs.get(id(ident))
        if binding is None:
            self.error(ident, f"`{ident.name}` has no binding")
        return binding.py

    def temp(self) -> str:
        self.fn.temps += 1
        return f"js_t{self.fn.temps}"

    def at(self, node: Node) -> None:
        self.w.position = position(node)

    # Provided by the mixins (declared here for the type checker; Base is last in the MRO).
    def expr(self, node: Node) -> str:
        raise NotImplementedError

    def cond(self, node: Node) -> str:
        raise NotImplementedError

    def statement(self, node: Node) -> None:
        raise NotImplementedError

    def body(self, statements: list[Node]) -> None:
        raise NotImplementedError

    def bind(self, pattern: Node, value: str, *, declare: bool = True) -> None:
        raise NotImplementedError

    def function_value(self, node: Node, name: str | None = None) -> str:
        raise NotImplementedError

    def target_name(self, target: Node) -> str:
        raise NotImplementedError

    def member_parts(self, node: Node, guards: list[str]) -> tuple[str, str]:
        raise NotImplementedError

    def assign_parts(self, target: Node) -> tuple[str, str]:
        raise NotImplementedError

    def property_key(self, prop: Node) -> str:
        raise NotImplementedError
