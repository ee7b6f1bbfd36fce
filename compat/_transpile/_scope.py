"""Scope analysis: every JS binding, what each identifier refers to, and Python names.

JS scopes are blocks; Python's are functions. Each JS binding is owned by the Python
function that will hold it and gets a Python name that is unique among the bindings of
that function it could overlap with, and distinct from every outer name the function
(or a function nested in it) refers to, so that Python's function scoping resolves
each name to the binding JS would.

Over 400 lines on purpose: one analysis (bindings, references, naming) over one tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._names import python_name

__all__ = ["Binding", "FunctionInfo", "Scope", "ScopeAnalysis", "children", "pattern_names"]

Node = Any

_SKIP_KEYS = frozenset({"type", "range", "loc", "_start", "_end", "_line", "_column", "regex"})


_CHILD_KEYS: dict[str, tuple[str, ...]] = {}
_SCALAR_KEYS = frozenset({"name", "value", "raw", "operator", "kind", "computed", "optional",
                          "prefix", "shorthand", "method", "async", "generator", "allowAwait",
                          "directive", "delegate", "sourceType", "tail", "isAsync", "static"})


def children(node: Node) -> list[Node]:
    """The child nodes of an esprima node (the keys holding nodes are cached per type).

    Reads the nodes' ``__dict__`` (a missing attribute of an esprima node goes through
    its ``__getattr__``, which costs more than the walk itself)."""
    attributes = node.__dict__
    kind = attributes["type"]
    keys = _CHILD_KEYS.get(kind)
    if keys is None:
        keys = tuple(k for k in attributes if k not in _SKIP_KEYS and k not in _SCALAR_KEYS)
        _CHILD_KEYS[kind] = keys
    found: list[Node] = []
    for key in keys:
        value = attributes.get(key)
        if value is None:
            continue
        if type(value) is list:
            found += [item for item in value
                      if item is not None and type(getattr(item, "type", None)) is str]
        elif type(getattr(value, "type", None)) is str:
            found.append(value)
    return found


def pattern_names(pattern: Node) -> list[Node]:
    """The Identifier nodes a binding pattern declares."""
    if pattern is None:
        return []
    kind = pattern.type
    if kind == "Identifier":
        return [pattern]
    if kind == "AssignmentPattern":
        return pattern_names(pattern.left)
    if kind == "RestElement":
        return pattern_names(pattern.argument)
    if kind == "ArrayPattern":
        return [n for el in pattern.elements for n in pattern_names(el)]
    if kind == "ObjectPattern":
        out = []
        for prop in pattern.properties:
            out.extend(pattern_names(prop.argument if prop.type == "RestElement" else prop.value))
        return out
    return []


@dataclass(eq=False)
class Binding:
    name: str
    kind: str
    scope: Scope
    py: str = ""
    assigned: bool = False
    closure_assigned: bool = False
    for_head: bool = False


@dataclass(eq=False)
class FunctionInfo:
    node: Node
    parent: FunctionInfo | None
    bindings: list[Binding] = field(default_factory=list)
    free: set[Binding] = field(default_factory=set)
    free_globals: set[str] = field(default_factory=set)
    nonlocals: set[Binding] = field(default_factory=set)
    temps: int = 0


@dataclass(eq=False)
class Scope:
    parent: Scope | None
    function: FunctionInfo
    loops: tuple[int, ...] = ()
    names: dict[str, Binding] = field(default_factory=dict)

    def lookup(self, name: str) -> Binding | None:
        scope: Scope | None = self
        while scope is not None:
            found = scope.names.get(name)
            if found is not None:
                return found
            scope = scope.parent
        return None

    def encloses(self, other: Scope) -> bool:
        scope: Scope | None = other
        while scope is not None:
            if scope is self:
                return True
            scope = scope.parent
        return False


class ScopeAnalysis:
    """Walks the program once; results are looked up by ``id(node)``."""

    def __init__(self) -> None:
        self.refs: dict[int, Binding | None] = {}
        self.functions: dict[int, FunctionInfo] = {}
        self.scopes: dict[int, Scope] = {}
        self.order: list[FunctionInfo] = []
        self.all_names: set[str] = set()

    # -- declarations ----------------------------------------------------------------------

    def declare(self, scope: Scope, ident: Node, kind: str, *, for_head: bool = False) -> None:
        name = ident.name
        self.all_names.add(name)
        existing = scope.names.get(name)
        if existing is None:
            existing = Binding(name, kind, scope, for_head=for_head)
            scope.names[name] = existing
            scope.function.bindings.append(existing)
        self.refs[id(ident)] = existing

    def hoist_vars(self, scope: Scope, statements: list[Node]) -> None:
        stack = list(statements)
        while stack:
            node = stack.pop()
            if node is None or not hasattr(node, "type"):
                continue
            if node.type in ("FunctionDeclaration", "FunctionExpression",
                             "ArrowFunctionExpression", "ClassDeclaration", "ClassExpression"):
                continue
            if node.type == "VariableDeclaration" and node.kind == "var":
                for decl in node.declarations:
                    for ident in pattern_names(decl.id):
                        self.declare(scope, ident, "var")
            stack.extend(children(node))

    def declare_lexical(self, scope: Scope, statements: list[Node]) -> None:
        for node in statements:
            if node.type == "VariableDeclaration" and node.kind != "var":
                for decl in node.declarations:
                    for ident in pattern_names(decl.id):
                        self.declare(scope, ident, node.kind)
            elif node.type in ("FunctionDeclaration", "ClassDeclaration") and node.id:
                self.declare(scope, node.id, "function")

    # -- walking -----------------------------------------------------------------------------

    def program(self, wrapper: Node, statements: list[Node]) -> FunctionInfo:
        info = FunctionInfo(wrapper, None)
        self.functions[id(wrapper)] = info
        self.order.append(info)
        scope = Scope(None, info)
        self.scopes[id(wrapper)] = scope
        self.hoist_vars(scope, statements)
        self.declare_lexical(scope, statements)
        for statement in statements:
            self.walk(statement, scope)
        return info

    def walk(self, node: Node, scope: Scope) -> None:
        method = getattr(self, "scan_" + node.type, None)
        if method is not None:
            method(node, scope)
            return
        for child in children(node):
            self.walk(child, scope)

    def block(self, node: Node, scope: Scope, statements: list[Node],
              loop: Node | None = None) -> Scope:
        inner = Scope(scope, scope.function, scope.loops + ((id(loop),) if loop else ()))
        self.scopes[id(node)] = inner
        self.declare_lexical(inner, statements)
        for statement in statements:
            self.walk(statement, inner)
        return inner

    def scan_BlockStatement(self, node: Node, scope: Scope) -> None:
        self.block(node, scope, node.body)

    def scan_Identifier(self, node: Node, scope: Scope) -> None:
        self.reference(node, scope)

    def reference(self, node: Node, scope: Scope, *, assign: bool = False) -> None:
        self.all_names.add(node.name)
        binding = scope.lookup(node.name)
        self.refs[id(node)] = binding
        fn: FunctionInfo | None = scope.function
        if binding is None:
            while fn is not None:
                fn.free_globals.add(node.name)
                fn = fn.parent
            return
        while fn is not None and fn is not binding.scope.function:
            fn.free.add(binding)
            fn = fn.parent
        if assign:
            binding.assigned = True
            if binding.scope.function is not scope.function:
                binding.closure_assigned = True
                scope.function.nonlocals.add(binding)

    def assign_target(self, target: Node, scope: Scope) -> None:
        if target.type == "Identifier":
            self.reference(target, scope, assign=True)
        elif target.type in ("ArrayPattern", "ObjectPattern", "AssignmentPattern",
                             "RestElement"):
            for ident in pattern_names(target):
                self.reference(ident, scope, assign=True)
            self.pattern_defaults(target, scope)
        else:
            self.walk(target, scope)

    def pattern_defaults(self, pattern: Node, scope: Scope) -> None:
        if pattern is None:
            return
        if pattern.type == "AssignmentPattern":
            self.pattern_defaults(pattern.left, scope)
            self.walk(pattern.right, scope)
        elif pattern.type == "MemberExpression":
            self.walk(pattern, scope)
        elif pattern.type == "RestElement":
            self.pattern_defaults(pattern.argument, scope)
        elif pattern.type == "ArrayPattern":
            for el in pattern.elements:
                self.pattern_defaults(el, scope)
        elif pattern.type == "ObjectPattern":
            for prop in pattern.properties:
                if prop.type == "RestElement":
                    self.pattern_defaults(prop, scope)
                    continue
                if prop.computed:
                    self.walk(prop.key, scope)
                self.pattern_defaults(prop.value, scope)

    def scan_AssignmentExpression(self, node: Node, scope: Scope) -> None:
        self.assign_target(node.left, scope)
        if node.operator != "=" and node.left.type == "Identifier":
            pass
        self.walk(node.right, scope)

    def scan_UpdateExpression(self, node: Node, scope: Scope) -> None:
        self.assign_target(node.argument, scope)

    def scan_VariableDeclaration(self, node: Node, scope: Scope) -> None:
        for decl in node.declarations:
            if node.kind == "var":
                for ident in pattern_names(decl.id):
                    self.reference(ident, scope, assign=decl.init is not None)
            else:
                for ident in pattern_names(decl.id):
                    if id(ident) not in self.refs:
                        self.reference(ident, scope)
            self.pattern_defaults(decl.id, scope)
            if decl.init is not None:
                self.walk(decl.init, scope)

    def scan_MemberExpression(self, node: Node, scope: Scope) -> None:
        self.walk(node.object, scope)
        if node.computed:
            self.walk(node.property, scope)

    def scan_Property(self, node: Node, scope: Scope) -> None:
        if node.computed:
            self.walk(node.key, scope)
        self.walk(node.value, scope)

    def scan_LabeledStatement(self, node: Node, scope: Scope) -> None:
        self.walk(node.body, scope)

    def scan_BreakStatement(self, node: Node, scope: Scope) -> None:
        return

    scan_ContinueStatement = scan_BreakStatement

    def function(self, node: Node, scope: Scope) -> None:
        info = FunctionInfo(node, scope.function)
        self.functions[id(node)] = info
        self.order.append(info)
        inner = Scope(scope, info)
        self.scopes[id(node)] = inner
        if node.type == "FunctionExpression" and node.id is not None:
            self.declare(inner, node.id, "function")
        for param in node.params:
            for ident in pattern_names(param):
                self.declare(inner, ident, "param")
        for param in node.params:
            self.pattern_defaults(param, inner)
        if node.body.type == "BlockStatement":
            self.hoist_vars(inner, node.body.body)
            self.declare_lexical(inner, node.body.body)
            for statement in node.body.body:
                self.walk(statement, inner)
        else:
            self.walk(node.body, inner)

    def scan_FunctionDeclaration(self, node: Node, scope: Scope) -> None:
        self.function(node, scope)

    scan_FunctionExpression = scan_FunctionDeclaration
    scan_ArrowFunctionExpression = scan_FunctionDeclaration

    def scan_ClassDeclaration(self, node: Node, scope: Scope) -> None:
        return

    scan_ClassExpression = scan_ClassDeclaration

    def scan_ForStatement(self, node: Node, scope: Scope) -> None:
        head = Scope(scope, scope.function, (*scope.loops, id(node)))
        self.scopes[id(node)] = head
        init = node.init
        if init is not None and init.type == "VariableDeclaration" and init.kind != "var":
            for decl in init.declarations:
                for ident in pattern_names(decl.id):
                    self.declare(head, ident, init.kind, for_head=True)
        for part in (init, node.test, node.update):
            if part is not None:
                self.walk(part, head)
        self.loop_body(node, head)

    def loop_body(self, node: Node, scope: Scope) -> None:
        body = node.body
        statements = body.body if body.type == "BlockStatement" else [body]
        self.block(body, scope, statements, loop=node)

    def scan_ForOfStatement(self, node: Node, scope: Scope) -> None:
        self.walk(node.right, scope)
        head = Scope(scope, scope.function, (*scope.loops, id(node)))
        self.scopes[id(node)] = head
        left = node.left
        if left.type == "VariableDeclaration":
            for decl in left.declarations:
                kind = left.kind
                for ident in pattern_names(decl.id):
                    if kind == "var":
                        self.reference(ident, scope, assign=True)
                    else:
                        self.declare(head, ident, kind)
                self.pattern_defaults(decl.id, head)
        else:
            self.assign_target(left, head)
        self.loop_body(node, head)

    scan_ForInStatement = scan_ForOfStatement

    def scan_WhileStatement(self, node: Node, scope: Scope) -> None:
        self.walk(node.test, scope)
        self.loop_body(node, scope)

    def scan_DoWhileStatement(self, node: Node, scope: Scope) -> None:
        self.loop_body(node, scope)
        self.walk(node.test, scope)

    def scan_SwitchStatement(self, node: Node, scope: Scope) -> None:
        self.walk(node.discriminant, scope)
        inner = Scope(scope, scope.function, scope.loops)
        self.scopes[id(node)] = inner
        statements = [s for case in node.cases for s in case.consequent]
        self.declare_lexical(inner, statements)
        for case in node.cases:
            if case.test is not None:
                self.walk(case.test, inner)
            for statement in case.consequent:
                self.walk(statement, inner)

    def scan_CatchClause(self, node: Node, scope: Scope) -> None:
        inner = Scope(scope, scope.function, scope.loops)
        self.scopes[id(node)] = inner
        if node.param is not None:
            for ident in pattern_names(node.param):
                self.declare(inner, ident, "let")
            self.pattern_defaults(node.param, inner)
        self.block(node.body, inner, node.body.body)

    # -- Python names --------------------------------------------------------------------

    def assign_names(self) -> None:
        # A binding a closure reads keeps its own Python variable: sibling blocks reuse
        # names (``x`` in two blocks is one local), which a closure would see change.
        captured = {b for info in self.order for b in info.free}
        for info in self.order:
            taken_outer = {b.py for b in info.free} | info.free_globals
            named: list[Binding] = []
            for binding in info.bindings:
                base = python_name(binding.name, self.all_names)
                candidate, n = base, 1
                while candidate in taken_outer or any(
                    other.py == candidate and (other in captured or binding in captured
                                               or other.scope.encloses(binding.scope)
                                               or binding.scope.encloses(other.scope))
                    for other in named
                ):
                    n += 1
                    candidate = f"{base}_{n}"
                binding.py = candidate
                named.append(binding)
