"""The sandbox: compiles Python-form workflows and builds the namespace they run in.

Layout (modelled on temporal's ``worker/workflow_sandbox``)::

    _compile.py   compile_python(): parse, meta, policy, wrap in ``async def``, compile, cache
    _meta.py      the leading ``meta = {...}`` literal, read with ``ast`` only
    _policy.py    the RestrictedPython transformer subclass: ticks, async, refusals
    _guards.py    run-time guards: the per-type attribute allow-list, item writes,
                  ``except`` classes, the safe ``str.format``
    _modules.py   the import allow-list and its module proxies
    _builtins.py  the builtins allow-list and script_globals(), the only code that
                  builds a script's globals

What a script can touch is decided by allow-lists only: the builtins it is given, the
attributes listed per exact type, the members listed per module. Everything a script
can reach is a plain value (str, numbers, list, dict, set, tuple, ...), an allow-listed
callable, or a DSL function injected by the runtime; the world is reached only through
those DSL functions.

Approaches considered and rejected:

- **Plain ``exec`` with a stripped ``__builtins__``.** Every object still carries its
  class, and ``().__class__.__bases__[0].__subclasses__()`` walks from any literal to
  every loaded class (and from there to ``os``). Attribute access has to be mediated,
  which means rewriting the code: RestrictedPython does exactly that, reviewed for years.
- **An AST deny-list** (refuse dunders, refuse ``import os``, ...), like smolagents'
  "non-exhaustive" ``DANGEROUS_MODULES``. A deny-list is only as good as the attacker's
  imagination (``getattr(x, "__cl" + "ass__")``, ``"{0.__class__}".format(x)``,
  ``gen.gi_frame.f_back.f_globals``). The policy still refuses the obvious things at
  compile time, but only to give good messages: the guarantee is the run-time
  allow-list behind ``_getattr_``.
- **Subprocess (or container) isolation per script.** Real isolation, but the script
  is an orchestrator that calls ``agent()`` thousands of times: every call would cross
  a process boundary (the design needs <= 40 us per agent), and journaling, budgets,
  cancellation and the limiter would be split across processes. It also does nothing
  for determinism (time, randomness), which the allow-lists give for free.
- **Running JavaScript workflows in Node and Python ones in CPython**, side by side.
  Two runtimes to keep semantically identical (limiter, budget, journal, resume), an
  RPC hop per agent call, and a Node dependency. The JS layer instead transpiles to
  this same Python form, so one sandbox and one runtime serve both languages.
- **Sandboxing with ``sys.settrace`` / audit hooks.** Tracing costs every line of every
  script, and audit hooks are process-wide and cannot be removed; neither stops
  attribute walks to frames or globals.

What the sandbox does not do: it cannot interrupt a single long C-level operation
(``10 ** 10 ** 8``, ``math.factorial(10 ** 7)``, a catastrophic regular expression) and
it does not cap memory (``"x" * 10 ** 10``). Loops, comprehensions, recursion, large
``range`` objects and the unbounded ``itertools`` iterators all tick the run's deadline.
"""

from __future__ import annotations

from ._builtins import script_globals as script_globals
from ._compile import compile_python as compile_python

__all__ = ("compile_python", "script_globals")
