"""``ReservationService.revert``: one reservation commit undone through the same door as
``add``/``remove`` (validation, lock, compare-and-swap, live apply, read-only)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitkit import TROP02_DEFAULT, commit_file, git, head, isolate_git, make_repo, status
from test_service import FakeApplier

from tropconsole.core.errors import ReadOnlyError, RefusedError, ValidationError
from tropconsole.core.history import read_history
from tropconsole.core.models import Reservation, ReservationRequest
from tropconsole.core.sample import TROP02_DEFAULT_XML
from tropconsole.core.service import ReservationService

NEWHOST = ReservationRequest(host="trop02", name="Newhost")
ULOV = "      <host mac='52:54:00:02:02:0A' ip='192.168.202.10' name='Ulov'/>\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_git(monkeypatch, tmp_path / "home")
    return make_repo(tmp_path / "repo")


def numstat(repo: Path) -> str:
    return git(repo, "diff", "--numstat", "HEAD~1", "HEAD").strip()


def test_revert_an_add_removes_that_line_in_a_new_commit(repo: Path) -> None:
    service = ReservationService(repo)
    added = service.add(NEWHOST)
    undone = service.revert(added.short)
    assert head(repo) == undone.commit and git(repo, "rev-parse", "HEAD~1").strip() == added.commit
    assert numstat(repo) == f"0\t1\t{TROP02_DEFAULT}"
    assert (repo / TROP02_DEFAULT).read_text() == TROP02_DEFAULT_XML
    assert undone.plan.action == "remove" and undone.plan.reverts == added.commit
    message = git(repo, "log", "-1", "--format=%B")
    assert message.splitlines()[0] == (
        f"trop02/default: unreserve Newhost 52:54:00:02:02:10 192.168.202.16 (revert {added.short})"
    )
    assert f"This reverts commit {added.commit}." in message
    assert status(repo) == ""
    # the undo is itself a one-entry commit: reverting it brings the entry back
    again = service.revert(undone.commit)
    assert again.plan.action == "add"
    assert (repo / TROP02_DEFAULT).read_text() == git(
        repo, "show", f"{added.commit}:{TROP02_DEFAULT}"
    )


def test_revert_a_hand_made_removal_re_adds_the_exact_entry(repo: Path) -> None:
    removed = commit_file(
        repo, TROP02_DEFAULT, TROP02_DEFAULT_XML.replace(ULOV, ""), "drop Ulov by hand"
    )
    result = ReservationService(repo).revert(removed)
    assert result.plan.reservation == Reservation(
        ip="192.168.202.10", mac="52:54:00:02:02:0a", name="Ulov"
    )
    assert numstat(repo) == f"1\t0\t{TROP02_DEFAULT}"
    # the line comes back in the file's style (upper-case MAC like its siblings)
    assert ULOV.strip() in (repo / TROP02_DEFAULT).read_text()


def test_revert_an_add_whose_entry_is_gone_is_refused(repo: Path) -> None:
    service = ReservationService(repo)
    added = service.add(NEWHOST)
    service.remove("trop02", name="Newhost")
    base = head(repo)
    with pytest.raises(ValidationError, match="no longer has the entry") as info:
        service.revert(added.commit)
    assert info.value.exit_code == 2 and added.short in info.value.message
    assert head(repo) == base and status(repo) == ""


def test_revert_a_removal_whose_ip_is_taken_again_is_refused(repo: Path) -> None:
    removed = commit_file(
        repo, TROP02_DEFAULT, TROP02_DEFAULT_XML.replace(ULOV, ""), "drop Ulov by hand"
    )
    service = ReservationService(repo)
    service.add(
        ReservationRequest(
            host="trop02", name="Taker", mac="52:54:00:02:02:30", ip="192.168.202.10"
        )
    )
    base = head(repo)
    with pytest.raises(ValidationError) as info:
        service.revert(removed)
    text = info.value.message
    assert text.startswith(f"revert: cannot re-add the entry {removed[:7]} removed")
    assert "192.168.202.10" in text and "Taker" in text
    assert head(repo) == base and status(repo) == ""


def test_commits_that_did_more_are_refused_with_the_reason(repo: Path) -> None:
    text = TROP02_DEFAULT_XML.replace("name='Ulov'", "name='Ulov2'")
    changed = commit_file(repo, TROP02_DEFAULT, text, "rename Ulov")
    base = head(repo)
    with pytest.raises(RefusedError, match="changed 2 reservation entries") as info:
        ReservationService(repo).revert(changed)
    assert info.value.exit_code == 2
    first = read_history(repo)[-1].commit
    with pytest.raises(RefusedError, match="also changed other files"):
        ReservationService(repo).plan_revert(first)
    assert head(repo) == base and status(repo) == ""


def test_read_only_refuses_revert_before_anything(repo: Path) -> None:
    added = ReservationService(repo).add(NEWHOST)
    base = head(repo)
    service = ReservationService(repo, read_only=True, applier=FakeApplier())
    with pytest.raises(ReadOnlyError, match="reverting a reservation commit"):
        service.revert(added.commit, apply=True)
    assert head(repo) == base and status(repo) == ""
    assert service.applier is not None and service.applier.calls == []  # type: ignore[attr-defined]
    assert service.plan_revert(added.commit).action == "remove"  # reading is still allowed


def test_revert_applies_live_through_the_applier(repo: Path) -> None:
    added = ReservationService(repo).add(NEWHOST)
    applier = FakeApplier()
    result = ReservationService(repo, applier=applier).revert(added.commit, apply=True)
    assert result.live_ok and result.live == "applied (live+config)"
    assert [(c[0], c[1], c[2], c[3].mac) for c in applier.calls] == [
        ("remove", "trop02", "default", "52:54:00:02:02:10")
    ]


def test_head_moved_during_revert_is_refused_and_nothing_is_committed(repo: Path) -> None:
    added = ReservationService(repo).add(NEWHOST)
    service = ReservationService(repo)
    theirs: list[str] = []
    service.before_commit = lambda: theirs.append(
        commit_file(repo, "README.md", "someone else\n", "their change")
    )
    with pytest.raises(RefusedError, match="the repo moved"):
        service.revert(added.commit)
    assert head(repo) == theirs[0]
    assert "Newhost" in (repo / TROP02_DEFAULT).read_text()
    assert status(repo) == ""
