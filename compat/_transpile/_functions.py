"""Functions and destructuring patterns.

Every JS function becomes a ``def`` (``async def`` under ``@js_async`` for async
functions) whose parameters default to ``undefined`` and which ignores extra arguments
(``*js_extra``); a plain expression-bodied arrow becomes a ``lambda``. Closures created
in a loop take the loop's per-iteration bindings they read as keyword-only defaults,
which is how JS's fresh ``let``/``const`` binding per iteration is kept.
"""

from __future__ import annotations

from typing import Any

from ._base import FUNCTION_TYPES, Base, contains
from ._scope import Binding, FunctionInfo

__all__ = ["FunctionMixin"]

Node = Any


class FunctionMixin(Base):
    # -- patterns ------------------------------------------------------------------------

    def bind(self, pattern: Node, value: str, *, declare: bool = True) -> None:
        """Emit statements that bind ``pattern`` to the Python expression ``value``."""
        kind = pattern.type
        if kind == "Identifier":
            self.w.line(f"{self.target_name(pattern)} = {value}")
        elif kind == "MemberExpression":
            obj, key = self.member_parts(pattern, [])
            self.w.line(f"{self.use('js_set')}({obj}, {key}, {value})")
        elif kind == "AssignmentPattern":
            self.bind_default(pattern, value)
        elif kind == "ObjectPattern":
            self.bind_object(pattern, self.stable(value))
        elif kind == "ArrayPattern":
            source = self.temp()
            self.w.line(f"{source} = {self.use('js_rest')}({value})")
            for i, element in enumerate(pattern.elements):
                if element is None:
                    continue
                if element.type == "RestElement":
                    self.bind(element.argument, f"{self.use('js_rest')}({source}, {i})")
                else:
                    self.bind(element, f"{self.use('js_index')}({source}, {i})")
        else:
            self.error(pattern, f"{kind} is not supported in a binding pattern")

    def stable(self, value: str) -> str:
        if value.isidentifier():
            return value
        name = self.temp()
        self.w.line(f"{name} = {value}")
        return name

    def bind_default(self, pattern: Node, value: str) -> None:
        left = pattern.left
        if left.type == "Identifier":
            name = self.target_name(left)
            self.w.line(f"{name} = {value}")
            self.default_line(name, pattern.right)
            return
        name = self.temp()
        self.w.line(f"{name} = {value}")
        self.default_line(name, pattern.right)
        self.bind(left, name)

    def default_line(self, name: str, default: Node) -> None:
        """``if name is undefined: name = <default>`` (the default is evaluated lazily; a
        function default's ``def`` is written just before the test)."""
        value = self.expr(default)
        self.w.line(f"if {name} is {self.use('undefined')}:")
        self.w.indent += 1
        self.w.line(f"{name} = {value}")
        self.w.indent -= 1

    def bind_object(self, pattern: Node, source: str) -> None:
        used: list[str] = []
        for prop in pattern.properties:
            if prop.type == "RestElement":
                keys = "[" + ", ".join(used) + "]"
                self.bind(prop.argument, f"{self.use('js_object_rest')}({source}, {keys})")
                continue
            key = self.property_key(prop)
            used.append(key)
            self.bind(prop.value, f"{self.use('js_get')}({source}, {key})")
        if not pattern.properties:
            self.w.line(f"{self.use('js_object_rest')}({source}, [])")

    # -- functions ------------------------------------------------------------------------

    def captures(self, info: FunctionInfo) -> list[Binding]:
        """Per-iteration bindings of the enclosing loops that the new closure reads."""
        if not self.loops:
            return []
        active = {id(loop) for loop in self.loops}
        out = []
        for binding in info.free:
            if binding.scope.function is not self.fn or binding.kind not in ("let", "const"):
                continue
            if not active.intersection(binding.scope.loops):
                continue
            if binding.closure_assigned or (binding.assigned and not binding.for_head):
                continue
            out.append(binding)
        return sorted(out, key=lambda b: b.py)

    def lambda_ok(self, node: Node, info: FunctionInfo) -> bool:
        """An expression arrow with plain parameters and no assignment anywhere inside
        (nested functions included) can be a ``lambda``."""
        return (_simple_arrow(node) and not info.nonlocals
                and not contains(node.body, frozenset({"AssignmentExpression",
                                                       "UpdateExpression"}),
                                 into_functions=True)
                and all(_simple_arrow(inner) for inner in _functions_in(node.body)))

    def function_value(self, node: Node, name: str | None = None) -> str:
        info = self.analysis.functions[id(node)]
        node.is_async_fn = bool(getattr(node, "isAsync", False) or getattr(node, "async", False))
        if getattr(node, "generator", False):
            self.error(node, "generators (`function*`) are not supported")
        captured = self.captures(info)
        node.uses_this = node.type != "ArrowFunctionExpression" and _uses_this(node)
        if name is None and self.lambda_ok(node, info):
            return self.lambda_text(node, info, captured)
        if name is None:
            self.fn.temps += 1
            name = f"js_f{self.fn.temps}"
        self.emit_function(node, info, name, captured)
        return name

    def params(self, node: Node, info: FunctionInfo, captured: list[Binding],
               ) -> tuple[str, list[tuple[int, Node]]]:
        undefined = self.use("undefined")
        out: list[str] = ["js_this"] if node.uses_this else []
        later: list[tuple[int, Node]] = []
        rest = False
        for i, param in enumerate(node.params):
            if param.type == "Identifier":
                out.append(f"{self.py_name(param)}={undefined}")
            elif param.type == "RestElement" and param.argument.type == "Identifier":
                out.append(f"*{self.py_name(param.argument)}")
                later.append((i, param))
                rest = True
            elif param.type == "AssignmentPattern" and param.left.type == "Identifier":
                out.append(f"{self.py_name(param.left)}={undefined}")
                later.append((i, param))
            else:
                if param.type == "RestElement":
                    out.append(f"*js_p{i}")
                    rest = True
                else:
                    out.append(f"js_p{i}={undefined}")
                later.append((i, param))
        if not rest:
            out.append("*js_extra")
        out.extend(f"{b.py}={b.py}" for b in captured)
        return ", ".join(out), later

    def lambda_text(self, node: Node, info: FunctionInfo, captured: list[Binding]) -> str:
        outer_fn, outer_loops = self.fn, self.loops
        self.fn, self.loops = info, []
        try:
            params, _ = self.params(node, info, captured)
            body = self.expr(node.body)
        finally:
            self.fn, self.loops = outer_fn, outer_loops
        return f"(lambda {params}: {body})"

    def emit_function(self, node: Node, info: FunctionInfo, name: str,
                      captured: list[Binding]) -> None:
        outer_fn, outer_loops, outer_this = self.fn, self.loops, self.this_bound
        self.fn, self.loops = info, []
        if node.type != "ArrowFunctionExpression":
            self.this_bound = node.uses_this
        try:
            params, later = self.params(node, info, captured)
            if node.uses_this:
                self.w.line(f"@{self.use('js_method')}")
            if node.is_async_fn:
                self.w.line(f"@{self.use('js_async')}")
            self.w.line(f"{'async ' if node.is_async_fn else ''}def {name}({params}):")
            self.w.indent += 1
            mark = len(self.w.lines)
            self.function_prologue(info, later)
            if node.body.type == "BlockStatement":
                self.body(node.body.body)
                last = node.body.body[-1] if node.body.body else None
                if last is None or last.type not in ("ReturnStatement", "ThrowStatement"):
                    self.w.line(f"return {self.use('undefined')}")
            else:
                self.w.line(f"return {self.expr(node.body)}")
            if len(self.w.lines) == mark:
                self.w.line("pass")
            self.w.indent -= 1
        finally:
            self.fn, self.loops, self.this_bound = outer_fn, outer_loops, outer_this

    def function_prologue(self, info: FunctionInfo, later: list[tuple[int, Node]]) -> None:
        nonlocals = sorted({b.py for b in info.nonlocals})
        if nonlocals:
            self.w.line(f"nonlocal {', '.join(nonlocals)}")
        for binding in info.bindings:
            if binding.kind == "var":
                self.w.line(f"{binding.py} = {self.use('undefined')}")
        for i, param in later:
            if param.type == "RestElement":
                if param.argument.type == "Identifier":
                    name = self.py_name(param.argument)
                    self.w.line(f"{name} = {self.use('js_rest')}({name})")
                else:
                    self.bind(param.argument, f"{self.use('js_rest')}(js_p{i})")
            elif param.type == "AssignmentPattern" and param.left.type == "Identifier":
                self.default_line(self.py_name(param.left), param.right)
            else:
                self.bind(param, f"js_p{i}")


def _uses_this(node: Node) -> bool:
    """Whether a function's own ``this`` is read (arrows inside share it)."""
    from ._scope import children

    stack = list(children(node))
    while stack:
        current = stack.pop()
        if current.type == "ThisExpression":
            return True
        if current.type in ("FunctionExpression", "FunctionDeclaration"):
            continue
        stack.extend(children(current))
    return False


def _simple_arrow(node: Node) -> bool:
    return bool(node.type == "ArrowFunctionExpression" and node.body.type != "BlockStatement"
                and not (getattr(node, "isAsync", False) or getattr(node, "async", False))
                and all(p.type == "Identifier" for p in node.params))


def _functions_in(node: Node) -> list[Node]:
    from ._scope import children

    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type in FUNCTION_TYPES:
            found.append(current)
        stack.extend(children(current))
    return found
