"""What a script may touch, as one frozen value: :class:`SandboxPolicy`.

Modelled on temporal's ``SandboxRestrictions.default.with_passthrough_modules(...)``:
:meth:`SandboxPolicy.default` is the stock policy and the ``with_...`` builders return
new policies, so policies never change once built and any number of them coexist in
one process (the frontends add the JavaScript runtime module ``jsrt`` this way; a test
adds a module or an attribute to one policy and checks the other does not see it).

Compile time reads the policy's ``modules`` and ``builtins`` (imports are checked, known
names are not refused); run time reads all of it through the policy's :class:`Guards`,
which the script's ``_getattr_`` is bound to.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from . import _attributes
from ._builtins import BIG_RANGE_ATTRIBUTES, SAFE_BUILTINS, BigRange
from ._guards import Guards
from ._hooks import ScriptHooks
from ._modules import MODULES, REFUSED_MEMBERS, REFUSED_MODULES, ModuleSource

__all__ = ["SandboxPolicy"]


def _no_tick() -> None:
    """The tick of the hooks module factories get at compile time (nothing runs then)."""


_COMPILE_HOOKS = ScriptHooks(tick=_no_tick)


@dataclass(frozen=True, eq=False, kw_only=True)
class SandboxPolicy:
    """The allow-lists a script runs under; build with :meth:`default` and ``with_...``.

    Policies compare by identity: two separately built policies are two policies, even
    with equal tables.
    """

    attributes: Mapping[type, frozenset[str]]
    """Instance attributes scripts may read, by exact type (the hot path)."""
    class_attributes: Mapping[object, frozenset[str]]
    """Attributes of class objects (``str.upper`` in ``map(str.upper, xs)``)."""
    exception_attributes: Mapping[type, frozenset[str]]
    """Attributes of caught exceptions by exact type (any other shows only ``args``)."""
    modules: Mapping[str, ModuleSource]
    """Importable modules: members, or a factory of them per run."""
    refused_modules: Mapping[str, str]
    """Modules scripts reach for that do not exist for them, and what to do instead."""
    refused_members: Mapping[tuple[str, str], str]
    """(module, member) pairs left out on purpose, and why."""
    builtins: Mapping[str, object]
    """The builtins every run gets (``print``, ``range``, ``iter``, ``getattr``,
    ``hasattr`` and ``__import__`` are added per run)."""
    guards: Guards = field(init=False, repr=False)
    """The run-time attribute guards reading this policy's tables."""
    _member_names: dict[str, frozenset[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Private read-only copies: the caller's dicts may change later, ours not.
        for name in ("attributes", "class_attributes", "exception_attributes",
                     "refused_modules", "refused_members", "builtins"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        modules = {
            name: MappingProxyType(dict(source)) if isinstance(source, Mapping) else source
            for name, source in self.modules.items()
        }
        object.__setattr__(self, "modules", MappingProxyType(modules))
        guards = Guards(self.attributes, self.class_attributes, self.exception_attributes)
        object.__setattr__(self, "guards", guards)
        object.__setattr__(self, "_member_names", {})

    @classmethod
    def default(cls) -> SandboxPolicy:
        """The stock policy: plain values, the safe builtins and the stdlib allow-list."""
        return _default_policy()

    # -- builders ------------------------------------------------------------------------

    def with_attributes(self, cls: type, names: frozenset[str]) -> SandboxPolicy:
        """A policy where scripts may also read ``names`` on instances of exactly ``cls``."""
        merged = self.attributes.get(cls, frozenset()) | names
        return dataclasses.replace(self, attributes={**self.attributes, cls: merged})

    def with_class_attributes(self, cls: type, names: frozenset[str]) -> SandboxPolicy:
        """A policy where scripts may also read ``names`` on the class object ``cls``."""
        merged = self.class_attributes.get(cls, frozenset()) | names
        return dataclasses.replace(self, class_attributes={**self.class_attributes, cls: merged})

    def with_module(self, name: str, source: ModuleSource) -> SandboxPolicy:
        """A policy where scripts may import ``name``: fixed members or a per-run factory."""
        return dataclasses.replace(self, modules={**self.modules, name: source})

    def with_builtins(self, names: Mapping[str, object]) -> SandboxPolicy:
        """A policy whose scripts also get ``names`` as builtins."""
        return dataclasses.replace(self, builtins={**self.builtins, **names})

    # -- lookups ---------------------------------------------------------------------------

    def module_members(self, name: str, hooks: ScriptHooks) -> Mapping[str, object] | None:
        """The members of module ``name`` for one run, or None if it is not importable.

        Raises:
            SandboxViolation: the module's factory failed (e.g. not installed).
        """
        source = self.modules.get(name)
        if source is None or isinstance(source, Mapping):
            return source
        return source(hooks)

    def member_names(self, name: str) -> frozenset[str] | None:
        """The member names of module ``name`` (for compile-time checks), or None."""
        names = self._member_names.get(name)
        if names is None:
            members = self.module_members(name, _COMPILE_HOOKS)
            if members is None:
                return None
            names = self._member_names[name] = frozenset(members)
        return names


@functools.cache
def _default_policy() -> SandboxPolicy:
    return SandboxPolicy(
        attributes={**_attributes.ATTRIBUTES, BigRange: BIG_RANGE_ATTRIBUTES},
        class_attributes=_attributes.CLASS_ATTRIBUTES,
        exception_attributes=_attributes.EXCEPTION_ATTRIBUTES,
        modules=MODULES,
        refused_modules=REFUSED_MODULES,
        refused_members=REFUSED_MEMBERS,
        builtins=SAFE_BUILTINS,
    )
