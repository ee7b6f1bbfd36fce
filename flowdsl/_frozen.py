"""Frozen slots dataclasses built fast: the helpers of the value types (:mod:`._types`).

``dataclass`` makes a frozen class's ``__init__`` store every field through
``object.__setattr__``; the types built for every agent use :func:`fast_frozen_init`'s
instead, and the runtime's hot path :func:`positional_builder` and :func:`field_setter`.
All are generated from the class's own fields, as ``dataclass`` generates its methods,
so a new field is never forgotten.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["fast_frozen_init", "field_setter", "positional_builder"]

_Frozen = TypeVar("_Frozen")


class _Factory:
    """The default of a field that has a ``default_factory`` (shown as ``dataclass`` does)."""

    def __repr__(self) -> str:
        return "<factory>"


_NO_VALUE: Any = _Factory()


def fast_frozen_init(cls: type[_Frozen]) -> type[_Frozen]:
    """Give the frozen slots dataclass ``cls`` a faster ``__init__`` of the same signature.

    ``dataclass`` makes a frozen class's ``__init__`` store every field through
    ``object.__setattr__`` (plain assignment is forbidden), a guarded call looked up per
    field: the request, result, usage and record of every agent built that way were
    about an eighth of the runtime's cost per agent. The ``__init__`` made here turns
    the new instance into one of a plain class with the very same slots, assigns the
    fields as ordinary attributes, and turns it back: a ``cls`` instance, frozen from
    then on, equal to what the original made. It is generated from the fields, as
    ``dataclass`` generates its own, so a new field is never forgotten.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if (not all(f.init and f.kw_only for f in fields) or hasattr(cls, "__post_init__")
            or "__slots__" not in cls.__dict__):
        raise TypeError(f"{cls.__name__}: only kw-only slots dataclasses without "
                        "__post_init__ are supported")
    namespace: dict[str, Any] = {"_NO_VALUE": _NO_VALUE}
    params, defaults = [], []
    for f in fields:
        if f.default is not dataclasses.MISSING:
            namespace[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_NO_VALUE")
            defaults.append(f"if {f.name} is _NO_VALUE: {f.name} = _factory_{f.name}()")
        else:
            params.append(f.name)
    swap_out = ["try: _set(self, '__class__', _assignable)",
                "except TypeError: raise RecursionError(_TOO_DEEP) from None"]
    init = _compile_assigning(cls, f"__init__(self, *, {', '.join(params)})",
                              [*defaults, *swap_out], [], namespace)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = cls.__init__.__annotations__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


def positional_builder(cls: type[_Frozen]) -> Callable[..., _Frozen]:
    """``cls(...)`` taking every field positionally, in field order, none left out: three
    times as fast again as the fast ``__init__`` (no keywords to match, no ``type`` call),
    for the runtime's hot path."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    build: Callable[..., _Frozen] = _compile_assigning(
        cls, f"build_{cls.__name__}({', '.join(names)})", ["self = _assignable()"],
        ["return self"], {})
    return build


def _compile_assigning(cls: type, header: str, before: list[str], after: list[str],
                       namespace: dict[str, Any]) -> Any:
    """The function ``def <header>`` that runs ``before`` (``self`` is then a plain
    object with the slots of ``cls``), assigns every field, makes ``self`` a ``cls``
    and runs ``after``."""
    namespace.update(_set=object.__setattr__, _cls=cls, _assignable=type(
        f"_{cls.__name__}Fields", (), {"__slots__": cls.__dict__["__slots__"]}),
        _TOO_DEEP=f"maximum recursion depth exceeded building {cls.__name__}")
    # A class swap compares the two classes' slot names, a comparison that fails one
    # frame short of the recursion limit (a script may build a request that deep): the
    # TypeError it then raises is the RecursionError the original raises a call deeper.
    swap_in = ["try: self.__class__ = _cls",
               "except TypeError: raise RecursionError(_TOO_DEEP) from None"]
    assign = [f"self.{f.name} = {f.name}" for f in dataclasses.fields(cls)]
    body = "\n    ".join([*before, *assign, *swap_in, *after])
    exec(f"def {header}:\n    {body}", namespace)  # from the class's own fields
    return namespace[header.partition("(")[0]]



def field_setter(cls: type[_Frozen], build: Callable[..., _Frozen],
                  changed: tuple[str, ...]) -> Callable[..., _Frozen]:
    """``dataclasses.replace(obj, **changed)`` for these fields, positionally: without
    ``replace``'s per-call look at every field (5.2 µs against 0.5 µs here, about a tenth
    of a CLI run's cost per agent when the runtime set each request's workspace).
    Generated from the fields, so a new field is never left behind."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    values = ", ".join(name if name in changed else f"obj.{name}" for name in names)
    namespace: dict[str, Any] = {"_build": build}
    exec(f"def set_{'_'.join(changed)}(obj, {', '.join(changed)}):\n"  # from the fields
         f"    return _build({values})", namespace)
    setter: Callable[..., _Frozen] = namespace[f"set_{'_'.join(changed)}"]
    return setter
