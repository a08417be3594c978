"""Reading the reservation history from real git repos (the sample repo, then commits made
through the service and by hand, as operators make them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from gitkit import TROP02_DEFAULT, commit_file, git, head, isolate_git, make_repo

from tropconsole.core.errors import RefusedError, TropError
from tropconsole.core.history import iter_history, parse_log, read_commit, read_history
from tropconsole.core.models import Reservation, ReservationRequest
from tropconsole.core.sample import TROP02_DEFAULT_XML, write_sample_repo
from tropconsole.core.service import ReservationService

TROP03_DEFAULT = TROP02_DEFAULT.replace("trop02", "trop03")
ULOV = "      <host mac='52:54:00:02:02:0A' ip='192.168.202.10' name='Ulov'/>\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_git(monkeypatch, tmp_path / "home")
    return make_repo(tmp_path / "repo")


def edit(repo: Path, rel: str, old: str, new: str, message: str) -> str:
    text = (repo / rel).read_text()
    assert old in text
    return commit_file(repo, rel, text.replace(old, new, 1), message)


def test_service_commits_are_listed_newest_first_with_their_entry(repo: Path) -> None:
    service = ReservationService(repo)
    added = service.add(ReservationRequest(host="trop02", name="Newhost"))
    removed = service.remove("trop03", name="Morvalen")
    history = read_history(repo)
    assert [c.commit for c in history[:2]] == [removed.commit, added.commit]
    latest, earlier = history[0], history[1]
    assert latest.author == "Ada Operator" and latest.email == "ada@example.org"
    assert latest.subject == removed.plan.subject
    assert latest.date.utcoffset() is not None
    assert [(c.action, c.where, c.reservation) for c in latest.changes] == [
        (
            "removed",
            "trop03/default",
            Reservation(ip="192.168.203.11", mac="52:54:00:02:03:0b", name="Morvalen"),
        )
    ]
    assert latest.changes[0].path == TROP03_DEFAULT
    assert earlier.changes[0].action == "added"
    assert earlier.changes[0].reservation == Reservation(
        ip="192.168.202.16", mac="52:54:00:02:02:10", name="Newhost"
    )
    assert latest.revertible and earlier.revertible and latest.refusal is None
    # the sample's first commit created every file: listed, but not revertible
    first = history[-1]
    assert first.parents == () and len(first.changes) == 32
    assert first.refusal is not None and "other files" in first.refusal


def test_a_changed_entry_is_a_removal_and_an_addition(repo: Path) -> None:
    edit(repo, TROP02_DEFAULT, "name='Ulov'", "name='Ulov2'", "rename Ulov")
    latest = read_history(repo)[0]
    assert [(c.action, c.reservation.name) for c in latest.changes] == [
        ("removed", "Ulov"),
        ("added", "Ulov2"),
    ]
    assert latest.refusal is not None
    assert "changed 2 reservation entries" in latest.refusal
    assert "exactly one" in latest.refusal


def test_a_commit_without_host_lines_is_not_listed_but_mixed_ones_say_why(repo: Path) -> None:
    before = [c.commit for c in read_history(repo)]
    edit(repo, TROP02_DEFAULT, "end='192.168.202.15'", "end='192.168.202.14'", "shrink range")
    assert [c.commit for c in read_history(repo)] == before
    edit(
        repo,
        TROP02_DEFAULT,
        "end='192.168.202.14'",
        "end='192.168.202.15'",
        "grow range",
    )
    mixed = edit(
        repo,
        TROP02_DEFAULT,
        ULOV,
        "      <!-- Ulov retired -->\n",
        "retire Ulov with a note",
    )
    latest = read_history(repo)[0]
    assert latest.commit == mixed and latest.changes[0].action == "removed"
    assert latest.other_lines == (TROP02_DEFAULT,)
    assert latest.refusal is not None and "not <host> entries" in latest.refusal


def test_other_files_in_the_same_commit_make_it_unrevertible(repo: Path) -> None:
    text = (repo / TROP02_DEFAULT).read_text().replace(ULOV, "")
    (repo / TROP02_DEFAULT).write_text(text)
    (repo / "README.md").write_text("notes\n")
    git(repo, "commit", "-qam", "drop Ulov and edit the readme")
    latest = read_history(repo)[0]
    assert latest.other_files == ("README.md",)
    assert latest.refusal is not None and "other files (README.md)" in latest.refusal


def test_merges_are_not_listed_and_revert_refuses_them(repo: Path) -> None:
    base = head(repo)
    git(repo, "switch", "-q", "-c", "side")
    side = edit(repo, TROP02_DEFAULT, ULOV, "", "side: drop Ulov")
    git(repo, "switch", "-q", "-")
    commit_file(repo, "README.md", "main moved\n", "main: readme")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge side", "side")
    merge = head(repo)
    assert [c.commit for c in read_history(repo)][:1] == [side]
    found = read_commit(repo, merge)
    assert found.is_merge and found.refusal is not None and "is a merge" in found.refusal
    assert read_commit(repo, side).revertible
    assert read_commit(repo, base).parents == ()


def test_host_filter_shows_only_that_host_but_judges_the_whole_commit(repo: Path) -> None:
    t2 = (repo / TROP02_DEFAULT).read_text().replace(ULOV, "")
    t3 = (repo / TROP03_DEFAULT).read_text().replace("name='Morvalen'", "name='Morvalen2'")
    (repo / TROP02_DEFAULT).write_text(t2)
    (repo / TROP03_DEFAULT).write_text(t3)
    git(repo, "commit", "-qam", "two hosts at once")
    only3 = read_history(repo, host="trop03")
    assert {c.host for commit in only3 for c in commit.changes} == {"trop03"}
    latest = only3[0]
    assert [c.action for c in latest.changes] == ["removed", "added"]
    assert [c.where for c in latest.hidden] == ["trop02/default"]
    assert latest.refusal is not None and "3 reservation entries" in latest.refusal
    assert read_history(repo, host="trop09") == []
    with pytest.raises(RefusedError, match="not a host name"):
        read_history(repo, host="trop*")


def test_limit_stops_early_and_closing_the_stream_stops_git(repo: Path) -> None:
    service = ReservationService(repo)
    made = [service.add(ReservationRequest(host="trop01", name=f"vm{i}")).commit for i in range(3)]
    assert [c.commit for c in read_history(repo, limit=2)] == made[::-1][:2]
    assert read_history(repo, limit=0) == []
    stream = iter_history(repo)
    assert next(stream).commit == made[-1]
    stream.close()  # must not hang nor raise, with git still having output to write


def test_entry_lines_in_other_styles(repo: Path) -> None:
    style = (
        '      <host ip="192.168.202.20" name="Quoted &amp; Co"/>\n'
        "      <host mac='52:54:00:02:02:21' ip='192.168.202.21'/> <!-- no name -->\n"
        "      <host mac='52:54:00:02:02:22' ip='192.168.202.22' name='Lease'>"
        "<lease expiry='1'/></host>\n"
    )
    commit_file(
        repo,
        TROP02_DEFAULT,
        TROP02_DEFAULT_XML.replace("    </dhcp>", style.rstrip("\n") + "\n    </dhcp>"),
        "styles",
    )
    latest = read_history(repo)[0]
    assert [c.reservation for c in latest.changes] == [
        Reservation(ip="192.168.202.20", mac=None, name="Quoted & Co"),
        Reservation(ip="192.168.202.21", mac="52:54:00:02:02:21", name=None),
    ]
    # the element with a child is no one-line <host/>: a changed line revert will not touch
    assert latest.other_lines == (TROP02_DEFAULT,)


def test_parse_log_is_pure_and_keeps_crlf_entries_clean() -> None:
    text = (
        "\x01" + "a" * 40 + "\x00" + "b" * 40 + "\x00Eve\x00eve@example.org\x00"
        "2025-03-04T05:06:07+01:00\x00add one\n"
        "\n"
        f"diff --git a/{TROP02_DEFAULT} b/{TROP02_DEFAULT}\n"
        "index 1..2 100644\n"
        f"--- a/{TROP02_DEFAULT}\n"
        f"+++ b/{TROP02_DEFAULT}\n"
        "@@ -20,0 +21 @@\n"
        "+      <host mac='52:54:00:02:02:AA' ip='192.168.202.30' name='x'/>\r\n"
        "\\ No newline at end of file\n"
    )
    (commit,) = parse_log(text.splitlines(keepends=True))
    assert commit.short == "aaaaaaa" and commit.parents == ("b" * 40,)
    assert commit.date.isoformat() == "2025-03-04T05:06:07+01:00"
    assert commit.changes[0].reservation.mac == "52:54:00:02:02:aa"
    assert commit.other_lines == () and commit.revertible


def test_read_commit_refuses_unknown_and_foreign_commits(repo: Path) -> None:
    with pytest.raises(RefusedError, match="no commit 'deadbeef'"):
        read_commit(repo, "deadbeef")
    with pytest.raises(RefusedError, match="not a commit name"):
        read_commit(repo, "--all")
    git(repo, "switch", "-q", "-c", "elsewhere")
    foreign = edit(repo, TROP02_DEFAULT, ULOV, "", "elsewhere: drop Ulov")
    git(repo, "switch", "-q", "-")
    with pytest.raises(RefusedError, match="not in the history of the current branch"):
        read_commit(repo, foreign)


def test_a_plain_copy_without_git_is_a_clear_error(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    write_sample_repo(copy)
    shutil.rmtree(copy / ".git")
    with pytest.raises(TropError, match="git log failed"):
        read_history(copy)


def test_the_operators_git_config_does_not_change_what_is_read(repo: Path) -> None:
    ReservationService(repo).add(ReservationRequest(host="trop02", name="Newhost"))
    plain = read_history(repo)
    for key, value in (
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("color.ui", "always"),
        ("diff.renames", "copies"),
        ("diff.relative", "true"),
        ("log.showSignature", "true"),
        ("core.quotePath", "true"),
    ):
        git(repo, "config", key, value)
    assert read_history(repo) == plain
    assert plain[0].changes[0].path == TROP02_DEFAULT
