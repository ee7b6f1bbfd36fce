"""Expressions of :mod:`._ts_nodes`' conversion.

tree-sitter's grammar is looser than esprima's about operands (it reads ``a - b = c`` as
``a - (b = c)``, ``!x => y`` as ``!(x => y)``): every operand is checked to bind at
least as tightly as esprima's grammar requires (:func:`level`), or the script goes to
esprima.
"""

from __future__ import annotations

from typing import Any

from esprima import nodes as N
from esprima.error_handler import Error as EsprimaError

from ._ts_base import REFERENCE_NAMES, Base, Node, TsNode, Unsupported

__all__ = ["ASSIGNMENT", "ExpressionMixin", "level", "parenthesized"]


_CHAIN = frozenset({"member_expression", "subscript_expression", "call_expression"})
_ASSIGNABLE = frozenset({"Identifier", "MemberExpression"})
_PRECEDENCE = {"||": 1, "??": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "===": 6,
               "!==": 6, "<": 7, ">": 7, "<=": 7, ">=": 7, "instanceof": 7, "in": 7, "<<": 8,
               ">>": 8, ">>>": 8, "+": 9, "-": 9, "*": 11, "/": 11, "%": 11, "**": 12}
"""esprima's binary precedences (``**`` above them all)."""
_LEVELS = {"SequenceExpression": 0, "AssignmentExpression": 1, "ArrowFunctionExpression": 1,
           "ConditionalExpression": 2, "UnaryExpression": 20, "AwaitExpression": 20,
           "UpdateExpression": 21}
"""How tightly a node binds (binary operators: 3 + precedence; others 22)."""
ASSIGNMENT = 1
UNARY = 20
UPDATE = 21
MEMBER = 22


def parenthesized(node: Node) -> bool:
    """Whether esprima marked ``node`` as written in parentheses (read from ``__dict__``:
    a missing attribute of an esprima node goes through a Python ``__getattr__``)."""
    return "_parenthesized" in node.__dict__


def level(node: Node) -> int:
    if parenthesized(node):
        return MEMBER
    kind = node.type
    if kind in ("BinaryExpression", "LogicalExpression"):
        return 3 + _PRECEDENCE[node.operator]
    return _LEVELS.get(kind, MEMBER)


class ExpressionMixin(Base):
    """Expression visitors ``x_<tree-sitter type>``; see :class:`._ts_nodes.Converter`."""

    # -- leaves -------------------------------------------------------------------

    def x_identifier(self, ts: TsNode) -> Node:
        return self.identifier(ts, REFERENCE_NAMES)

    def x_undefined(self, ts: TsNode) -> Node:
        return self.at(N.Identifier("undefined"), ts)

    def x_this(self, ts: TsNode) -> Node:
        return self.at(N.ThisExpression(), ts)

    def x_true(self, ts: TsNode) -> Node:
        return self.at(N.Literal(True, "true"), ts)

    def x_false(self, ts: TsNode) -> Node:
        return self.at(N.Literal(False, "false"), ts)

    def x_null(self, ts: TsNode) -> Node:
        return self.at(N.Literal(None, "null"), ts)

    def literal(self, ts: TsNode, method: str) -> Node:
        token = self.scan(ts, method)
        start, end = self.index(ts.start_byte), self.index(ts.end_byte)
        if token.start != start or token.end != end:
            raise Unsupported("a token the scanner reads differently")
        node = N.Literal(token.value, self.text[start:end])
        if token.bigint is not None:
            node.bigint = token.bigint
        return self.place(node, start, end)

    def x_number(self, ts: TsNode) -> Node:
        return self.literal(ts, "scanNumericLiteral")

    def x_string(self, ts: TsNode) -> Node:
        return self.literal(ts, "scanStringLiteral")

    def x_regex(self, ts: TsNode) -> Node:
        token = self.scan(ts, "scanRegExp")
        start, end = self.index(ts.start_byte), self.index(ts.end_byte)
        if token.start != start or token.end != end:
            raise Unsupported("a regular expression the scanner reads differently")
        node = N.RegexLiteral(token.regex, self.text[start:end], token.pattern, token.flags)
        return self.place(node, start, end)

    def x_template_string(self, ts: TsNode) -> Node:
        """An untagged template (tagged ones go to esprima: their escapes differ)."""
        quasis: list[Node] = []
        expressions: list[Node] = []
        position = ts.start_byte
        for child in ts.named_children:
            if child.type != "template_substitution":
                continue
            quasis.append(self.template_element(position, child.start_byte + 2))
            self.enter(child)
            inner = self.named(child)
            if len(inner) != 1:
                raise Unsupported("a template substitution of several parts")
            expressions.append(self.expr(inner[0]))
            self.leave(child)
            position = child.end_byte - 1
        quasis.append(self.template_element(position, ts.end_byte))
        return self.at(N.TemplateLiteral(quasis, expressions), ts)

    def template_element(self, start_byte: int, end_byte: int) -> Node:
        scanner = self.scanner
        start, end = self.index(start_byte), self.index(end_byte)
        scanner.index = start
        scanner.curlyStack = []
        try:
            token = scanner.scanTemplate()
        except EsprimaError as exc:
            raise Unsupported("a lexical error in a template") from exc
        if token.end != end or token.cooked is None:
            raise Unsupported("a template the scanner reads differently, or an invalid escape")
        return self.place(N.TemplateElement(token.value, token.cooked, token.tail), start, end)

    # -- operators ------------------------------------------------------------------

    def x_parenthesized_expression(self, ts: TsNode) -> Node:
        node = self.expr(self.only(ts))
        node._parenthesized = True
        return node

    def x_sequence_expression(self, ts: TsNode) -> Node:
        return self.at(N.SequenceExpression([self.expr(c) for c in self.named(ts)]), ts)

    def operand(self, ts: TsNode, minimum: int) -> Node:
        """``ts`` as an operand that must bind at least as tightly as ``minimum``."""
        node = self.expr(ts)
        if level(node) < minimum:
            raise Unsupported("an operand that esprima reads differently")
        return node

    def x_binary_expression(self, ts: TsNode) -> Node:
        operator = self.field(ts, "operator").type
        if operator not in _PRECEDENCE:
            raise Unsupported(operator)
        own = 3 + _PRECEDENCE[operator]
        power = operator == "**"
        left = self.operand(self.field(ts, "left"), UPDATE if power else own)
        right = self.operand(self.field(ts, "right"), own if power else own + 1)
        if operator == "**" and left.type in ("UnaryExpression", "AwaitExpression") \
                and not parenthesized(left):
            raise Unsupported("a unary operand of **")
        if operator in ("&&", "||", "??"):
            for child in (left, right):
                if child.type == "LogicalExpression" and not parenthesized(child) and (
                        (operator == "??") != (child.operator == "??")):
                    raise Unsupported("?? mixed with && or ||")
        return self.at(N.BinaryExpression(operator, left, right), ts)

    def x_unary_expression(self, ts: TsNode) -> Node:
        operator = self.field(ts, "operator").type
        argument = self.operand(self.field(ts, "argument"), UNARY)
        return self.at(N.UnaryExpression(operator, argument), ts)

    def x_update_expression(self, ts: TsNode) -> Node:
        operator = self.field(ts, "operator")
        argument_ts = self.field(ts, "argument")
        argument = self.expr(argument_ts)
        if argument.type not in _ASSIGNABLE or parenthesized(argument):
            raise Unsupported("an update of something not assignable")
        prefix = operator.start_byte < argument_ts.start_byte
        if not prefix and operator.start_point[0] != argument_ts.end_point[0]:
            raise Unsupported("a line break before a postfix operator")
        return self.at(N.UpdateExpression(operator.type, argument, prefix), ts)

    def x_await_expression(self, ts: TsNode) -> Node:
        if not self.functions or not self.functions[-1]:
            raise Unsupported("await outside an async function")
        return self.at(N.AwaitExpression(self.operand(self.only(ts), UNARY)), ts)

    def x_ternary_expression(self, ts: TsNode) -> Node:
        test = self.operand(self.field(ts, "condition"), 3)
        consequent = self.operand(self.field(ts, "consequence"), ASSIGNMENT)
        alternate = self.operand(self.field(ts, "alternative"), ASSIGNMENT)
        return self.at(N.ConditionalExpression(test, consequent, alternate), ts)

    def x_assignment_expression(self, ts: TsNode) -> Node:
        left = self.target(self.field(ts, "left"), pattern=True)
        right = self.operand(self.field(ts, "right"), ASSIGNMENT)
        return self.at(N.AssignmentExpression("=", left, right), ts)

    def x_augmented_assignment_expression(self, ts: TsNode) -> Node:
        left = self.target(self.field(ts, "left"), pattern=False)
        operator = self.field(ts, "operator").type
        right = self.operand(self.field(ts, "right"), ASSIGNMENT)
        return self.at(N.AssignmentExpression(operator, left, right), ts)

    def target(self, ts: TsNode, *, pattern: bool) -> Node:
        """An assignment target: an identifier, a member, or (``=``) a cover pattern."""
        if ts.type in ("array_pattern", "object_pattern"):
            if not pattern:
                raise Unsupported("a pattern with a compound assignment")
            return self.cover(ts)
        node = self.expr(ts)
        if node.type not in _ASSIGNABLE or parenthesized(node):
            raise Unsupported("an assignment to something not assignable")
        return node

    # -- members and calls ----------------------------------------------------------

    def chain_part(self, ts: TsNode) -> tuple[Node, bool]:
        """A member/call node and whether its chain (down to its base) has a ``?.``."""
        kind = ts.type
        if kind == "call_expression":
            base_ts = self.field(ts, "function")
        else:
            base_ts = self.field(ts, "object")
        self.enter(ts)
        if base_ts.type in _CHAIN:
            base, optional_below = self.chain_part(base_ts)
        else:
            base, optional_below = self.operand(base_ts, MEMBER), False
        if base.type == "Super":
            raise Unsupported("super")
        optional = ts.child_by_field_name("optional_chain") is not None
        if optional and base.type == "NewExpression" and not base._hasArguments \
                and not parenthesized(base):
            raise Unsupported("?. after new without arguments")
        if kind == "member_expression":
            node = N.StaticMemberExpression(base, self.property_name(self.field(ts, "property")),
                                            optional)
        elif kind == "subscript_expression":
            node = N.ComputedMemberExpression(base, self.expr(self.field(ts, "index")), optional)
        else:
            arguments = self.field(ts, "arguments")
            if arguments.type != "arguments" or base_ts.type == "import" or (
                    base.type == "Identifier" and base.name == "async"):
                raise Unsupported("a tagged template, import() or a call of `async`")
            node = N.CallExpression(base, self.arguments(arguments), optional)
        self.leave(ts)
        return self.at(node, ts), optional or optional_below

    def chain(self, ts: TsNode) -> Node:
        node, optional = self.chain_part(ts)
        if optional:
            return self.at(N.ChainExpression(node), ts)
        return node

    x_member_expression = chain
    x_subscript_expression = chain
    x_call_expression = chain

    def arguments(self, ts: TsNode) -> list[Node]:
        self.enter(ts)
        self.separated(ts)
        items = [self.operand(c, ASSIGNMENT) for c in self.named(ts)]
        self.leave(ts)
        return items

    def x_new_expression(self, ts: TsNode) -> Node:
        callee_ts = self.field(ts, "constructor")
        callee = self.operand(callee_ts, MEMBER)
        if callee.type in ("ChainExpression", "CallExpression") and not parenthesized(callee):
            raise Unsupported("new with a call or an optional chain")
        arguments_ts = ts.child_by_field_name("arguments")
        arguments = self.arguments(arguments_ts) if arguments_ts is not None else []
        node = N.NewExpression(callee, arguments)
        node._hasArguments = arguments_ts is not None
        return self.at(node, ts)

    def x_spread_element(self, ts: TsNode) -> Node:
        return self.at(N.SpreadElement(self.operand(self.only(ts), ASSIGNMENT)), ts)

    # -- literals with parts --------------------------------------------------------

    def x_array(self, ts: TsNode) -> Node:
        return self.at(N.ArrayExpression(self.elements(ts, self.item)), ts)

    def item(self, ts: TsNode) -> Node:
        return self.operand(ts, ASSIGNMENT)

    def elements(self, ts: TsNode, convert: Any) -> list[Node | None]:
        items: list[Node | None] = []
        after_element = False
        for child in ts.children:
            kind = child.type
            if kind == ",":
                if not after_element:
                    items.append(None)
                after_element = False
            elif child.is_named and kind != "comment":
                items.append(convert(child))
                after_element = True
        return items

    def x_object(self, ts: TsNode) -> Node:
        self.separated(ts)
        properties = []
        children = [c for c in ts.children if c.type != "comment"]
        for i, child in enumerate(children):
            kind = child.type
            if kind == "pair":
                key, computed = self.key(self.field(child, "key"))
                value = self.operand(self.field(child, "value"), ASSIGNMENT)
                properties.append(self.at(N.Property("init", key, computed, value, False, False),
                                          child))
            elif kind == "shorthand_property_identifier":
                key = self.identifier(child, REFERENCE_NAMES)
                value = self.identifier(child, REFERENCE_NAMES)
                properties.append(self.at(N.Property("init", key, False, value, False, True),
                                          child))
            elif kind == "spread_element":
                spread = self.expr(child)
                if i + 2 < len(children) and children[i + 1].type == "," \
                        and children[i + 2].type == "}":
                    spread._trailingComma = True
                properties.append(spread)
            elif kind == "method_definition":
                properties.append(self.method(child))
            elif child.is_named and kind != "comment":
                raise Unsupported(kind)
        return self.at(N.ObjectExpression(properties), ts)

    def key(self, ts: TsNode) -> tuple[Node, bool]:
        kind = ts.type
        if kind == "computed_property_name":
            self.enter(ts)
            node = self.expr(self.only(ts))
            self.leave(ts)
            return node, True
        if kind == "property_identifier":
            node = self.property_name(ts)
            if node.name == "__proto__":
                raise Unsupported("a __proto__ key")
            return node, False
        if kind == "string":
            node = self.x_string(ts)
            if node.value == "__proto__":
                raise Unsupported("a __proto__ key")
            return node, False
        if kind == "number":
            return self.x_number(ts), False
        raise Unsupported(kind)

    def method(self, ts: TsNode) -> Node:
        tokens = [c.type for c in ts.children]
        is_async = tokens[0] == "async"
        if any(t in ("get", "set", "*", "static") for t in tokens):
            raise Unsupported("a getter, setter or generator method")
        name_ts = self.field(ts, "name")
        if is_async and name_ts.start_point[0] != ts.start_point[0]:
            raise Unsupported("a line break after async")
        key, computed = self.key(name_ts)
        params_ts = self.field(ts, "parameters")
        self.functions.append(False)  # no `await` in parameters
        params = self.parameters(params_ts)
        self.functions[-1] = is_async
        body = self.function_body(self.field(ts, "body"))
        self.functions.pop()
        function = N.FunctionExpression(None, params, body, False)
        function.isAsync = is_async
        self.span(function, params_ts, ts)
        return self.at(N.Property("init", key, computed, function, True, False), ts)

    # -- functions ------------------------------------------------------------------

    def x_function_expression(self, ts: TsNode) -> Node:
        is_async, name, params, body = self.function_parts(ts)
        if is_async:
            return self.at(N.AsyncFunctionExpression(name, params, body), ts)
        return self.at(N.FunctionExpression(name, params, body, False), ts)

    def x_arrow_function(self, ts: TsNode) -> Node:
        is_async = ts.children[0].type == "async"
        arrow = next(c for c in ts.children if c.type == "=>")
        single = ts.child_by_field_name("parameter")
        self.functions.append(False)  # no `await` in parameters
        if single is not None:
            params = [self.cover(single)]
            last = single
        else:
            last = self.field(ts, "parameters")
            self.enter(last)
            self.separated(last)
            params = [self.cover_parameter(c, is_async) for c in self.named(last)]
            self.rest_last(last)
            self.leave(last)
        if arrow.start_point[0] != last.end_point[0] or (is_async and (
                ts.children[1].start_point[0] != ts.start_point[0])):
            raise Unsupported("a line break before => or after async")
        self.functions[-1] = is_async
        body_ts = self.field(ts, "body")
        if body_ts.type == "statement_block":
            body = self.function_body(body_ts)
        else:
            body = self.operand(body_ts, ASSIGNMENT)
        self.functions.pop()
        expression = body.type != "BlockStatement"
        cls = N.AsyncArrowFunctionExpression if is_async else N.ArrowFunctionExpression
        return self.at(cls(params, body, expression), ts)

    # -- patterns -------------------------------------------------------------------
