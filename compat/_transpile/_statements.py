"""Statements: blocks with hoisted function declarations, loops, switch, try, throw.

Just over 400 lines: one ``visit_X`` per JS statement type, in one mixin.
"""

from __future__ import annotations

from typing import Any

from ._base import FUNCTION_TYPES, Base, contains
from ._scope import children

__all__ = ["StatementMixin"]

Node = Any

_LOOPS = frozenset({"ForStatement", "ForInStatement", "ForOfStatement", "WhileStatement",
                    "DoWhileStatement"})
_TERMINATORS = frozenset({"BreakStatement", "ReturnStatement", "ThrowStatement",
                          "ContinueStatement"})


def _find(node: Node, kind: str, stop: frozenset[str]) -> bool:
    """Whether ``node`` has a ``kind`` statement that targets it (not inside ``stop``)."""
    stack = list(children(node))
    while stack:
        current = stack.pop()
        if current.type == kind:
            return True
        if current.type in stop or current.type in FUNCTION_TYPES:
            continue
        stack.extend(children(current))
    return False


class StatementMixin(Base):
    def statement(self, node: Node) -> None:
        self.at(node)
        method = getattr(self, "visit_" + node.type, None)
        if method is None:
            self.error(node, f"{node.type} is not supported")
        method(node)

    def body(self, statements: list[Node]) -> None:
        """A statement list: function declarations first (hoisted), then the rest."""
        for node in statements:
            if node.type == "FunctionDeclaration":
                self.at(node)
                self.function_declaration(node)
        for node in statements:
            if node.type != "FunctionDeclaration":
                self.statement(node)

    def block(self, statements: list[Node]) -> None:
        self.w.indent += 1
        mark = len(self.w.lines)
        self.body(statements)
        if len(self.w.lines) == mark:
            self.w.line("pass")
        self.w.indent -= 1

    def block_of(self, node: Node) -> None:
        self.block(node.body if node.type == "BlockStatement" else [node])

    def function_declaration(self, node: Node) -> None:
        name = self.py_name(node.id)
        self.function_value(node, name)

    # -- simple statements -----------------------------------------------------------------

    def visit_EmptyStatement(self, node: Node) -> None:
        return

    def visit_DebuggerStatement(self, node: Node) -> None:
        return

    def visit_FunctionDeclaration(self, node: Node) -> None:
        return  # hoisted by body()

    def visit_BlockStatement(self, node: Node) -> None:
        self.body(node.body)

    def visit_ExpressionStatement(self, node: Node) -> None:
        expr = node.expression
        if getattr(node, "directive", None):
            return
        if expr.type == "AssignmentExpression" and self.assignment_statement(expr):
            return
        if expr.type == "UpdateExpression" and expr.argument.type == "Identifier":
            name = self.target_name(expr.argument)
            helper = self.use("js_inc" if expr.operator == "++" else "js_dec")
            self.w.line(f"{name} = {helper}({name})")
            return
        self.w.line(self.expr(expr))

    def assignment_statement(self, expr: Node) -> bool:
        target, op = expr.left, expr.operator
        if target.type in ("ObjectPattern", "ArrayPattern") and op == "=":
            self.bind(target, self.expr(expr.right), declare=False)
            return True
        if target.type != "Identifier":
            if op == "=":
                obj, key = self.assign_parts(target)
                self.w.line(f"{self.use('js_set')}({obj}, {key}, {self.expr(expr.right)})")
                return True
            return False
        name = self.target_name(target)
        if op == "=":
            self.w.line(f"{name} = {self.expr(expr.right)}")
        elif op in ("&&=", "||=", "??="):
            test = {"??=": f"{self.use('js_isnullish')}({name})",
                    "||=": f"not {self.use('js_truthy')}({name})",
                    "&&=": f"{self.use('js_truthy')}({name})"}[op]
            value = self.expr(expr.right)
            self.w.line(f"if {test}:")
            self.w.indent += 1
            self.w.line(f"{name} = {value}")
            self.w.indent -= 1
        else:
            from ._expressions import _BINARY

            value = self.expr(expr.right)
            self.w.line(f"{name} = {self.use(_BINARY[op[:-1]])}({name}, {value})")
        return True

    def visit_VariableDeclaration(self, node: Node) -> None:
        for decl in node.declarations:
            self.at(decl)
            target, init = decl.id, decl.init
            if init is None:
                if node.kind != "var":
                    self.bind(target, self.use("undefined"))
                continue
            if (target.type == "Identifier" and init.type in ("ArrowFunctionExpression",
                                                               "FunctionExpression")
                    and node.kind == "const"):
                self.function_value(init, self.target_name(target))
                continue
            self.bind(target, self.expr(init))

    def visit_ReturnStatement(self, node: Node) -> None:
        value = self.expr(node.argument) if node.argument is not None else self.use("undefined")
        self.w.line(f"return {value}")

    def visit_ThrowStatement(self, node: Node) -> None:
        self.w.line(f"raise {self.use('js_throw')}({self.expr(node.argument)})")

    def visit_IfStatement(self, node: Node) -> None:
        self.w.line(f"if {self.cond(node.test)}:")
        self.block_of(node.consequent)
        alternate = node.alternate
        while alternate is not None:
            if alternate.type == "IfStatement" and not contains(alternate.test, FUNCTION_TYPES):
                self.at(alternate)
                self.w.line(f"elif {self.cond(alternate.test)}:")
                self.block_of(alternate.consequent)
                alternate = alternate.alternate
            else:
                self.w.line("else:")
                self.block_of(alternate)
                break

    def visit_LabeledStatement(self, node: Node) -> None:
        self.error(node, "labeled statements are not supported: move the inner loop into a "
                         "function and use return")

    def visit_WithStatement(self, node: Node) -> None:
        self.error(node, "`with` statements are not supported")

    def visit_ClassDeclaration(self, node: Node) -> None:
        self.error(node, "classes are not supported: use plain objects and functions")

    def visit_ImportDeclaration(self, node: Node) -> None:
        self.error(node, "`import` is not supported: a workflow is one self-contained script")

    def visit_BreakStatement(self, node: Node) -> None:
        if node.label is not None:
            self.error(node, "labeled break is not supported")
        self.w.line("break")

    def visit_ContinueStatement(self, node: Node) -> None:
        if node.label is not None:
            self.error(node, "labeled continue is not supported")
        self.emit_continue()

    def emit_continue(self) -> None:
        """``continue``; inside a fall-through switch (a one-shot ``while``), set the
        switch's flag and leave it, and the code after the switch continues the loop."""
        if self.loops and self.loops[-1].type == "SwitchStatement":
            self.w.line(f"{self.switch_flags[id(self.loops[-1])]} = True")
            self.w.line("break")
        else:
            self.w.line("continue")

    # -- loops ------------------------------------------------------------------------------

    def loop(self, node: Node, body: Node) -> None:
        self.loops.append(node)
        try:
            self.block_of(body)
        finally:
            self.loops.pop()

    def visit_WhileStatement(self, node: Node) -> None:
        self.w.line(f"while {self.cond(node.test)}:")
        self.loop(node, node.body)

    def visit_DoWhileStatement(self, node: Node) -> None:
        first = self.temp()
        self.w.line(f"{first} = True")
        self.loops.append(node)
        test = self.cond(node.test)
        self.loops.pop()
        self.w.line(f"while {first} or {test}:")
        self.w.indent += 1
        self.w.line(f"{first} = False")
        self.w.indent -= 1
        self.loop(node, node.body)

    def visit_ForStatement(self, node: Node) -> None:
        if node.init is not None:
            if node.init.type == "VariableDeclaration":
                self.visit_VariableDeclaration(node.init)
            else:
                self.w.line(self.expr(node.init))
        self.loops.append(node)
        try:
            test = self.cond(node.test) if node.test is not None else "True"
            update = self.update_line(node.update)
        finally:
            self.loops.pop()
        if update and _find(node.body, "ContinueStatement", _LOOPS):
            first = self.temp()
            self.w.line(f"{first} = True")
            self.w.line("while True:")
            self.w.indent += 1
            self.w.line(f"if not {first}:")
            self.w.line(f"    {update}")
            self.w.line(f"{first} = False")
            if test != "True":
                self.w.line(f"if not {test}:")
                self.w.line("    break")
            self.w.indent -= 1
            self.loop(node, node.body)
            return
        self.w.line(f"while {test}:")
        self.loop(node, node.body)
        if update:
            self.w.indent += 1
            self.w.line(update)
            self.w.indent -= 1

    def update_line(self, update: Node | None) -> str:
        if update is None:
            return ""
        if update.type == "UpdateExpression" and update.argument.type == "Identifier":
            name = self.target_name(update.argument)
            helper = self.use("js_inc" if update.operator == "++" else "js_dec")
            return f"{name} = {helper}({name})"
        if (update.type == "AssignmentExpression" and update.left.type == "Identifier"
                and update.operator in ("+=", "-=", "*=", "=")):
            from ._expressions import _BINARY

            name = self.target_name(update.left)
            value = self.expr(update.right)
            if update.operator == "=":
                return f"{name} = {value}"
            return f"{name} = {self.use(_BINARY[update.operator[:-1]])}({name}, {value})"
        return self.expr(update)

    def for_each(self, node: Node, iterable: str) -> None:
        left = node.left
        target = left.declarations[0].id if left.type == "VariableDeclaration" else left
        awaiting = bool(getattr(node, "allowAwait", False))
        if target.type == "Identifier" and not awaiting:
            self.w.line(f"for {self.target_name(target)} in {iterable}:")
            self.loop(node, node.body)
            return
        item = self.temp()
        self.w.line(f"for {item} in {iterable}:")
        self.w.indent += 1
        self.loops.append(node)
        try:
            value = f"(await {self.use('js_await')}({item}))" if awaiting else item
            self.bind(target, value)
        finally:
            self.loops.pop()
        self.w.indent -= 1
        self.loop(node, node.body)

    def visit_ForOfStatement(self, node: Node) -> None:
        self.for_each(node, f"{self.use('js_iter')}({self.expr(node.right)})")

    def visit_ForInStatement(self, node: Node) -> None:
        self.for_each(node, f"{self.use('js_for_in')}({self.expr(node.right)})")

    # -- switch -----------------------------------------------------------------------------

    def visit_SwitchStatement(self, node: Node) -> None:
        value = self.expr(node.discriminant)
        if not value.isidentifier():
            name = self.temp()
            self.w.line(f"{name} = {value}")
            value = name
        if self.simple_switch(node):
            self.switch_as_if(node, value)
        else:
            self.switch_general(node, value)

    def simple_switch(self, node: Node) -> bool:
        cases = node.cases
        for i, case in enumerate(cases):
            body = case.consequent
            if case.test is None and i != len(cases) - 1 and body:
                return False
            if case.test is None and i != len(cases) - 1:
                return False
            if not body:
                continue
            last = body[-1]
            if last.type == "BlockStatement" and last.body:
                last = last.body[-1]
            if last.type not in _TERMINATORS and i != len(cases) - 1:
                return False
            inner = body[:-1] if body[-1].type == "BreakStatement" else body
            if any(_find_break(s) for s in inner):
                return False
        return True

    def switch_as_if(self, node: Node, value: str) -> None:
        keyword, pending = "if", []
        for case in node.cases:
            self.at(case)
            if case.test is not None:
                pending.append(f"{self.use('js_eq')}({value}, {self.expr(case.test)})")
            if not case.consequent and case.test is not None:
                continue
            body = list(case.consequent)
            if body and body[-1].type == "BreakStatement":
                body.pop()
            if case.test is None:
                self.w.line("else:" if keyword == "elif" else "if True:")
            else:
                self.w.line(f"{keyword} {' or '.join(pending)}:")
            self.block(body)
            keyword, pending = "elif", []

    def switch_general(self, node: Node, value: str) -> None:
        flag = None
        if any(s.type == "ContinueStatement" or _find(s, "ContinueStatement", _LOOPS)
               for c in node.cases for s in c.consequent):
            flag = self.temp()
            self.switch_flags[id(node)] = flag
            self.w.line(f"{flag} = False")
        entry = self.temp()
        default = next((i for i, c in enumerate(node.cases) if c.test is None), len(node.cases))
        choice = str(default)
        for i in range(len(node.cases) - 1, -1, -1):
            case = node.cases[i]
            if case.test is not None:
                test = f"{self.use('js_eq')}({value}, {self.expr(case.test)})"
                choice = f"({i} if {test} else {choice})"
        self.w.line(f"{entry} = {choice}")
        self.w.line("while True:")
        self.w.indent += 1
        self.loops.append(node)
        for i, case in enumerate(node.cases):
            if case.consequent:
                self.w.line(f"if {entry} <= {i}:")
                self.block(case.consequent)
        self.loops.pop()
        self.w.line("break")
        self.w.indent -= 1
        if flag is not None:
            self.w.line(f"if {flag}:")
            self.w.indent += 1
            self.emit_continue()
            self.w.indent -= 1

    # -- try ----------------------------------------------------------------------------------

    def visit_TryStatement(self, node: Node) -> None:
        for part in (node.finalizer,):
            if part is not None and any(_find(s, k, _LOOPS) or s.type == k for s in part.body
                                        for k in ("ReturnStatement",)):
                self.error(part, "`return` inside `finally` is not supported")
        self.w.line("try:")
        self.block(node.block.body)
        handler = node.handler
        if handler is not None:
            self.at(handler)
            caught = self.temp().replace("js_t", "js_err")
            self.w.line(f"except Exception as {caught}:")
            self.w.indent += 1
            if handler.param is not None:
                self.bind(handler.param, f"{self.use('js_caught')}({caught})")
            self.w.indent -= 1
            self.block(handler.body.body)
        if node.finalizer is not None:
            self.w.line("finally:")
            self.block(node.finalizer.body)


def _find_break(node: Node) -> bool:
    if node.type == "BreakStatement":
        return True
    return _find(node, "BreakStatement", _LOOPS | {"SwitchStatement"})
