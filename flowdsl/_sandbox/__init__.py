"""The sandbox: compiles Python-form workflows and builds the namespace they run in.

It sits below the frontends and the runtime and imports neither: it compiles source
under a :class:`SandboxPolicy` into plain data (:class:`CompiledScript`: meta and a
code object) and starts that code with the run's :class:`ScriptHooks`. Caching and
choosing a language are the frontends' job (``flowdsl._frontends``).

Layout (modelled on temporal's ``worker/workflow_sandbox``)::

    _policy.py        SandboxPolicy: the allow-lists as one frozen value, default()
                      and with_...() builders; two policies coexist in one process
    _attributes.py    the default policy's per-type attribute tables
    _compile.py       compile_python(): parse, meta, transformer, wrap in ``async def``,
                      compile -> CompiledScript
    _ast_walk.py      the compile's tree walks (bound names, the transformer's child
                      visits, positions of new nodes), each equal to its ``ast`` original
    _collector_pause.py  collector_paused(): no cyclic GC during a compile step (the
                      JavaScript layer's parse and transpile use it too)
    _meta.py          the leading ``meta = {...}`` literal, read with ``ast`` only
    _transformer.py   the RestrictedPython transformer subclass: ticks, async, refusals
    _line_map.py      LineMap: Python-form lines -> the original script's positions
    _guards.py        run-time guards: the attribute guard built per policy, item
                      writes, ``except`` classes, the safe ``str.format``
    _size_caps.py     size caps on single operations no tick can interrupt (``*``,
                      ``**``, ``<<``, ``pow``, ``math``, ``textwrap``, ``statistics``)
    _regex_check.py   refusal of regular expressions that backtrack catastrophically
    _modules.py       the default import allow-list, module factories and proxies
    _builtins.py      the builtins allow-list, script_globals() (the only code that
                      builds a script's globals) and start_script()
    _hooks.py         ScriptHooks: what a running script gets from its run

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

Resource limits. Loops, comprehensions, function entry (so recursion), ``range`` above
ten million items, ``iter(f, sentinel)``, the unbounded ``itertools`` iterators and
``json.dumps(..., indent=...)`` tick the run's deadline. Single operations that run in
C or in pure-Python stdlib loops, where no tick reaches, are refused *before* they
start when their operands say they would be huge (``_size_caps.py``): ``*`` / ``**`` /
``<<`` (and ``pow()``, ``math.factorial`` / ``comb`` / ``perm`` / ``prod`` / ``lcm``)
producing an int above 100,000 bits or a sequence above ten million items;
``re`` patterns that repeat an ambiguous group (``(a+)+``, ``(a|aa)*``);
``textwrap`` / ``statistics`` inputs, ``str.format`` templates and ``itertools.tee``
copies above their caps (``Counter.elements`` is not offered at all).

Known limits, by design (documented, not fixed):

- **Memory is not capped.** One operation builds at most ten million items, but
  ``"".join``, ``str.replace``, padding (``s.center(10 ** 9)``) and format widths
  (``f"{x:>1000000000}"``) can still allocate gigabytes, and so can a loop until its
  deadline. Run untrusted workflows in a worker process with an address-space limit.
- **C-level work composed from small pieces is not interruptible.** Each call is
  capped, but ``list(map(sum, [range(10 ** 7)] * 1000))`` or ``sorted()`` /
  ``max()`` over ten million huge ints run in C for seconds to minutes, past the
  deadline and deaf to ``stop``; the same for regular expressions the heuristic
  misses (``(aa?)*``, polynomial shapes like ``a*a*a*b`` on a long input), and for
  transpiled JavaScript (``compat`` helpers are not guarded here). Only a process
  boundary with a hard kill stops those (``flowdsl runs stop`` escalates to SIGKILL).
- **Determinism.** ``hash()`` and ``id()`` are refused, but the iteration order of a
  ``set`` of strings follows ``PYTHONHASHSEED`` (the script's process gets one fixed
  by the run id, so every execution of a run agrees; inline runs use the caller's),
  and the default ``repr`` of functions, generators and iterators (``str(agent)``,
  ``f"{gen}"``) shows a memory address. A prompt built from the latter differs between
  processes, so a resumed run re-runs (and re-pays for) that call. Never format
  functions or iterators into prompts.
- **Script code can outlive its run** in one case: a suspended generator's
  ``finally`` runs when it is garbage-collected, possibly after the run ended; its
  loops tick with the old run's tick (the runtime must make that tick raise once the
  run is over).
"""

from __future__ import annotations

import typing as _typing

from .._lazy import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
    from ._builtins import ENTRY as ENTRY
    from ._builtins import script_globals as script_globals
    from ._builtins import start_script as start_script
    from ._collector_pause import collector_paused as collector_paused
    from ._compile import CompiledScript as CompiledScript
    from ._compile import compile_python as compile_python
    from ._hooks import Scheduler as Scheduler
    from ._hooks import ScriptHooks as ScriptHooks
    from ._hooks import TaskHandle as TaskHandle
    from ._hooks import Tick as Tick
    from ._line_map import LineMap as LineMap
    from ._modules import ModuleFactory as ModuleFactory
    from ._modules import ModuleSource as ModuleSource
    from ._policy import SandboxPolicy as SandboxPolicy
    from ._regex_check import check_regex as check_regex

_LAZY: dict[str, tuple[str, str]] = {
    "ENTRY": ("._builtins", "ENTRY"),
    "script_globals": ("._builtins", "script_globals"),
    "start_script": ("._builtins", "start_script"),
    "collector_paused": ("._collector_pause", "collector_paused"),
    "CompiledScript": ("._compile", "CompiledScript"),
    "compile_python": ("._compile", "compile_python"),
    "Scheduler": ("._hooks", "Scheduler"),
    "ScriptHooks": ("._hooks", "ScriptHooks"),
    "TaskHandle": ("._hooks", "TaskHandle"),
    "Tick": ("._hooks", "Tick"),
    "LineMap": ("._line_map", "LineMap"),
    "ModuleFactory": ("._modules", "ModuleFactory"),
    "ModuleSource": ("._modules", "ModuleSource"),
    "SandboxPolicy": ("._policy", "SandboxPolicy"),
    "check_regex": ("._regex_check", "check_regex"),
}


__getattr__ = _lazy_exports(__name__, _LAZY)


__all__ = (
    "ENTRY",
    "CompiledScript",
    "LineMap",
    "ModuleFactory",
    "ModuleSource",
    "SandboxPolicy",
    "Scheduler",
    "ScriptHooks",
    "TaskHandle",
    "Tick",
    "check_regex",
    "collector_paused",
    "compile_python",
    "script_globals",
    "start_script",
)
