"""SandboxPolicy: a frozen value; builders return new policies; policies coexist."""

from __future__ import annotations

import math

import pytest

from flowdsl._sandbox import SandboxPolicy
from flowdsl.errors import SandboxViolation

from .conftest import Stubs, compile_snippet, run_compiled, run_snippet


class Point:
    """A library value that one policy lets scripts read and the other does not."""

    def __init__(self) -> None:
        self.x = 3


class OptedIn:
    __sandbox_attrs__ = frozenset({"visible"})

    def __init__(self) -> None:
        self.visible = "yes"


DEFAULT = SandboxPolicy.default()


def _stubs(value: object) -> Stubs:
    stubs = Stubs()
    stubs.args = value
    return stubs


def test_default_is_one_shared_value() -> None:
    assert SandboxPolicy.default() is DEFAULT


def test_builders_return_new_policies_and_leave_the_original_alone() -> None:
    wider = DEFAULT.with_attributes(Point, frozenset({"x"}))
    assert wider is not DEFAULT
    assert Point in wider.attributes
    assert Point not in DEFAULT.attributes
    with pytest.raises(TypeError):
        DEFAULT.attributes[Point] = frozenset({"x"})  # type: ignore[index]


def test_a_policy_keeps_its_own_copy_of_the_tables_it_was_given() -> None:
    modules = {"extra": {"tau": math.tau}}
    policy = DEFAULT.with_module("extra", modules["extra"])
    modules["extra"]["pi"] = math.pi
    assert policy.member_names("extra") == frozenset({"tau"})


def test_two_policies_coexist_and_each_sees_only_its_own_allow_list() -> None:
    with_module = DEFAULT.with_module("extra", {"tau": math.tau})
    with_attribute = DEFAULT.with_attributes(Point, frozenset({"x"}))
    read_x = "return args.x"
    imports = "import extra\nreturn extra.tau"

    assert run_snippet(imports, policy=with_module) == math.tau
    assert run_snippet(read_x, stubs=_stubs(Point()), policy=with_attribute) == 3
    for policy in (with_attribute, DEFAULT):
        with pytest.raises(SandboxViolation, match="`extra` is not available"):
            compile_snippet(imports, policy=policy)
    for policy in (with_module, DEFAULT):
        with pytest.raises(SandboxViolation, match=r"`\.x` is not available on `Point`"):
            run_snippet(read_x, stubs=_stubs(Point()), policy=policy)


def test_code_run_under_another_policy_gets_that_policys_guards() -> None:
    compiled = compile_snippet("return args.x")
    wider = DEFAULT.with_attributes(Point, frozenset({"x"}))
    assert run_compiled(compiled, stubs=_stubs(Point()), policy=wider) == 3
    with pytest.raises(SandboxViolation):
        run_compiled(compiled, stubs=_stubs(Point()), policy=DEFAULT)


def test_opting_in_is_cached_per_policy_never_in_a_shared_table() -> None:
    other = DEFAULT.with_builtins({})
    assert run_snippet("return args.visible", stubs=_stubs(OptedIn()), policy=other) == "yes"
    assert OptedIn not in DEFAULT.attributes
    assert OptedIn not in other.attributes
    assert other.guards.guarded_getattr(OptedIn(), "visible") == "yes"


def test_a_policy_builtin_may_shadow_a_refused_name() -> None:
    assert run_snippet("return hash('x')", policy=DEFAULT.with_builtins({"hash": len})) == 1
    with pytest.raises(SandboxViolation, match="`hash` is not available"):
        compile_snippet("return hash('x')")


def test_class_attributes_can_be_added() -> None:
    policy = DEFAULT.with_class_attributes(int, frozenset({"from_bytes"}))
    assert run_snippet("return int.from_bytes([1, 0], 'big')", policy=policy) == 256
    with pytest.raises(SandboxViolation, match=r"`\.from_bytes` is not available"):
        run_snippet("return int.from_bytes")
