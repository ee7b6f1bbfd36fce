"""Slugs, worktree names and their uniqueness, run ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowdsl._runtime._worktree._names import (
    branch_name,
    check_run_id,
    runs_dir,
    slug,
    unique_name,
    worktree_name,
)


@pytest.mark.parametrize(("label", "expected"), [
    ("Fix login", "fix-login"),
    ("  src/app.py: review!  ", "src-app-py-review"),
    ("a--b__c", "a-b-c"),
    ("Café résumé", "cafe-resume"),
    ("UPPER_case 42", "upper-case-42"),
    ("", "agent"),
    (None, "agent"),
    ("!!!", "agent"),
    ("日本語", "agent"),
    ("x" * 50, "x" * 40),
    ("a" * 39 + " b", "a" * 39),  # cut at 40, then no trailing dash
])
def test_slug(label: str | None, expected: str) -> None:
    assert slug(label) == expected


def test_worktree_name_counts_from_one() -> None:
    assert worktree_name(0, "Review a.py") == "1-review-a-py"


def test_worktree_name_refuses_a_negative_index() -> None:
    with pytest.raises(ValueError, match="index"):
        worktree_name(-1, "x")


@pytest.mark.parametrize(("taken", "expected"), [
    (set(), "1-fix"),
    ({"1-fix"}, "1-fix-2"),
    ({"1-fix", "1-fix-2"}, "1-fix-3"),
    ({"1-fix-2"}, "1-fix"),
])
def test_unique_name(taken: set[str], expected: str) -> None:
    assert unique_name("1-fix", taken.__contains__) == expected


def test_branch_name_and_runs_dir() -> None:
    assert branch_name("run-1", "2-fix") == "flowdsl/run-1/2-fix"
    assert runs_dir(Path("/repo")) == Path("/repo/.flowdsl/worktrees")


@pytest.mark.parametrize("run_id", ["", "a/b", "..", "a.lock", "x y", "r" * 65])
def test_unusable_run_ids_are_refused(run_id: str) -> None:
    with pytest.raises(ValueError, match="run id"):
        check_run_id(run_id)


@pytest.mark.parametrize("run_id", ["20261202-abc123", "unstored-1f2e", "RUN_7"])
def test_run_ids_of_the_store_are_accepted(run_id: str) -> None:
    assert check_run_id(run_id) == run_id
