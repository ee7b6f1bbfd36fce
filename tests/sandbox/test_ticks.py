"""Loop ticks: CPU-bound script code reaches the run's deadline and cannot swallow it."""

from __future__ import annotations

import time

import pytest

from flowdsl.errors import SandboxViolation

from .conftest import CountingTick, Stop, run_snippet


class DeadlineTick:
    """The runtime's tick in miniature: raises once the wall-clock deadline has passed."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def __call__(self) -> None:
        if time.monotonic() > self.deadline:
            raise Stop


def _stops(snippet: str, limit: int = 1000) -> CountingTick:
    tick = CountingTick(limit=limit)
    with pytest.raises(Stop):
        run_snippet(snippet, tick=tick)
    return tick


def test_while_true_stops_at_the_wall_clock_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(Stop):
        run_snippet("while True:\n    pass", tick=DeadlineTick(0.05))
    assert 0.05 <= time.monotonic() - started < 2.0


def test_a_billion_element_comprehension_stops() -> None:
    started = time.monotonic()
    with pytest.raises(Stop):
        run_snippet("return [x * 2 for x in range(10**9)]", tick=DeadlineTick(0.05))
    assert time.monotonic() - started < 2.0


def test_every_level_of_a_nested_comprehension_ticks() -> None:
    tick = CountingTick()
    run_snippet("return sum(1 for a in range(10) for b in range(10))", tick=tick)
    assert tick.calls == 10 + 100


def test_for_loop_ticks_once_per_iteration() -> None:
    tick = CountingTick()
    run_snippet("for i in range(7):\n    pass", tick=tick)
    assert tick.calls == 7


def test_bare_except_inside_the_loop_cannot_swallow_the_stop() -> None:
    snippet = (
        "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass"
    )
    _stops(snippet)


def test_except_exception_cannot_swallow_the_stop() -> None:
    _stops(
        "while True:\n    try:\n        for i in range(10**6):\n            pass\n"
        "    except Exception:\n        pass"
    )


def test_an_invalid_except_class_does_not_turn_the_stop_into_an_error() -> None:
    snippet = (
        "while True:\n    try:\n        try:\n            while True:\n                pass\n"
        "        except 42:\n            pass\n    except Exception:\n        pass"
    )
    _stops(snippet)


def test_an_invalid_except_class_is_a_violation_for_ordinary_errors() -> None:
    with pytest.raises(SandboxViolation, match="`except` accepts only Exception"):
        run_snippet("try:\n    1 / 0\nexcept (ValueError, 42):\n    pass")


def test_a_loop_in_finally_still_stops() -> None:
    _stops("try:\n    while True:\n        pass\nfinally:\n    while True:\n        pass")


def test_recursion_without_loops_ticks_at_function_entry() -> None:
    _stops("def f(n):\n    return 0 if n == 0 else f(n - 1) + f(n - 1)\nreturn f(200)")


def test_lambdas_tick() -> None:
    tick = CountingTick()
    run_snippet("f = lambda x: x + 1\nreturn f(f(1))", tick=tick)
    assert tick.calls == 2


def test_infinite_itertools_stop() -> None:
    _stops("import itertools\nreturn sum(itertools.count())")
    _stops("import itertools\nreturn max(itertools.repeat(1))")
    _stops("import itertools\nreturn sum(1 for _ in itertools.product(range(10), repeat=30))")


def test_huge_range_consumed_in_c_stops() -> None:
    _stops("return sum(range(10**15))")


def test_two_argument_iter_stops() -> None:
    _stops("return list(iter(lambda: 1, 2))")


def test_small_ranges_stay_native() -> None:
    assert run_snippet("return [repr(range(10)), repr(range(10)[2:4])]") == [
        "range(0, 10)",
        "range(2, 4)",
    ]


def test_huge_range_keeps_range_behaviour() -> None:
    snippet = (
        "r = range(10**12)\n"
        "return [len(r), r[5], 7 in r, r.index(9), repr(r[10:20]), list(r[3:6]), r.stop]"
    )
    assert run_snippet(snippet) == [10**12, 5, True, 9, "range(10, 20)", [3, 4, 5], 10**12]
