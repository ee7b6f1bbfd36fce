"""The compile-time rewrite: RestrictedPython's transformer, adapted to workflows.

What it changes relative to :class:`RestrictingNodeTransformer`:

- allows ``async def``, ``await``, ``async for``, ``async with``, ``nonlocal``,
  annotated assignment (the annotation is dropped, as a function body would ignore it)
  and augmented assignment of items (``d[k] += 1``, kept native: the interpreter
  evaluates the container and the key once);
- inserts a ``_tick_()`` call at the top of every loop body, every function body
  (recursion is a loop too) and as the first condition of every comprehension
  clause, so the run's deadline and stop request reach CPU-bound script code;
- rewrites ``a * b``, ``a ** b``, ``a << b`` and their augmented forms to the size
  guards of ``_size_caps`` (``_mul_``, ``_imul_``, ``_pow_``, ``_lshift_``), so one
  operation cannot build a huge int or sequence where no tick reaches; operations on
  two small constants stay native (the compiler folds them). ``c[k] *= v`` goes
  through hidden temporaries so the container and key are still evaluated once;
- keeps item reads, iteration, unpacking and ``*args`` calls native: every object a
  script can reach is a plain value or an allow-listed callable, so only attribute
  reads (``_getattr_``), item writes (``_write_``) and ``except`` classes (``_exc_``)
  need a run-time guard;
- rewrites a bare ``except:`` to ``except Exception:`` and passes every ``except``
  class through ``_exc_``, so no handler can catch the run's stop signal (a
  ``BaseException``);
- refuses attribute writes, classes, ``global``, top-level ``yield``, ``return`` /
  ``break`` / ``continue`` inside ``finally`` (they would swallow the stop signal; see
  PEP 765), imports outside the allow-list, and names that do not exist for
  scripts (``open``, ``eval``, ``type``, ...), each with a hint on what to do instead.

Errors are collected as ``(line, col_offset, message)``; the compile step reports the
first one as a :class:`~flowdsl.errors.SandboxViolation`.

Over 400 lines on purpose: one transformer whose ``visit_X`` methods together are the
compile-time policy; split up, it would be read in pieces.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer

from ..errors import SandboxViolation
from ._ast_walk import bound_names, locate_new, transform_children
from ._modules import check_import
from ._size_caps import safe_constant_operation

if TYPE_CHECKING:
    from ._policy import SandboxPolicy

__all__ = ["UNAVAILABLE_NAMES", "FlowTransformer", "Violation"]

Violation = tuple[int, int, str]

_NO_INTROSPECTION = "introspection is not available in workflows"
_NO_CODE = "workflows cannot run generated code"
_ONLY_EXCEPTION = "workflows catch and raise only Exception and its subclasses"
UNAVAILABLE_NAMES: dict[str, str] = {
    "open": "workflows do no I/O: ask an agent to read files, or pass the contents in `args`",
    "input": "workflows run unattended: pass the values in `args`",
    "eval": _NO_CODE,
    "exec": _NO_CODE,
    "compile": _NO_CODE,
    "type": "use isinstance(x, (int, float)) to test a value's type",
    "globals": _NO_INTROSPECTION,
    "locals": _NO_INTROSPECTION,
    "vars": _NO_INTROSPECTION,
    "dir": _NO_INTROSPECTION,
    "id": _NO_INTROSPECTION,
    "help": _NO_INTROSPECTION,
    "memoryview": _NO_INTROSPECTION,
    "object": "use dicts and functions",
    "super": "classes are not available in workflows: use dicts and functions",
    "classmethod": "classes are not available in workflows: use dicts and functions",
    "staticmethod": "classes are not available in workflows: use dicts and functions",
    "property": "classes are not available in workflows: use dicts and functions",
    "setattr": "attributes cannot be assigned in workflows: use a dict",
    "delattr": "attributes cannot be deleted in workflows: use a dict",
    "hash": "hash() differs between runs, so a replayed run could diverge",
    "breakpoint": "workflows run unattended: use log(...) to trace",
    "exit": "use `return` to end the workflow",
    "quit": "use `return` to end the workflow",
    "BaseException": _ONLY_EXCEPTION,
    "SystemExit": _ONLY_EXCEPTION,
    "KeyboardInterrupt": _ONLY_EXCEPTION,
    "GeneratorExit": _ONLY_EXCEPTION,
    "ExceptionGroup": _ONLY_EXCEPTION,
    "BaseExceptionGroup": _ONLY_EXCEPTION,
}
"""Python builtins a script does not have, and what to do instead (for messages only:
the builtins allow-list is what makes them absent)."""

_NOT_ALLOWED: dict[type[ast.AST], str] = {
    ast.ClassDef: "classes are not available in workflows: use dicts and functions",
    ast.Match: "`match` statements are not available in workflows: use if/elif",
    ast.TryStar: "`except*` is not available in workflows: use `except`",
    ast.Global: (
        "`global` is not available in workflows: top-level variables belong to the "
        "workflow's function, so use `nonlocal` in nested functions (or a dict)"
    ),
}

Scope = Literal["function", "loop", "finally"]
_Node = TypeVar("_Node", bound=ast.AST)


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


class FlowTransformer(RestrictingNodeTransformer):
    """RestrictedPython's transformer, subclassed for async workflows (see the module
    docs); imports and builtins are checked against ``policy``."""

    def __init__(self, tree: ast.Module, *, policy: SandboxPolicy) -> None:
        super().__init__()
        self.violations: list[Violation] = []
        self.policy = policy
        self._bound = bound_names(tree)
        self._scopes: list[Scope] = []
        self._visitors: dict[type[ast.AST], Callable[[ast.AST], Any]] = {}

    # -- traversal (what ast.NodeTransformer does, without its per-node generators) ------

    def visit(self, node: ast.AST) -> Any:
        visitor = self._visitors.get(type(node))
        if visitor is None:
            name = "visit_" + type(node).__name__
            visitor = self._visitors[type(node)] = getattr(self, name, self.generic_visit)
        return visitor(node)

    def node_contents_visit(self, node: _Node) -> _Node:
        return transform_children(self.visit, node)

    # -- errors ---------------------------------------------------------------------

    def error(self, node: ast.AST, info: str) -> None:
        super().error(node, info)
        self.violations.append((getattr(node, "lineno", 1), getattr(node, "col_offset", 0), info))

    def not_allowed(self, node: ast.AST) -> None:
        name = type(node).__name__
        self.error(node, _NOT_ALLOWED.get(type(node), f"`{name}` is not available in workflows"))

    def generic_visit(self, node: ast.AST) -> ast.AST | None:  # type: ignore[override]
        # RestrictedPython also warns here; the error alone says it all.
        self.not_allowed(node)
        return None

    @contextmanager
    def _scope(self, kind: Scope) -> Iterator[None]:
        self._scopes.append(kind)
        try:
            yield
        finally:
            self._scopes.pop()

    def _in_finally(self, stop_at: tuple[Scope, ...]) -> bool:
        for scope in reversed(self._scopes):
            if scope == "finally":
                return True
            if scope in stop_at:
                return False
        return False

    # -- names ----------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> ast.AST:
        # No print collector: ``print`` is a builtin that writes through log().
        if isinstance(node.ctx, ast.Load):
            hint = UNAVAILABLE_NAMES.get(node.id)
            shadowed = node.id in self._bound or node.id in self.policy.builtins
            if hint is not None and not shadowed:
                self.error(node, f"`{node.id}` is not available in workflows: {hint}")
            if node.id == "print":
                return node
        self.check_name(node, node.id)
        return node

    def check_name(
        self, node: ast.AST, name: str | None, allow_magic_methods: bool = False
    ) -> None:
        if name is not None and name.startswith("_") and name != "_":
            self.error(
                node,
                f"`{name}` is not available in workflows: names starting with "
                "`_` are reserved for the sandbox",
            )
            return
        super().check_name(node, name, allow_magic_methods=False)  # type: ignore[arg-type]

    def visit_Global(self, node: ast.Global) -> None:
        self.not_allowed(node)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> ast.AST:
        for name in node.names:
            self.check_name(node, name)
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.not_allowed(node)

    # -- attributes and items -------------------------------------------------------

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if not isinstance(node.ctx, ast.Load):
            verb = "deleted" if isinstance(node.ctx, ast.Del) else "assigned"
            self.error(
                node,
                f"attributes cannot be {verb} in workflows (`.{node.attr}`): "
                'use a dict and write `obj["key"] = value`',
            )
            return node
        # The value first: in `a.b.c` the innermost problem is the one to report.
        value = self.visit(node.value)
        if node.attr.startswith("_"):
            self.error(
                node,
                f"attribute `{node.attr}` is not available in workflows: "
                "names starting with `_` are private",
            )
        elif node.attr in INSPECT_ATTRIBUTES:
            self.error(
                node,
                f"attribute `{node.attr}` is not available in workflows: "
                "frames, code and tracebacks are out of reach",
            )
        return locate_new(_call("_getattr_", value, ast.Constant(node.attr)), node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        node = self.node_contents_visit(node)
        if not isinstance(node.ctx, ast.Load):
            node.value = locate_new(_call("_write_", node.value), node.value)
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        return self.node_contents_visit(node)

    # -- operators that can build huge values in one C call --------------------------

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        guard = _OPERATOR_GUARDS.get(type(node.op))
        if guard is None or _small_constants(node):
            return node
        return locate_new(_call(guard[0], node.left, node.right), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST | list[ast.stmt]:
        node = self.node_contents_visit(node)
        guard = _OPERATOR_GUARDS.get(type(node.op))
        if guard is None:
            return node  # `d[k] += 1` stays native: container and key evaluated once
        target = node.target
        if isinstance(target, ast.Name):
            load = ast.Name(target.id, ast.Load())
            return locate_new(ast.Assign([target], _call(guard[1], load, node.value)), node)
        if isinstance(target, ast.Subscript) and not isinstance(target.slice, ast.Slice):
            return _guarded_item_update(node, target, guard[1])
        self.error(
            node,
            "this augmented assignment is not available in workflows: "
            "write it out, e.g. `xs[a:b] = xs[a:b] * n`",
        )
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        # The annotation is never evaluated in a function body: drop it.
        if node.value is None:
            return locate_new(ast.Pass(), node)
        assign = ast.Assign(targets=[node.target], value=node.value)
        return self.visit(locate_new(assign, node))  # type: ignore[no-any-return]

    def visit_Call(self, node: ast.Call) -> ast.AST:
        return self.node_contents_visit(node)

    def visit_With(self, node: ast.With) -> ast.AST:
        return self.node_contents_visit(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> ast.AST:
        return self.node_contents_visit(node)

    def visit_Await(self, node: ast.Await) -> ast.AST:
        return self.node_contents_visit(node)

    # -- imports --------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> ast.AST:
        for alias in node.names:
            self._check_import(node, alias.name, None)
        return self.check_import_names(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        if node.level:
            self.error(node, "relative imports are not available in workflows")
        elif any(alias.name == "*" for alias in node.names):
            self.error(
                node,
                "`import *` is not available in workflows: import the names "
                "you use, or the module itself",
            )
            return node
        else:
            self._check_import(node, node.module or "", [alias.name for alias in node.names])
        return self.check_import_names(node)

    def _check_import(self, node: ast.stmt, module: str, names: list[str] | None) -> None:
        try:
            refusal = check_import(module, names, self.policy)
        except SandboxViolation as exc:  # a module factory failed (e.g. not installed)
            refusal = exc.message
        if refusal is not None:
            self.error(node, refusal)

    # -- ticks and loops ------------------------------------------------------------

    def _tick_statement(self, node: ast.AST) -> ast.stmt:
        return locate_new(ast.Expr(_call("_tick_")), node)

    def _visit_loop(self, node: ast.For | ast.AsyncFor | ast.While) -> ast.AST:
        if not isinstance(node, ast.While):
            node.target = self.visit(node.target)
            node.iter = self.visit(node.iter)
        else:
            node.test = self.visit(node.test)
        with self._scope("loop"):
            node.body = self._visit_body(node.body)
        node.orelse = self._visit_body(node.orelse)
        node.body.insert(0, self._tick_statement(node))
        return node

    def _visit_body(self, body: list[ast.stmt]) -> list[ast.stmt]:
        result: list[ast.stmt] = []
        for statement in body:
            new = self.visit(statement)
            if new is None:
                continue
            result.extend(new if isinstance(new, list) else [new])
        return result

    def visit_For(self, node: ast.For) -> ast.AST:
        return self._visit_loop(node)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> ast.AST:
        return self._visit_loop(node)

    def visit_While(self, node: ast.While) -> ast.AST:
        return self._visit_loop(node)

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        node = self.node_contents_visit(node)
        # `_tick_() or True`: a condition that ticks and always holds.
        tick = ast.BoolOp(op=ast.Or(), values=[_call("_tick_"), ast.Constant(True)])
        node.ifs.insert(0, locate_new(tick, node.iter))
        return node

    def _refuse_in_finally(self, node: ast.stmt, keyword: str, stop_at: tuple[Scope, ...]) -> None:
        if self._in_finally(stop_at):
            self.error(
                node,
                f"`{keyword}` inside `finally` would swallow errors (PEP 765): "
                "move it after the try statement",
            )

    def visit_Break(self, node: ast.Break) -> ast.AST:
        self._refuse_in_finally(node, "break", ("loop", "function"))
        return node

    def visit_Continue(self, node: ast.Continue) -> ast.AST:
        self._refuse_in_finally(node, "continue", ("loop", "function"))
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST:
        self._refuse_in_finally(node, "return", ("function",))
        return self.node_contents_visit(node)

    # -- exceptions -----------------------------------------------------------------

    def visit_Try(self, node: ast.Try) -> ast.AST:
        node.body = self._visit_body(node.body)
        node.handlers = [self.visit(handler) for handler in node.handlers]
        node.orelse = self._visit_body(node.orelse)
        with self._scope("finally"):
            node.finalbody = self._visit_body(node.finalbody)
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        node = self.node_contents_visit(node)
        self.check_name(node, node.name)
        # A bare `except:` means `except Exception:`; every class goes through `_exc_`,
        # which refuses anything that could catch the run's stop signal.
        handler = node.type or locate_new(ast.Name("Exception", ast.Load()), node)
        node.type = locate_new(_call("_exc_", handler), handler)
        return node

    # -- functions ------------------------------------------------------------------

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        self.check_name(node, node.name)
        self.check_function_argument_names(node)
        _strip_annotations(node.args)
        node.returns = None
        node.decorator_list = [self.visit(item) for item in node.decorator_list]
        node.args = self.visit(node.args)
        with self._scope("function"):
            node.body = self._visit_body(node.body)
        node.body.insert(0, self._tick_statement(node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return self._visit_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        return self._visit_function(node)

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self.check_function_argument_names(node)
        node.args = self.visit(node.args)
        with self._scope("function"):
            body = self.visit(node.body)
        node.body = locate_new(ast.BoolOp(op=ast.Or(), values=[_call("_tick_"), body]), body)
        return node

    def visit_Yield(self, node: ast.Yield) -> ast.AST:
        return self._visit_yield(node)

    def visit_YieldFrom(self, node: ast.YieldFrom) -> ast.AST:
        return self._visit_yield(node)

    def _visit_yield(self, node: ast.Yield | ast.YieldFrom) -> ast.AST:
        if "function" not in self._scopes:
            self.error(
                node,
                "`yield` is only available inside a `def`: the workflow "
                "itself returns its result with `return`",
            )
        return self.node_contents_visit(node)


_OPERATOR_GUARDS: dict[type[ast.operator], tuple[str, str]] = {
    ast.Mult: ("_mul_", "_imul_"),
    ast.Pow: ("_pow_", "_pow_"),
    ast.LShift: ("_lshift_", "_lshift_"),
}
"""Operators whose result size is checked at run time: (binary guard, in-place guard)."""

_OPERATOR_SYMBOLS: dict[type[ast.operator], str] = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<"}


def _small_constants(node: ast.BinOp) -> bool:
    """``60 * 60``, ``2 ** 10``, ``"-" * 40``: constants the compiler folds, kept native."""
    left, right = node.left, node.right
    if not (isinstance(left, ast.Constant) and isinstance(right, ast.Constant)):
        return False
    return safe_constant_operation(_OPERATOR_SYMBOLS[type(node.op)], left.value, right.value)


def _guarded_item_update(node: ast.AugAssign, target: ast.Subscript, guard: str) -> list[ast.stmt]:
    """``c[k] *= v`` -> ``_aug_c_, _aug_k_ = c, k; _aug_c_[_aug_k_] = guard(_aug_c_[_aug_k_], v)``.

    The temporaries keep Python's order and evaluate the container and key once;
    ``target.value`` already went through ``_write_``.
    """
    names = ast.Tuple(
        [ast.Name("_aug_c_", ast.Store()), ast.Name("_aug_k_", ast.Store())], ast.Store()
    )
    bind = ast.Assign([names], ast.Tuple([target.value, target.slice], ast.Load()))

    def item(ctx: ast.expr_context) -> ast.Subscript:
        return ast.Subscript(ast.Name("_aug_c_", ast.Load()), ast.Name("_aug_k_", ast.Load()), ctx)

    update = ast.Assign([item(ast.Store())], _call(guard, item(ast.Load()), node.value))
    return [locate_new(bind, node), locate_new(update, node)]


def _strip_annotations(args: ast.arguments) -> None:
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if arg is not None:
            arg.annotation = None
