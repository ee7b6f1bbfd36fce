"""The cyclic garbage collector, paused while a script compiles.

A cold compile builds hundreds of thousands of objects (esprima's tokens and tree, the
Python form's ``ast`` tree, the transformer's nodes), most of them freed by reference
counting as soon as the step ends. While they live they push the collector's counters
past its thresholds, and a full collection then walks every object of the process, the
compile's own and everything imported or cached before it: measured on the 1,500-line
benchmark script (``benchmarks/bench_js_compile.py``), a full collection in most
compiles, 0.1 to 0.3 s of a 2-core machine under load, growing with the heap. None of
those objects is garbage when it runs.

:func:`collector_paused` switches the collector off for one compile step and back on
afterwards (if it was on). Pauses nest and may overlap across threads: the collector
comes back on when the last one ends. Cyclic garbage made meanwhile is collected by the
next collection after the pause, so nothing is lost, only moved past the compile.
"""

from __future__ import annotations

import _thread
import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

class _Pauses:
    """How many pauses are running, and whether the collector was on before the first."""

    lock = _thread.allocate_lock()  # threading itself costs ~3.5 ms of start-up
    running = 0
    collector_was_on = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the body with the cyclic garbage collector off (see the module docs)."""
    with _Pauses.lock:
        if _Pauses.running == 0:
            _Pauses.collector_was_on = gc.isenabled()
            gc.disable()
        _Pauses.running += 1
    try:
        yield
    finally:
        with _Pauses.lock:
            _Pauses.running -= 1
            if _Pauses.running == 0 and _Pauses.collector_was_on:
                gc.enable()
