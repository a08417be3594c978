"""Two writers on one repo, caught at the worst moment: the first has written the file
but not yet moved the branch. The second must wait and then plan from the first's
commit, never report that half-done write as the operator's uncommitted change."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from gitkit import TROP02_DEFAULT, git, head, isolate_git, make_repo, status

from tropconsole.core.models import ReservationRequest
from tropconsole.core.service import ReservationService, WriteResult


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_git(monkeypatch, tmp_path / "home")
    return make_repo(tmp_path / "repo")


def test_a_writer_arriving_mid_write_waits_then_lands_on_top(repo: Path) -> None:
    base = head(repo)
    first = ReservationService(repo)
    second_said: list[str] = []
    second = ReservationService(repo, on_wait=second_said.append)
    outcome: dict[str, WriteResult | BaseException] = {}

    def run_second() -> None:
        try:
            outcome["second"] = second.add(ReservationRequest(host="trop02", name="second"))
        except BaseException as err:  # reported by the assertions below
            outcome["second"] = err

    thread = threading.Thread(target=run_second)

    def at_the_worst_moment() -> None:
        # The first writer's file is on disk, its commit not yet on the branch.
        assert "name='first'" in (repo / TROP02_DEFAULT).read_text()
        assert status(repo) != ""
        thread.start()
        while not second_said:  # the second writer is now waiting for the lock
            thread.join(0.02)
            assert thread.is_alive(), outcome

    first.before_commit = at_the_worst_moment
    first.add(ReservationRequest(host="trop02", name="first"))
    thread.join(30)
    result = outcome["second"]
    assert isinstance(result, WriteResult), result
    assert second_said == [f"another tropconsole is writing {repo}; waiting up to 10 s"]
    subjects = git(repo, "log", "--format=%s", f"{base}..HEAD").splitlines()
    assert [s.split()[2] for s in subjects] == ["second", "first"]
    text = (repo / TROP02_DEFAULT).read_text()
    assert "name='first'" in text and "name='second'" in text
    assert status(repo) == ""
