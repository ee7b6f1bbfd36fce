"""A tree-sitter concrete tree -> the esprima tree of the same script, node for node.

:class:`Converter` builds exactly what ``esprima.parseScript`` builds (same
``esprima.nodes`` classes, attributes, ``_start``/``_end``/``_line``/``_column`` as
Python string indices) for the constructs a workflow uses. Whatever it does not know,
or where esprima would report an early error the tree-sitter grammar accepts, it raises
:class:`Unsupported`: the caller then parses with esprima, which gives the messages.
Literal tokens (numbers, strings, templates, regular expressions) are read by esprima's
own scanner, so their values and their lexical errors are esprima's.
"""

from __future__ import annotations

import re

from esprima import nodes as N

from ._ts_base import GAP, Node, TsNode, Unsupported, skip
from ._ts_expressions import ASSIGNMENT, ExpressionMixin, parenthesized
from ._ts_patterns import PatternMixin

__all__ = ["Converter", "Unsupported"]

_DECLARATION_START = re.compile(r"\{|function\b|class\b|let\b|async\b")
"""What esprima reads as a declaration or a block at the start of a statement."""


class Converter(ExpressionMixin, PatternMixin):
    """One conversion of one tree: the program, statements and function bodies here,
    expressions and patterns in the mixins."""

    def program(self, root: TsNode, comments: list[TsNode]) -> Node:
        """The ``Script`` of the tree (``comments``: its comment nodes)."""
        self.comment_starts = {c.end_byte: c.start_byte for c in comments}
        body = [self.stmt(c) for c in self.named(root)]
        return self.place(N.Script(body), 0, len(self.text))

    def statements(self, ts_list: list[TsNode]) -> list[Node]:
        return [self.stmt(c) for c in ts_list]

    def function_body(self, ts: TsNode) -> Node:
        """A function's block: leading string statements are directives."""
        self.enter(ts)
        children = self.named(ts)
        body: list[Node] = []
        rest = 0
        for child in children:
            if child.type != "expression_statement" or self.text[
                    self.index(child.start_byte)] not in "'\"":
                break
            rest += 1
            statement = self.directive(child)
            self.semicolon_end(statement, child)
            body.append(statement)
            if statement.directive is None:
                break
        self.loops.append(0)
        self.switches.append(0)
        body += self.statements(children[rest:])
        self.loops.pop()
        self.switches.pop()
        self.leave(ts)
        return self.at(N.BlockStatement(body), ts)

    def directive(self, ts: TsNode) -> Node:
        inner = self.only(ts)
        expression = self.expr(inner)
        if expression.type == "Literal" and not parenthesized(expression):
            text = expression.raw[1:-1]
            if text:
                if text == "use strict" or "\\" in text:
                    raise Unsupported("a strict-mode directive")
                return self.at(N.Directive(expression, text), ts)
        return self.at(N.ExpressionStatement(expression), ts)

    def s_expression_statement(self, ts: TsNode) -> Node:
        if _DECLARATION_START.match(self.text, self.index(ts.start_byte)):
            raise Unsupported("a statement esprima reads as a declaration or a block")
        return self.at(N.ExpressionStatement(self.expr(self.only(ts))), ts)

    def s_empty_statement(self, ts: TsNode) -> Node:
        return self.at(N.EmptyStatement(), ts)

    def s_statement_block(self, ts: TsNode) -> Node:
        return self.at(N.BlockStatement(self.statements(self.named(ts))), ts)

    def s_lexical_declaration(self, ts: TsNode) -> Node:
        return self.declaration(ts, ts.end_byte)

    s_variable_declaration = s_lexical_declaration

    def declaration(self, ts: TsNode, end_byte: int) -> Node:
        kind = ts.children[0].type
        declarators = []
        for child in self.named(ts):
            name = self.field(child, "name")
            value = child.child_by_field_name("value")
            if value is None and (kind == "const" or name.type != "identifier"):
                raise Unsupported("a declaration without initializer")
            target = self.binding(name)
            init = self.operand(value, ASSIGNMENT) if value is not None else None
            declarators.append(self.at(N.VariableDeclarator(target, init), child))
        if not declarators:
            raise Unsupported("an empty declaration")
        return self.place(N.VariableDeclaration(declarators, kind),
                          self.index(ts.start_byte), self.end(end_byte))

    def s_if_statement(self, ts: TsNode) -> Node:
        test = self.condition(self.field(ts, "condition"))
        consequent = self.stmt(self.field(ts, "consequence"))
        alternative = ts.child_by_field_name("alternative")
        alternate = self.stmt(self.only(alternative)) if alternative is not None else None
        for branch in (consequent, alternate):
            if branch is not None and branch.type in ("FunctionDeclaration",
                                                      "VariableDeclaration"):
                raise Unsupported("a declaration as an if branch")
        return self.ends_with(self.at(N.IfStatement(test, consequent, alternate), ts),
                              alternate or consequent)

    def ends_with(self, node: Node, last: Node) -> Node:
        """A statement ends where its last statement does (which may have trailing
        comments inside tree-sitter's range, or end at a ``}`` esprima counts)."""
        node._end = last._end
        return node

    def condition(self, ts: TsNode) -> Node:
        """The expression inside a statement's own parentheses (not a grouping)."""
        if ts.type != "parenthesized_expression":
            raise Unsupported("a condition without parentheses")
        self.enter(ts)
        node = self.expr(self.only(ts))
        self.leave(ts)
        return node

    def loop_body(self, ts: TsNode) -> Node:
        self.loops[-1] += 1
        body = self.stmt(ts)
        self.loops[-1] -= 1
        if body.type in ("FunctionDeclaration", "VariableDeclaration"):
            if body.type == "FunctionDeclaration" or body.kind != "var":
                raise Unsupported("a declaration as a loop body")
        return body

    def s_while_statement(self, ts: TsNode) -> Node:
        test = self.condition(self.field(ts, "condition"))
        body = self.loop_body(self.field(ts, "body"))
        return self.ends_with(self.at(N.WhileStatement(test, body), ts), body)

    def s_do_statement(self, ts: TsNode) -> Node:
        body = self.loop_body(self.field(ts, "body"))
        test = self.condition(self.field(ts, "condition"))
        node = self.at(N.DoWhileStatement(body, test), ts)
        self.ends_with_semicolon(node, ts)
        return node

    def s_for_statement(self, ts: TsNode) -> Node:
        init = test = update = None
        for i, child in enumerate(ts.children):
            field = ts.field_name_for_child(i)
            if field == "initializer":
                init = self.for_init(child)
            elif field == "condition" and child.type != ";":
                test = self.for_part(child)
            elif field == "increment":
                update = self.expr(child)
        body = self.loop_body(self.field(ts, "body"))
        return self.ends_with(self.at(N.ForStatement(init, test, update, body), ts), body)

    def for_part(self, ts: TsNode) -> Node | None:
        if ts.type == "empty_statement":
            return None
        if ts.type == "expression_statement":
            return self.expr(self.only(ts))
        return self.expr(ts)

    def for_init(self, ts: TsNode) -> Node | None:
        if ts.type == "variable_declaration":  # esprima ends it before the `;`
            return self.declaration(ts, self.named(ts)[-1].end_byte)
        if ts.type == "lexical_declaration":
            return self.declaration(ts, ts.end_byte)
        return self.for_part(ts)

    def s_for_in_statement(self, ts: TsNode) -> Node:
        kind = ts.child_by_field_name("kind")
        left_ts = self.field(ts, "left")
        operator = self.field(ts, "operator").type
        if any(c.type == "await" for c in ts.children) or (kind is not None and (
                ts.child_by_field_name("value") is not None)):
            raise Unsupported("for await, or an initializer in for-in")
        if kind is not None:
            target = self.binding(left_ts)
            declarator = self.at(N.VariableDeclarator(target, None), left_ts)
            left = self.span(N.VariableDeclaration([declarator], kind.type), kind, left_ts)
        else:
            left = self.target(left_ts, pattern=True)
        right = self.expr(self.field(ts, "right"))
        body = self.loop_body(self.field(ts, "body"))
        if operator == "of" and right.type == "SequenceExpression" and not parenthesized(right):
            raise Unsupported("a sequence after of")
        if operator == "of":
            return self.ends_with(self.at(N.ForOfStatement(left, right, body, False), ts), body)
        if operator != "in":
            raise Unsupported(operator)
        return self.ends_with(self.at(N.ForInStatement(left, right, body), ts), body)

    def s_return_statement(self, ts: TsNode) -> Node:
        children = self.named(ts)
        if children and children[0].start_point[0] != ts.start_point[0]:
            raise Unsupported("a line break after return")
        if not children:  # esprima reads a string or template on the next line as the value
            after = skip(GAP, self.text, self.index(ts.end_byte))
            if after < len(self.text) and self.text[after] in "'\"`":
                raise Unsupported("return before a string on the next line")
        argument = self.expr(children[0]) if children else None
        return self.at(N.ReturnStatement(argument), ts)

    def s_throw_statement(self, ts: TsNode) -> Node:
        argument = self.only(ts)
        if argument.start_point[0] != ts.start_point[0]:
            raise Unsupported("a line break after throw")
        return self.at(N.ThrowStatement(self.expr(argument)), ts)

    def s_break_statement(self, ts: TsNode) -> Node:
        if self.named(ts) or not (self.loops[-1] or self.switches[-1]):
            raise Unsupported("a labelled break, or one outside loops")
        return self.at(N.BreakStatement(None), ts)

    def s_continue_statement(self, ts: TsNode) -> Node:
        if self.named(ts) or not self.loops[-1]:
            raise Unsupported("a labelled continue, or one outside loops")
        return self.at(N.ContinueStatement(None), ts)

    def s_try_statement(self, ts: TsNode) -> Node:
        block = self.stmt(self.field(ts, "body"))
        handler_ts = ts.child_by_field_name("handler")
        finalizer_ts = ts.child_by_field_name("finalizer")
        if handler_ts is None and finalizer_ts is None:
            raise Unsupported("try without catch or finally")
        handler = None
        if handler_ts is not None:
            self.enter(handler_ts)
            param_ts = handler_ts.child_by_field_name("parameter")
            param = self.binding(param_ts) if param_ts is not None else None
            body = self.stmt(self.field(handler_ts, "body"))
            self.leave(handler_ts)
            handler = self.at(N.CatchClause(param, body), handler_ts)
        finalizer = None
        if finalizer_ts is not None:
            finalizer = self.stmt(self.field(finalizer_ts, "body"))
        return self.at(N.TryStatement(block, handler, finalizer), ts)

    def s_switch_statement(self, ts: TsNode) -> Node:
        discriminant = self.condition(self.field(ts, "value"))
        body = self.field(ts, "body")
        self.enter(body)
        self.switches[-1] += 1
        cases = []
        defaults = 0
        for case in self.named(body):
            value = case.child_by_field_name("value") if case.type == "switch_case" else None
            if case.type not in ("switch_case", "switch_default"):
                raise Unsupported(case.type)
            if value is None:
                defaults += 1
                if defaults > 1:
                    raise Unsupported("two default clauses")
            test = self.expr(value) if value is not None else None
            consequent = [self.stmt(c) for c in self.named(case)
                          if value is None or c.id != value.id]
            cases.append(self.at(N.SwitchCase(test, consequent), case))
        self.switches[-1] -= 1
        self.leave(body)
        return self.at(N.SwitchStatement(discriminant, cases), ts)

    def s_function_declaration(self, ts: TsNode) -> Node:
        is_async, name, params, body = self.function_parts(ts)
        cls = N.AsyncFunctionDeclaration if is_async else N.FunctionDeclaration
        if is_async:
            return self.at(cls(name, params, body), ts)
        return self.at(cls(name, params, body, False), ts)

    def function_parts(self, ts: TsNode) -> tuple[bool, Node, list[Node], Node]:
        if any(c.type == "*" for c in ts.children):
            raise Unsupported("a generator")
        is_async = ts.children[0].type == "async"
        if is_async and ts.children[1].start_point[0] != ts.children[0].start_point[0]:
            raise Unsupported("a line break after async")
        name_ts = ts.child_by_field_name("name")
        name = self.binding(name_ts) if name_ts is not None else None
        self.functions.append(False)  # no `await` in parameters
        params = self.parameters(self.field(ts, "parameters"))
        self.functions[-1] = is_async
        body = self.function_body(self.field(ts, "body"))
        self.functions.pop()
        return is_async, name, params, body
