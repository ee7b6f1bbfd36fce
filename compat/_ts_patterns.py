"""Patterns of :mod:`._ts_nodes`' conversion, built the two ways esprima builds them.

A *binding* pattern (declarations, function parameters, ``catch``) is made of
``ArrayPattern``, ``ObjectPattern``, ``AssignmentPattern`` and ``RestElement`` objects. A
*cover* pattern (an assignment's left side, an arrow's parameters, a for-of head without
declaration) is parsed by esprima as an expression and re-typed in place: an
``ArrayExpression`` object whose ``type`` is ``"ArrayPattern"``, an
``AssignmentExpression`` without ``operator`` typed ``"AssignmentPattern"``, and so on.
"""

from __future__ import annotations

from esprima import nodes as N

from ._ts_base import RESERVED_NAMES, Base, Node, TsNode, Unsupported

__all__ = ["PatternMixin"]

ASSIGNMENT = 1
"""The binding power of an assignment (see :mod:`._ts_expressions`)."""


class PatternMixin(Base):
    """Binding and cover patterns."""

    def cover_parameter(self, ts: TsNode, is_async: bool) -> Node:
        if ts.type == "rest_pattern" and not is_async:
            return self.at(N.RestElement(self.binding(self.only(ts))), ts)
        return self.cover(ts)

    def parameters(self, ts: TsNode) -> list[Node]:
        self.enter(ts)
        self.separated(ts)
        params = [self.binding(c) for c in self.named(ts)]
        self.rest_last(ts)
        self.leave(ts)
        return params

    def rest_last(self, ts: TsNode) -> None:
        """Refuse a rest element that is not last, or is followed by a comma, or has a
        default or a target other than a name or a pattern."""
        children = [c for c in ts.children if c.type != "comment"]
        for i, child in enumerate(children):
            if child.type == "rest_pattern" and (children[i + 1].type not in (")", "]", "}") or (
                    self.only(child).type not in ("identifier", "array_pattern",
                                                  "object_pattern"))):
                raise Unsupported("a rest element that is not last or not a plain target")

    def binding(self, ts: TsNode) -> Node:
        """A binding pattern (declarations, parameters, catch)."""
        kind = ts.type
        if kind == "identifier":
            return self.identifier(ts, RESERVED_NAMES)
        self.enter(ts)
        if kind == "assignment_pattern":
            left = self.binding(self.field(ts, "left"))
            node = N.AssignmentPattern(left, self.operand(self.field(ts, "right"), ASSIGNMENT))
        elif kind == "rest_pattern":
            node = N.RestElement(self.binding(self.only(ts)))
        elif kind == "array_pattern":
            self.rest_last(ts)
            node = N.ArrayPattern(self.elements(ts, self.binding))
        elif kind == "object_pattern":
            self.rest_last(ts)
            self.separated(ts)
            node = N.ObjectPattern([self.binding_property(c) for c in self.named(ts)])
        else:
            raise Unsupported(kind)
        self.leave(ts)
        return self.at(node, ts)

    def binding_property(self, ts: TsNode) -> Node:
        kind = ts.type
        if kind == "rest_pattern":
            return self.at(N.RestElement(self.binding(self.only(ts))), ts)
        if kind == "pair_pattern":
            key, computed = self.key(self.field(ts, "key"))
            value = self.binding(self.field(ts, "value"))
            return self.at(N.Property("init", key, computed, value, False, False), ts)
        if kind == "shorthand_property_identifier_pattern":
            key = self.identifier(ts, RESERVED_NAMES)
            value = self.identifier(ts, RESERVED_NAMES)
            return self.at(N.Property("init", key, False, value, False, True), ts)
        if kind == "object_assignment_pattern":
            left_ts = self.field(ts, "left")
            if left_ts.type != "shorthand_property_identifier_pattern":
                raise Unsupported("a default of an unknown shape")
            key = self.identifier(left_ts, RESERVED_NAMES)
            value = self.identifier(left_ts, RESERVED_NAMES)
            right = self.operand(self.field(ts, "right"), ASSIGNMENT)
            default = self.at(N.AssignmentPattern(value, right), ts)
            return self.at(N.Property("init", key, False, default, False, True), ts)
        raise Unsupported(kind)

    def cover(self, ts: TsNode) -> Node:
        """A pattern as esprima reads it: an expression re-typed as a pattern."""
        kind = ts.type
        if kind == "identifier":
            return self.identifier(ts, RESERVED_NAMES)
        if kind in ("member_expression", "subscript_expression"):
            node = self.expr(ts)
            if node.type != "MemberExpression":
                raise Unsupported("an optional chain as a target")
            return node
        self.enter(ts)
        if kind == "assignment_pattern":
            node = N.AssignmentExpression("=", self.cover(self.field(ts, "left")),
                                          self.operand(self.field(ts, "right"), ASSIGNMENT))
            node.type = "AssignmentPattern"
            del node.operator
        elif kind == "rest_pattern":
            node = N.SpreadElement(self.cover(self.only(ts)))
            node.type = "RestElement"
        elif kind == "array_pattern":
            self.rest_last(ts)
            node = N.ArrayExpression(self.elements(ts, self.cover))
            node.type = "ArrayPattern"
        elif kind == "object_pattern":
            self.rest_last(ts)
            self.separated(ts)
            node = N.ObjectExpression([self.cover_property(c) for c in self.named(ts)])
            node.type = "ObjectPattern"
        else:
            raise Unsupported(kind)
        self.leave(ts)
        return self.at(node, ts)

    def cover_property(self, ts: TsNode) -> Node:
        kind = ts.type
        if kind == "rest_pattern":
            node = N.SpreadElement(self.cover(self.only(ts)))
            node.type = "RestElement"
            return self.at(node, ts)
        if kind == "pair_pattern":
            key, computed = self.key(self.field(ts, "key"))
            value = self.cover(self.field(ts, "value"))
            return self.at(N.Property("init", key, computed, value, False, False), ts)
        return self.binding_property(ts)
