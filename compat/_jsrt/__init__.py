"""JS semantics for transpiled workflows (imported by scripts as ``jsrt``).

Value model: ``undefined`` is the falsy singleton :data:`undefined`; ``null`` is
``None``; booleans are ``bool``; numbers are ``int`` (integral values within 2**53)
or ``float`` (everything else, including NaN, the infinities and ``-0.0``); strings
are ``str`` (indexed by code point); arrays are ``list``; plain objects are ``dict``
with ``str`` keys (enumerated with array-index keys first, then insertion order);
functions are Python callables taking ``undefined`` defaults and ignoring extra
arguments; Map, Set, RegExp, Date, URL and Promise are classes here; Errors are Python
exceptions (:class:`JSError` and subclasses), other thrown values travel in
:class:`JSThrow`. Agent outputs and ``args`` (JSON values) are already JS values.

Every operator and property access of a script goes through a function here
(``js_add``, ``js_get``, ``js_call``...): scripts never use Python's attribute access,
so the Python object model is out of their reach. Only ``__all__`` is visible to
scripts (the sandbox's ``jsrt`` module proxy).
"""

from __future__ import annotations

from typing import Any

from flowdsl._sandbox import ScriptHooks

from . import _builtins
from ._builtins import *  # noqa: F403  -- the JS globals, listed once in _builtins.__all__
from ._convert import js_str
from ._dsl import bind_js_run, js_run
from ._objects import (
    js_call,
    js_delete,
    js_for_in,
    js_get,
    js_index,
    js_iter,
    js_new,
    js_object_rest,
    js_optcall,
    js_optget,
    js_rest,
    js_set,
    js_spread,
    js_spread_object,
)
from ._ops import (
    js_add,
    js_bitand,
    js_bitnot,
    js_bitor,
    js_bitxor,
    js_dec,
    js_div,
    js_eq,
    js_first,
    js_ge,
    js_gt,
    js_in,
    js_inc,
    js_instanceof,
    js_last,
    js_le,
    js_loose_eq,
    js_loose_ne,
    js_lt,
    js_mod,
    js_mul,
    js_ne,
    js_neg,
    js_not,
    js_pos,
    js_pow,
    js_shl,
    js_shr,
    js_sub,
    js_ushr,
    js_void,
)
from ._promise import js_async, js_await
from ._regexp import js_regexp
from ._values import JSError as JSError
from ._values import JSThrow as JSThrow
from ._values import (
    js_caught,
    js_isnullish,
    js_method,
    js_throw,
    js_truthy,
    js_typeof,
    undefined,
)


def js_reference_error(name: str) -> BaseException:
    """The error reading an undeclared variable raises."""
    from ._values import JSReferenceError

    return JSReferenceError(f"{name} is not defined")


def js_undeclared(name: str) -> object:
    """Reading an undeclared variable: a ReferenceError, as in JS."""
    raise js_reference_error(name)


# The JS globals of _builtins first, then the helpers.
__all__ = [
    *_builtins.__all__,
    "js_add",
    "js_async",
    "js_await",
    "js_bitand",
    "js_bitnot",
    "js_bitor",
    "js_bitxor",
    "js_call",
    "js_caught",
    "js_dec",
    "js_delete",
    "js_div",
    "js_eq",
    "js_first",
    "js_for_in",
    "js_ge",
    "js_get",
    "js_gt",
    "js_in",
    "js_inc",
    "js_index",
    "js_instanceof",
    "js_isnullish",
    "js_iter",
    "js_last",
    "js_le",
    "js_loose_eq",
    "js_loose_ne",
    "js_lt",
    "js_method",
    "js_mod",
    "js_mul",
    "js_ne",
    "js_neg",
    "js_new",
    "js_not",
    "js_object_rest",
    "js_optcall",
    "js_optget",
    "js_pos",
    "js_pow",
    "js_regexp",
    "js_rest",
    "js_run",
    "js_set",
    "js_shl",
    "js_shr",
    "js_spread",
    "js_spread_object",
    "js_str",
    "js_sub",
    "js_throw",
    "js_truthy",
    "js_typeof",
    "js_undeclared",
    "js_ushr",
    "js_void",
    "undefined",
]


def module_members(hooks: ScriptHooks) -> dict[str, Any]:
    """The ``jsrt`` module of one script run: ``__all__``, with ``js_run`` starting the
    script's promises on the run's scheduler (``hooks.scheduler``; None: when awaited)."""
    members = {name: globals()[name] for name in __all__}
    members["js_run"] = bind_js_run(hooks.scheduler)
    return members
