"""A host's own checkout against the console's repo, counted with real git (no fetch)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitkit import commit_file, git, head, isolate_git, make_repo

from tropconsole.core.checkout import checkout_finding, relation
from tropconsole.core.findings import Kind, Severity
from tropconsole.core.live import DEFAULT_CHECKOUT, CheckoutState
from tropconsole.core.models import FleetConfig


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_git(monkeypatch, tmp_path / "home")
    return make_repo(tmp_path / "repo")


def fleet(repo: Path) -> FleetConfig:
    return FleetConfig(repo=str(repo), hosts=(), head=head(repo))


def state(commit: str, dirty: bool = False) -> CheckoutState:
    return CheckoutState(DEFAULT_CHECKOUT, head=commit, dirty=dirty)


def test_behind_ahead_diverged_and_current(repo: Path) -> None:
    base = head(repo)
    one = commit_file(repo, "a.txt", "1\n", "one")
    two = commit_file(repo, "b.txt", "2\n", "two")
    git(repo, "checkout", "-q", "-b", "side", one)
    side = commit_file(repo, "c.txt", "3\n", "side")
    git(repo, "checkout", "-q", "-")
    f = fleet(repo)  # the console is at ``two``
    assert checkout_finding(f, "trop03", state(two)) is None
    behind = checkout_finding(f, "trop03", state(one))
    assert behind is not None and behind.kind is Kind.CHECKOUT_DRIFT
    assert behind.severity is Severity.WARNING
    assert behind.detail.startswith("trop03's checkout is 1 commit behind")
    assert "pull --ff-only" in behind.fix
    assert "is 2 commits behind" in checkout_finding(f, "trop03", state(base)).detail  # type: ignore[union-attr]
    ahead = checkout_finding(FleetConfig(str(repo), (), head=one), "trop03", state(two))
    assert ahead is not None and "is 1 commit ahead" in ahead.detail
    diverged = checkout_finding(f, "trop03", state(side))
    assert diverged is not None and "is diverged (1 commit ahead, 1 commit behind)" in (
        diverged.detail
    )


def test_dirty_unknown_and_unreadable(repo: Path) -> None:
    f = fleet(repo)
    dirty = checkout_finding(f, "trop01", state(head(repo), dirty=True))
    assert dirty is not None and dirty.detail.startswith("trop01's checkout is dirty")
    stranger = "1234567890abcdef1234567890abcdef12345678"
    unknown = checkout_finding(f, "trop01", state(stranger))
    assert unknown is not None
    assert "at a commit the console's repo does not have" in unknown.detail
    missing = checkout_finding(
        f, "trop01", CheckoutState(DEFAULT_CHECKOUT, error="no such directory")
    )
    assert missing is not None and missing.kind is Kind.CHECKOUT_UNREADABLE
    assert missing.severity is Severity.INFO and "no such directory" in missing.detail
    assert checkout_finding(f, "trop01", None) is None  # not read (the demo)


def test_counts_are_cached_but_an_unknown_commit_is_asked_again(repo: Path, tmp_path: Path) -> None:
    one = head(repo)
    two = commit_file(repo, "a.txt", "1\n", "one")
    assert relation(str(repo), two, one).behind == 1
    assert relation(str(repo), two, one) is relation(str(repo), two, one)  # cached
    other = tmp_path / "other"
    git(repo, "clone", "-q", str(repo), str(other))
    three = commit_file(other, "b.txt", "2\n", "elsewhere")
    assert not relation(str(repo), two, three).known
    git(repo, "fetch", "-q", str(other))  # the console's repo now has it
    assert relation(str(repo), two, three).ahead == 1
