"""The public API: __all__ is sorted, complete and importable (httpx's check)."""

from __future__ import annotations

import flowdsl


def test_all_is_sorted_and_unique():
    assert list(flowdsl.__all__) == sorted(set(flowdsl.__all__))


def test_every_exported_name_exists():
    for name in flowdsl.__all__:
        assert hasattr(flowdsl, name), name


def test_every_public_attribute_is_exported():
    public = {
        name for name, value in vars(flowdsl).items()
        if not name.startswith("_") and not getattr(value, "__name__", "").startswith("flowdsl.")
        and name not in {"annotations"}
    }
    assert public <= set(flowdsl.__all__)
