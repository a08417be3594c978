"""git safety on throwaway repos: nobody's commit or staged work is ever lost."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from gitkit import OPERATOR, TROP02_DEFAULT, commit_file, git, head, isolate_git, make_repo, status

from tropconsole.core import gitrepo
from tropconsole.core.errors import RefusedError
from tropconsole.core.fsio import atomic_write
from tropconsole.core.gitrepo import GitRepo, Identity, parse_author

LINE = "      <host mac='52:54:00:02:02:10' ip='192.168.202.16' name='Newhost'/>\n"
ANCHOR = "name='Acilamwen'/>\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_git(monkeypatch, tmp_path / "home")
    return make_repo(tmp_path / "repo")


def edit(repo: Path) -> tuple[str, str]:
    old = (repo / TROP02_DEFAULT).read_text()
    return old, old.replace(ANCHOR, ANCHOR + LINE)


def commit(
    repo: Path, before_swap: Callable[[], None] | None = None, g: GitRepo | None = None
) -> str:
    g = g or GitRepo(repo)
    expected = g.head()
    old, new = edit(repo)
    me = Identity(*OPERATOR)
    done = g.commit_file(
        TROP02_DEFAULT,
        old,
        new,
        "subject\n\nbody\n",
        expected=expected,
        author=me,
        committer=me,
        before_swap=before_swap,
    )
    return done.commit


def test_commit_advances_the_branch_by_one_commit_with_only_that_file(repo: Path) -> None:
    before = head(repo)
    new_commit = commit(repo)
    assert head(repo) == new_commit
    assert git(repo, "rev-parse", "HEAD~1").strip() == before
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split() == [TROP02_DEFAULT]
    assert (
        git(repo, "log", "-1", "--format=%an <%ae>|%s").strip()
        == "Ada Operator <ada@example.org>|subject"
    )
    assert status(repo) == ""  # work tree and index agree with the new HEAD


def test_someone_elses_staged_work_is_neither_committed_nor_lost(repo: Path) -> None:
    other = "src/cfg/tropo/trop01/etc/network/interfaces"
    (repo / other).write_text("# staged by someone else\n")
    git(repo, "add", other)
    (repo / "notes.txt").write_text("untracked\n")
    commit(repo)
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split() == [TROP02_DEFAULT]
    assert git(repo, "diff", "--cached", "--name-only").split() == [other]
    assert (repo / "notes.txt").read_text() == "untracked\n"


@pytest.mark.parametrize("stage", [False, True], ids=["unstaged", "staged"])
def test_a_dirty_file_is_refused(repo: Path, stage: bool) -> None:
    path = repo / TROP02_DEFAULT
    path.write_text(path.read_text() + "<!-- wip -->\n")
    if stage:
        git(repo, "add", TROP02_DEFAULT)
    before, dirty = head(repo), path.read_bytes()
    with pytest.raises(RefusedError, match="uncommitted changes") as err:
        GitRepo(repo).ensure_clean(TROP02_DEFAULT)
    assert str(repo) in err.value.message
    with pytest.raises(RefusedError, match="uncommitted changes"):
        commit_dirty(repo)
    assert head(repo) == before and path.read_bytes() == dirty


def commit_dirty(repo: Path) -> None:
    g = GitRepo(repo)
    text = (repo / TROP02_DEFAULT).read_text()
    me = Identity(*OPERATOR)
    g.commit_file(TROP02_DEFAULT, text, text + "x", "m", expected=g.head(), author=me, committer=me)


def test_detached_head_is_refused(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach", "HEAD")
    with pytest.raises(RefusedError, match=r"HEAD is detached at [0-9a-f]{7}.*git switch"):
        GitRepo(repo).head()


def test_unborn_head_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch, tmp_path / "home")
    git(tmp_path, "init", "-q", "-b", "main", "fresh")
    with pytest.raises(RefusedError, match="no commit yet"):
        GitRepo(tmp_path / "fresh").head()


def test_a_merge_in_progress_is_refused(repo: Path) -> None:
    (repo / ".git" / "MERGE_HEAD").write_text(head(repo) + "\n")
    with pytest.raises(RefusedError, match="a merge is in progress"):
        GitRepo(repo).head()


def test_not_a_git_checkout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RefusedError, match="not a git checkout"):
        GitRepo(tmp_path)


def test_head_moved_before_the_swap_loses_nothing(repo: Path) -> None:
    other_rel = "src/cfg/tropo/trop03/etc/network/interfaces"
    original = (repo / TROP02_DEFAULT).read_bytes()
    theirs: list[str] = []

    def someone_commits() -> None:
        theirs.append(commit_file(repo, other_rel, "# theirs\n", "their change"))

    with pytest.raises(RefusedError, match="the repo moved") as err:
        commit(repo, before_swap=someone_commits)
    assert "nothing was committed" in err.value.message
    assert head(repo) == theirs[0]  # their commit is the tip, untouched
    assert git(repo, "show", f"{theirs[0]}:{other_rel}") == "# theirs\n"
    assert (repo / TROP02_DEFAULT).read_bytes() == original
    assert status(repo) == ""


def test_head_moved_before_the_write_writes_nothing(repo: Path) -> None:
    g = GitRepo(repo)
    expected = g.head()
    old, new = edit(repo)
    theirs = commit_file(repo, "README.md", "changed\n", "their change")
    me = Identity(*OPERATOR)
    with pytest.raises(RefusedError, match="moved since tropconsole read it"):
        g.commit_file(TROP02_DEFAULT, old, new, "m", expected=expected, author=me, committer=me)
    assert head(repo) == theirs and (repo / TROP02_DEFAULT).read_text() == old


def test_an_edit_made_after_the_read_is_refused_and_kept(repo: Path) -> None:
    g = GitRepo(repo)
    expected = g.head()
    old, new = edit(repo)
    changed = old.replace("Ulov", "Ulov2")
    commit_file(repo, TROP02_DEFAULT, changed, "rename")
    git(repo, "reset", "-q", "--soft", expected.commit)  # tip back, file now differs
    git(repo, "reset", "-q")
    with pytest.raises(RefusedError, match="uncommitted changes"):
        me = Identity(*OPERATOR)
        g.commit_file(TROP02_DEFAULT, old, new, "m", expected=expected, author=me, committer=me)
    assert (repo / TROP02_DEFAULT).read_text() == changed


def test_identity_comes_from_git_config_or_author(repo: Path) -> None:
    g = GitRepo(repo)
    assert g.identity() == (Identity(*OPERATOR), Identity(*OPERATOR))
    author, committer = g.identity("Grace Hopper <grace@example.org>")
    assert author == Identity("Grace Hopper", "grace@example.org")
    assert committer == Identity(*OPERATOR)


def test_no_identity_is_a_clear_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch, tmp_path / "home")
    repo = make_repo(tmp_path / "repo", identity=False)
    with pytest.raises(RefusedError, match=r"no git identity.*config user.name.*--author"):
        GitRepo(repo).identity()
    assert GitRepo(repo).identity("A B <a@b.org>")[1] == Identity("A B", "a@b.org")


@pytest.mark.parametrize("bad", ["nobody", "<a@b.org>", "A <not-an-email>", "A <a@b> x"])
def test_malformed_author_is_refused(bad: str) -> None:
    with pytest.raises(RefusedError, match=r"Full Name <user@example\.org>"):
        parse_author(bad)


def test_atomic_write_keeps_mode_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "net.xml"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    atomic_write(target, b"new\r\n")
    assert target.read_bytes() == b"new\r\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.xml"]


def test_pull_ff_only_and_push(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch, tmp_path / "home")
    upstream = make_repo(tmp_path / "upstream")
    git(tmp_path, "clone", "-q", "--bare", str(upstream), "hub.git")
    hub = tmp_path / "hub.git"
    git(tmp_path, "clone", "-q", str(hub), "mine")
    git(tmp_path, "clone", "-q", str(hub), "theirs")
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    for clone in (mine, theirs):
        git(clone, "config", "user.name", OPERATOR[0])
        git(clone, "config", "user.email", OPERATOR[1])
    pushed = commit_file(theirs, "README.md", "theirs\n", "their change")
    git(theirs, "push", "-q")
    g = GitRepo(mine)
    g.pull_ff_only()
    assert head(mine) == pushed
    new_commit = commit(mine)
    assert g.push() is None
    assert git(hub, "rev-parse", "main").strip() == new_commit
    commit_file(theirs, "README.md", "diverged\n", "diverge")  # theirs is now behind + ahead
    with pytest.raises(RefusedError, match="diverged"):
        GitRepo(theirs).pull_ff_only()


def test_a_racing_commit_of_everything_leaves_the_work_tree_clean(repo: Path) -> None:
    """Someone runs ``git commit -a`` mid-write and sweeps our line into their commit:
    the swap fails, and the file is left as their commit has it (not reverted under them)."""
    theirs: list[str] = []

    def commit_all() -> None:
        git(repo, "-c", "user.name=Else", "-c", "user.email=e@x", "commit", "-qam", "all")
        theirs.append(head(repo))

    with pytest.raises(RefusedError, match=f"the repo moved.*{TROP02_DEFAULT} was restored"):
        commit(repo, before_swap=commit_all)
    assert head(repo) == theirs[0]
    assert status(repo) == ""
    assert LINE in (repo / TROP02_DEFAULT).read_text()


def test_a_stale_lock_is_waited_for_then_refused_and_the_lock_released(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gitrepo, "LOCK_WAIT_S", 0.3)
    lock = repo / ".git" / "tropconsole.lock"
    lock.write_text("12345\n")
    base = head(repo)
    with pytest.raises(
        RefusedError, match=r"another tropconsole \(pid 12345\) is writing.*waited 0.3 s"
    ):
        commit(repo)
    assert head(repo) == base and status(repo) == ""
    lock.unlink()

    def race() -> None:
        commit_file(repo, "README.md", "x\n", "x")

    with pytest.raises(RefusedError, match="the repo moved"):
        commit(repo, before_swap=race)
    assert not lock.exists()
    commit(repo)
    assert not lock.exists()


def test_a_second_writer_waits_for_the_lock_says_so_once_and_commits(repo: Path) -> None:
    holder = GitRepo(repo)
    said: list[str] = []
    released = threading.Event()

    def hold() -> None:
        with holder.write_lock():
            released.wait(5)
            time.sleep(0.4)

    thread = threading.Thread(target=hold)
    thread.start()
    while not (repo / ".git" / "tropconsole.lock").exists():
        time.sleep(0.01)
    released.set()
    g = GitRepo(repo)
    with g.write_lock(wait=5, on_wait=said.append):
        assert said == [f"another tropconsole is writing {g.root}; waiting up to 5 s"]
        commit(repo, g=g)  # commit_file inside the held lock does not wait for itself
    thread.join()
    assert len(said) == 1
    assert not (repo / ".git" / "tropconsole.lock").exists()
    assert status(repo) == ""
