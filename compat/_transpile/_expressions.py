"""Expressions: every JS expression becomes one Python expression.

Operators and property accesses become ``jsrt`` helper calls; ``&&``, ``||``, ``??``,
``?.`` and ``?:`` keep JS's short-circuiting with conditional expressions, using
walrus temporaries (``js_t1``) so that each operand is evaluated once.

Over 400 lines on purpose: one ``visit_X`` per JS expression type, in one mixin.
"""

from __future__ import annotations

from typing import Any

from .._jsrt._convert import to_string
from ._base import DSL_NAMES, JSRT_GLOBALS, Base

__all__ = ["ExpressionMixin"]

Node = Any

_BINARY = {
    "+": "js_add", "-": "js_sub", "*": "js_mul", "/": "js_div", "%": "js_mod", "**": "js_pow",
    "==": "js_loose_eq", "!=": "js_loose_ne", "===": "js_eq", "!==": "js_ne",
    "<": "js_lt", ">": "js_gt", "<=": "js_le", ">=": "js_ge",
    "&": "js_bitand", "|": "js_bitor", "^": "js_bitxor", "<<": "js_shl", ">>": "js_shr",
    ">>>": "js_ushr", "in": "js_in", "instanceof": "js_instanceof",
}
_BOOLEAN_OPS = frozenset({"==", "!=", "===", "!==", "<", ">", "<=", ">=", "in", "instanceof"})
_PROMISE_FUNCTIONS = frozenset({"agent", "parallel", "pipeline", "workflow"})


def _simple(node: Node) -> bool:
    return node.type in ("Identifier", "Literal", "ThisExpression") and not getattr(
        node, "regex", None)


class ExpressionMixin(Base):
    def expr(self, node: Node) -> str:
        method = getattr(self, "visit_" + node.type, None)
        if method is None:
            self.error(node, f"{node.type} is not supported")
        result: str = method(node)
        return result

    def is_bool(self, node: Node) -> bool:
        if node.type == "BinaryExpression":
            return bool(node.operator in _BOOLEAN_OPS)
        if node.type == "UnaryExpression":
            return bool(node.operator == "!")
        if node.type == "Literal":
            return isinstance(node.value, bool)
        if node.type == "LogicalExpression" and node.operator in ("&&", "||"):
            return self.is_bool(node.left) and self.is_bool(node.right)
        return False

    def cond(self, node: Node) -> str:
        """``node`` as a Python condition (JS truthiness)."""
        text = self.expr(node)
        if self.is_bool(node):
            return text
        return f"{self.use('js_truthy')}({text})"

    # -- primaries ---------------------------------------------------------------------------

    def visit_Identifier(self, node: Node) -> str:
        binding = self.analysis.refs.get(id(node))
        if binding is not None:
            return binding.py
        return self.global_name(node)

    def global_name(self, node: Node) -> str:
        name = node.name
        if name == "undefined":
            return self.use("undefined")
        if name in DSL_NAMES or name == "meta":
            return str(name)
        if name in JSRT_GLOBALS:
            return self.use(name)
        if name == "arguments":
            self.error(node, "`arguments` is not supported: use a rest parameter (...args)")
        return f"{self.use('js_undeclared')}({name!r})"

    def visit_Literal(self, node: Node) -> str:
        regex = getattr(node, "regex", None)
        if regex is not None:
            return f"{self.use('js_regexp')}({regex.pattern!r}, {regex.flags!r})"
        value = node.value
        if value is None or isinstance(value, bool | str):
            return repr(value)
        if isinstance(value, int | float):
            return _number(value, self)
        self.error(node, "this literal is not supported")

    def visit_TemplateLiteral(self, node: Node) -> str:
        parts: list[str] = []
        for i, quasi in enumerate(node.quasis):
            if quasi.value.cooked:
                parts.append(repr(quasi.value.cooked))
            if i < len(node.expressions):
                parts.append(f"{self.use('js_str')}({self.expr(node.expressions[i])})")
        if not parts:
            return "''"
        if len(parts) == 1:
            return parts[0]
        return "(" + " + ".join(parts) + ")"

    def visit_TaggedTemplateExpression(self, node: Node) -> str:
        self.error(node, "tagged templates are not supported")

    def visit_ThisExpression(self, node: Node) -> str:
        # ``this`` is the receiver of a method call (js_call passes it); elsewhere undefined.
        return "js_this" if self.this_bound else self.use("undefined")

    def visit_Super(self, node: Node) -> str:
        self.error(node, "classes (`super`) are not supported")

    def visit_ArrayExpression(self, node: Node) -> str:
        items = []
        for element in node.elements:
            if element is None:
                items.append(self.use("undefined"))
            elif element.type == "SpreadElement":
                items.append(f"*{self.use('js_spread')}({self.expr(element.argument)})")
            else:
                items.append(self.expr(element))
        return "[" + ", ".join(items) + "]"

    def property_key(self, prop: Node) -> str:
        key = prop.key
        if prop.computed:
            return f"{self.use('js_str')}({self.expr(key)})"
        if key.type == "Identifier":
            return repr(key.name)
        return repr(to_string(key.value))

    def visit_ObjectExpression(self, node: Node) -> str:
        items = []
        for prop in node.properties:
            if prop.type == "SpreadElement":
                items.append(f"**{self.use('js_spread_object')}({self.expr(prop.argument)})")
                continue
            if prop.kind != "init":
                self.error(prop, f"getters and setters (`{prop.kind}`) are not supported")
            items.append(f"{self.property_key(prop)}: {self.expr(prop.value)}")
        return "{" + ", ".join(items) + "}"

    def visit_SequenceExpression(self, node: Node) -> str:
        return f"{self.use('js_last')}({', '.join(self.expr(e) for e in node.expressions)})"

    # -- operators ---------------------------------------------------------------------------

    def visit_UnaryExpression(self, node: Node) -> str:
        op, arg = node.operator, node.argument
        if op == "!":
            return f"(not {self.cond(arg)})"
        if op == "-" and arg.type == "Literal" and type(arg.value) in (int, float):
            return _number(-arg.value if arg.value else -0.0, self)
        if op == "typeof":
            if arg.type == "Identifier" and self.analysis.refs.get(id(arg)) is None and (
                    arg.name not in JSRT_GLOBALS and arg.name not in DSL_NAMES
                    and arg.name != "meta"):
                return "'undefined'"
            return f"{self.use('js_typeof')}({self.expr(arg)})"
        if op == "delete":
            if arg.type != "MemberExpression":
                return "True"
            obj, key = self.member_parts(arg, [])
            return f"{self.use('js_delete')}({obj}, {key})"
        helper = {"-": "js_neg", "+": "js_pos", "~": "js_bitnot", "void": "js_void"}[op]
        return f"{self.use(helper)}({self.expr(arg)})"

    def visit_BinaryExpression(self, node: Node) -> str:
        helper = self.use(_BINARY[node.operator])
        return f"{helper}({self.expr(node.left)}, {self.expr(node.right)})"

    def visit_LogicalExpression(self, node: Node) -> str:
        op = node.operator
        if op != "??" and self.is_bool(node.left) and self.is_bool(node.right):
            word = "and" if op == "&&" else "or"
            return f"({self.expr(node.left)} {word} {self.expr(node.right)})"
        left = self.expr(node.left)
        if _simple(node.left):
            first, again = left, left
        else:
            again = self.temp()
            first = f"({again} := {left})"
        right = self.expr(node.right)
        if op == "??":
            return f"({right} if {self.use('js_isnullish')}({first}) else {again})"
        test = first if self.is_bool(node.left) else f"{self.use('js_truthy')}({first})"
        if op == "&&":
            return f"({right} if {test} else {again})"
        return f"({again} if {test} else {right})"

    def visit_ConditionalExpression(self, node: Node) -> str:
        test = self.cond(node.test)
        return f"({self.expr(node.consequent)} if {test} else {self.expr(node.alternate)})"

    # -- members, calls, chains -------------------------------------------------------------

    def member_key(self, node: Node) -> str:
        if not node.computed:
            return repr(node.property.name)
        prop = node.property
        if prop.type == "Literal" and isinstance(prop.value, str):
            return repr(prop.value)
        return self.expr(prop)

    def guard(self, text: str, node: Node, guards: list[str]) -> str:
        if _simple(node):
            guards.append(f"{self.use('js_isnullish')}({text})")
            return text
        name = self.temp()
        guards.append(f"{self.use('js_isnullish')}({name} := {text})")
        return name

    def member_parts(self, node: Node, guards: list[str]) -> tuple[str, str]:
        obj = self.chain_part(node.object, guards)
        if node.optional:
            obj = self.guard(obj, node.object, guards)
        return obj, self.member_key(node)

    def chain_part(self, node: Node, guards: list[str]) -> str:
        if node.type == "MemberExpression":
            if node.object.type == "Super":
                self.error(node, "classes (`super`) are not supported")
            obj, key = self.member_parts(node, guards)
            return f"{self.use('js_get')}({obj}, {key})"
        if node.type == "CallExpression":
            return self.call(node, guards)
        return self.expr(node)

    def arguments(self, args: list[Node]) -> str:
        out = []
        for arg in args:
            if arg.type == "SpreadElement":
                out.append(f"*{self.use('js_spread')}({self.expr(arg.argument)})")
            else:
                out.append(self.expr(arg))
        return ", ".join(out)

    def call(self, node: Node, guards: list[str]) -> str:
        callee = node.callee
        self.check_callee(callee)
        if callee.type == "MemberExpression" and not node.optional:
            obj, key = self.member_parts(callee, guards)
            args = self.arguments(node.arguments)
            return f"{self.use('js_call')}({obj}, {key}{', ' + args if args else ''})"
        fn = self.chain_part(callee, guards)
        if node.optional:
            fn = self.guard(fn, callee, guards)
        if callee.type not in ("Identifier", "MemberExpression", "CallExpression"):
            fn = f"({fn})"
        return f"{fn}({self.arguments(node.arguments)})"

    def check_callee(self, callee: Node) -> None:
        if callee.type == "Import":
            self.error(callee, "`import()` is not supported: use workflow() to run another "
                               "workflow")
        if callee.type == "Identifier" and self.analysis.refs.get(id(callee)) is None:
            if callee.name == "require":
                self.error(callee, "`require()` is not supported: a workflow cannot load "
                                   "modules (agents do the I/O)")
            if callee.name in ("eval", "Function"):
                self.error(callee, f"`{callee.name}()` is not supported: workflows cannot run "
                                   "generated code")

    def visit_ImportExpression(self, node: Node) -> str:
        self.error(node, "`import()` is not supported: use workflow() to run another workflow")

    def visit_MemberExpression(self, node: Node) -> str:
        return self.chain_part(node, [])

    def visit_CallExpression(self, node: Node) -> str:
        return self.call(node, [])

    def visit_ChainExpression(self, node: Node) -> str:
        inner = node.expression
        if inner.type == "MemberExpression" and inner.optional and not _has_optional(inner.object):
            helper = self.use("js_optget")
            return f"{helper}({self.chain_part(inner.object, [])}, {self.member_key(inner)})"
        guards: list[str] = []
        body = self.chain_part(node.expression, guards)
        if not guards:
            return body
        return f"({self.use('undefined')} if {' or '.join(guards)} else {body})"

    def visit_NewExpression(self, node: Node) -> str:
        callee = node.callee
        if callee.type == "Identifier" and callee.name == "Function":
            self.error(callee, "`new Function()` is not supported: workflows cannot run "
                               "generated code")
        args = self.arguments(node.arguments)
        return f"{self.use('js_new')}({self.expr(callee)}{', ' + args if args else ''})"

    def visit_AwaitExpression(self, node: Node) -> str:
        arg = node.argument
        if (arg.type == "CallExpression" and arg.callee.type == "Identifier"
                and arg.callee.name in _PROMISE_FUNCTIONS
                and self.analysis.refs.get(id(arg.callee)) is None):
            return f"(await {self.expr(arg)})"
        return f"(await {self.use('js_await')}({self.expr(arg)}))"

    def visit_YieldExpression(self, node: Node) -> str:
        self.error(node, "generators (`yield`) are not supported")

    def visit_ClassExpression(self, node: Node) -> str:
        self.error(node, "classes are not supported: use plain objects and functions")

    def visit_MetaProperty(self, node: Node) -> str:
        self.error(node, f"`{node.meta.name}.{node.property.name}` is not supported")

    # -- assignment --------------------------------------------------------------------------

    def visit_AssignmentExpression(self, node: Node) -> str:
        target, op = node.left, node.operator
        if target.type in ("ObjectPattern", "ArrayPattern"):
            self.error(node, "destructuring assignment inside an expression is not supported: "
                             "write it as its own statement")
        if op in ("&&=", "||=", "??="):
            return self.logical_assign(node)
        value = self.expr(node.right)
        if target.type == "Identifier":
            name = self.target_name(target)
            if op != "=":
                value = f"{self.use(_BINARY[op[:-1]])}({name}, {value})"
            return f"({name} := {value})"
        obj, key = self.assign_parts(target)
        if op != "=":
            obj, key, read = self.reread(obj, key)
            value = f"{self.use(_BINARY[op[:-1]])}({read}, {value})"
        return f"{self.use('js_set')}({obj}, {key}, {value})"

    def target_name(self, target: Node) -> str:
        binding = self.analysis.refs.get(id(target))
        if binding is None:
            if target.name in DSL_NAMES:
                return str(target.name)
            self.error(target, f"assignment to undeclared variable `{target.name}`: declare it "
                               "with let or const")
        return binding.py

    def assign_parts(self, target: Node) -> tuple[str, str]:
        if target.type != "MemberExpression":
            self.error(target, "invalid assignment target")
        return self.member_parts(target, [])

    def reread(self, obj: str, key: str) -> tuple[str, str, str]:
        """(obj, key) for js_set plus a js_get of the same, each evaluated once."""
        if not obj.isidentifier():
            t = self.temp()
            obj, obj_ref = f"({t} := {obj})", t
        else:
            obj_ref = obj
        if not (key.isidentifier() or key.startswith(("'", '"')) or key.lstrip("-").isdigit()):
            t = self.temp()
            key, key_ref = f"({t} := {key})", t
        else:
            key_ref = key
        # The read happens inside js_set's third argument, after obj and key are bound.
        return obj, key, f"{self.use('js_get')}({obj_ref}, {key_ref})"

    def logical_assign(self, node: Node) -> str:
        target, op = node.left, node.operator
        value = self.expr(node.right)
        if target.type == "Identifier":
            name = self.target_name(target)
            current, assign = name, f"({name} := {value})"
        else:
            obj, key = self.assign_parts(target)
            t_obj, t_key = self.temp(), self.temp()
            current = f"{self.use('js_get')}(({t_obj} := {obj}), ({t_key} := {key}))"
            again = f"{self.use('js_get')}({t_obj}, {t_key})"
            assign = f"{self.use('js_set')}({t_obj}, {t_key}, {value})"
            if op == "??=":
                return f"({assign} if {self.use('js_isnullish')}({current}) else {again})"
            if op == "||=":
                return f"({again} if {self.use('js_truthy')}({current}) else {assign})"
            return f"({assign} if {self.use('js_truthy')}({current}) else {again})"
        if op == "??=":
            return f"({assign} if {self.use('js_isnullish')}({current}) else {current})"
        if op == "||=":
            return f"({current} if {self.use('js_truthy')}({current}) else {assign})"
        return f"({assign} if {self.use('js_truthy')}({current}) else {current})"

    def visit_UpdateExpression(self, node: Node) -> str:
        helper = self.use("js_inc" if node.operator == "++" else "js_dec")
        target = node.argument
        if target.type == "Identifier":
            name = self.target_name(target)
            if node.prefix:
                return f"({name} := {helper}({name}))"
            old = f"{self.use('js_pos')}({name})"
            return f"{self.use('js_first')}({old}, ({name} := {helper}({name})))"
        obj, key = self.assign_parts(target)
        t_obj, t_key = self.temp(), self.temp()
        read = f"{self.use('js_get')}({t_obj}, {t_key})"
        bind = f"{self.use('js_get')}(({t_obj} := {obj}), ({t_key} := {key}))"
        if node.prefix:
            return (f"{self.use('js_last')}({bind}, "
                    f"{self.use('js_set')}({t_obj}, {t_key}, {helper}({read})))")
        return (f"{self.use('js_first')}({self.use('js_pos')}({bind}), "
                f"{self.use('js_set')}({t_obj}, {t_key}, {helper}({read})))")

    # -- functions as values --------------------------------------------------------------

    def visit_ArrowFunctionExpression(self, node: Node) -> str:
        return self.function_value(node)

    def visit_FunctionExpression(self, node: Node) -> str:
        return self.function_value(node)


def _has_optional(node: Node) -> bool:
    while node.type in ("MemberExpression", "CallExpression"):
        if node.optional:
            return True
        node = node.object if node.type == "MemberExpression" else node.callee
    return False


def _number(value: float, base: Base) -> str:
    if isinstance(value, float):
        if value != value:
            return base.use("NaN")
        if value in (float("inf"), float("-inf")):
            return base.use("Infinity") if value > 0 else f"(-{base.use('Infinity')})"
        if value.is_integer() and abs(value) <= 2**53 and (value or str(value)[0] != "-"):
            return str(int(value))
        return repr(value)
    if abs(value) > 2**53:
        return repr(float(value))
    return str(value)

