"""The config repo's own pre-commit and commit-msg hooks run on tropconsole's commits."""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from gitkit import TROP02_DEFAULT, git, head, isolate_git, make_repo, status

from tropconsole.cli import main
from tropconsole.core.errors import RefusedError
from tropconsole.core.gitrepo import GitRepo
from tropconsole.core.models import ReservationRequest
from tropconsole.core.service import ReservationService

NEWHOST = ReservationRequest(host="trop02", name="Newhost")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_git(monkeypatch, tmp_path / "home")
    return make_repo(tmp_path / "repo")


def hook(repo: Path, name: str, body: str, hooks_dir: str = ".git/hooks") -> None:
    path = repo / hooks_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def assert_nothing_left(repo: Path, base: str) -> None:
    assert head(repo) == base
    assert status(repo) == ""
    assert not (repo / ".git" / "tropconsole.lock").exists()


def test_pre_commit_sees_the_change_staged_and_in_the_work_tree(repo: Path, tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    hook(
        repo,
        "pre-commit",
        f'git diff --cached --name-only > "{seen}"\ngrep -c Newhost {TROP02_DEFAULT} >> "{seen}"\n',
    )
    result = ReservationService(repo).add(NEWHOST)
    assert seen.read_text().splitlines() == [TROP02_DEFAULT, "1"]
    assert result.commit == head(repo)
    assert status(repo) == ""


def test_a_failing_pre_commit_refuses_with_its_output_and_leaves_nothing(repo: Path) -> None:
    hook(repo, "pre-commit", 'echo "site check: trop02 default.xml: range too small" >&2\nexit 1\n')
    base = head(repo)
    with pytest.raises(RefusedError) as refused:
        ReservationService(repo).add(NEWHOST)
    text = refused.value.message
    assert "pre-commit hook refused the commit (exit 1)" in text
    assert "pre-commit: site check: trop02 default.xml: range too small" in text
    assert "--no-verify" in text
    assert refused.value.exit_code == 2
    assert_nothing_left(repo, base)
    assert "Newhost" not in (repo / TROP02_DEFAULT).read_text()


def test_commit_msg_can_refuse_or_edit_the_message(repo: Path) -> None:
    hook(repo, "commit-msg", 'grep -q "^Ticket:" "$1" || { echo "no Ticket: line"; exit 1; }\n')
    base = head(repo)
    with pytest.raises(RefusedError, match="commit-msg: no Ticket: line"):
        ReservationService(repo).add(NEWHOST)
    assert_nothing_left(repo, base)

    hook(repo, "commit-msg", 'printf "\\nTicket: OPS-1\\n" >> "$1"\n')
    ReservationService(repo).add(NEWHOST)
    message = git(repo, "log", "-1", "--format=%B")
    assert message.startswith("trop02/default: reserve Newhost")
    assert message.rstrip().endswith("Ticket: OPS-1")


def test_hooks_path_from_the_repo_config_is_honoured(repo: Path) -> None:
    git(repo, "config", "core.hooksPath", "site-hooks")
    hook(repo, "pre-commit", "echo refused by the site hook; exit 3\n", hooks_dir="site-hooks")
    git(repo, "add", "site-hooks")
    git(repo, "commit", "-q", "--no-verify", "-m", "site hooks")
    base = head(repo)
    with pytest.raises(RefusedError, match="exit 3"):
        ReservationService(repo).add(NEWHOST)
    assert_nothing_left(repo, base)


def test_no_verify_skips_the_hooks_as_git_does(repo: Path) -> None:
    hook(repo, "pre-commit", "exit 1\n")
    hook(repo, "commit-msg", "exit 1\n")
    base = head(repo)
    ReservationService(repo, verify=False).add(NEWHOST)
    assert git(repo, "rev-list", "--count", f"{base}..HEAD").strip() == "1"
    assert status(repo) == ""


def test_cli_reserve_refuses_exit_2_and_no_verify_commits(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hook(repo, "pre-commit", 'echo "names must be lower case"\nexit 1\n')
    base = head(repo)
    argv = ["reserve", "--repo", str(repo), "--host", "trop02", "--name", "Newhost"]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "pre-commit: names must be lower case" in err
    assert_nothing_left(repo, base)

    assert main([*argv, "--no-verify"]) == 0
    out, _ = capsys.readouterr()
    assert "committed" in out
    assert head(repo) != base


def test_a_git_without_hook_run_still_runs_the_hooks(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git before 2.36 has no ``git hook``: the hook file is run directly, same verdict."""
    real = GitRepo.run_git

    def old_git(self: GitRepo, *args: str, env: Mapping[str, str] | None = None) -> Any:
        if args[0] == "hook":
            return subprocess.CompletedProcess(args, 1, "", "git: 'hook' is not a git command.")
        return real(self, *args, env=env)

    monkeypatch.setattr(GitRepo, "run_git", old_git)
    hook(repo, "pre-commit", 'echo "old git, same check"; exit 1\n')
    base = head(repo)
    with pytest.raises(RefusedError, match="pre-commit: old git, same check"):
        ReservationService(repo).add(NEWHOST)
    assert_nothing_left(repo, base)
    (repo / ".git" / "hooks" / "pre-commit").unlink()
    ReservationService(repo).add(NEWHOST)  # no hook: the commit lands
    assert head(repo) != base
