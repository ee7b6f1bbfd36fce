"""The compile step's fast tree walks equal the ``ast`` functions they replace, and the
collector pause nests and restores the collector's state."""

from __future__ import annotations

import ast
import copy
import gc
from pathlib import Path

import pytest

from flowdsl._sandbox import collector_paused
from flowdsl._sandbox._ast_walk import bound_names, locate_new, transform_children

ROOT = Path(__file__).resolve().parents[2]
BINDINGS = """
import os.path as p, json
from re import compile as rc
def f(a, /, b=1, *c, d, **e):
    global g
    (w := 2)
    del h
    for i, (j, k) in []: pass
    with x as (l, m): pass
    try: pass
    except E as n: pass
    lam = lambda q: [r for r in q]
    class K: s = 1
    t: int
    u[0] = v.attr = 1
"""


def _sources() -> list[str]:
    files = sorted([*ROOT.glob("examples/*.flow.py"), *ROOT.glob("flowdsl/workflows/*.flow.py")])
    return [BINDINGS, *(path.read_text(encoding="utf-8") for path in files)]


def _names_by_ast_walk(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).partition(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


@pytest.mark.parametrize("source", _sources())
def test_bound_names_are_what_ast_walk_finds(source: str) -> None:
    tree = ast.parse(source)
    assert bound_names(tree) == _names_by_ast_walk(tree)


class _Renamer(ast.NodeTransformer):
    """Replaces names, drops `pass`, splits `del` into two statements."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Name(node.id + "_", node.ctx)

    def visit_Pass(self, node: ast.Pass) -> None:
        return None

    def visit_Delete(self, node: ast.Delete) -> list[ast.AST]:
        return [node, ast.Expr(ast.Constant(0))]


class _FastRenamer(_Renamer):
    def generic_visit(self, node: ast.AST) -> ast.AST:
        return transform_children(self.visit, node)


@pytest.mark.parametrize("source", _sources())
def test_transform_children_is_generic_visit(source: str) -> None:
    expected = _Renamer().visit(ast.parse(source))
    assert ast.dump(_FastRenamer().visit(ast.parse(source))) == ast.dump(expected)


def _wrappings(tree: ast.Module) -> list[tuple[ast.AST, ast.AST]]:
    """New nodes built around nodes of ``tree``, as the transformer builds them."""
    out: list[tuple[ast.AST, ast.AST]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.expr) and not isinstance(node, ast.Name | ast.Constant):
            call = ast.Call(ast.Name("_g_", ast.Load()), [node, ast.Constant("k")], [])
            out.append((ast.BoolOp(ast.Or(), [call, ast.Constant(True)]), node))
        elif isinstance(node, ast.stmt):
            out.append((ast.Expr(ast.Call(ast.Name("_tick_", ast.Load()), [], [])), node))
    return out


@pytest.mark.parametrize("source", _sources())
def test_locate_new_is_copy_location_and_fix_missing_locations(source: str) -> None:
    tree = ast.parse(source)
    for new, old in _wrappings(tree):
        expected = copy.deepcopy(new)
        ast.fix_missing_locations(ast.copy_location(expected, old))
        located = locate_new(new, old)
        assert ast.dump(located, include_attributes=True) == ast.dump(
            expected, include_attributes=True)


def test_collector_pauses_nest_and_restore_the_collector() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
