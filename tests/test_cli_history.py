"""``history`` and ``revert`` as an operator runs them, on the sample repo."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import pytest
from test_cli_config import FakeApplier, git, run, snapshot

from tropconsole.cli import build_parser
from tropconsole.core.sample import TROP02_DEFAULT_XML, write_sample_repo

TROP02 = "src/cfg/tropo/trop02/etc/libvirt/qemu/networks/default.xml"
ULOV = "      <host mac='52:54:00:02:02:0A' ip='192.168.202.10' name='Ulov'/>\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample repo, git isolated from this machine's config (as test_cli_config does)."""
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_DIR", "EMAIL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("GIT_COMMITTER_EMAIL", raising=False)
    monkeypatch.delenv("GIT_INDEX_FILE", raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    dest = tmp_path / "repo"
    write_sample_repo(dest)
    git(dest, "config", "user.name", "Ada Operator")
    git(dest, "config", "user.email", "ada@example.org")
    return dest


def reserve(repo: Path, capsys: pytest.CaptureFixture[str], name: str = "Newhost") -> str:
    code, _, _ = run(repo, "reserve", "--host", "trop02", "--name", name, capsys=capsys)
    assert code == 0
    return git(repo, "rev-parse", "HEAD").strip()


def test_history_table_newest_first(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    added = reserve(repo, capsys)
    code, _, _ = run(repo, "unreserve", "--host", "trop03", "--name", "Morvalen", capsys=capsys)
    assert code == 0
    code, out, err = run(repo, "history", capsys=capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == [
        "COMMIT",
        "DATE",
        "AUTHOR",
        "HOST/NETWORK",
        "NAME",
        "MAC",
        "IP",
        "REVERT",
    ]
    newest = lines[1].split()
    assert newest[-6:] == [
        "trop03/default",
        "-",
        "Morvalen",
        "52:54:00:02:03:0b",
        "192.168.203.11",
        "yes",
    ]
    assert "Ada Operator" in lines[1]
    assert lines[2].startswith(added[:7]) and "+  Newhost" in lines[2]
    # the sample's first commit: 32 entries, one row each, the first one says "no"
    assert lines[3].rstrip().endswith("no") and len(lines) == 3 + 32


def test_history_json_host_filter_and_limit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    added = reserve(repo, capsys)
    code, out, _ = run(repo, "history", "--host", "trop02", "--json", capsys=capsys)
    assert code == 0
    commits = json.loads(out)
    assert commits[0]["commit"] == added and commits[0]["revertible"] is True
    assert commits[0]["changes"] == [
        {
            "action": "added",
            "host": "trop02",
            "network": "default",
            "name": "Newhost",
            "mac": "52:54:00:02:02:10",
            "ip": "192.168.202.16",
            "file": TROP02,
        }
    ]
    first = commits[-1]
    assert {c["host"] for c in first["changes"]} == {"trop02"}
    assert first["hidden_changes"] == 24 and "other files" in first["refusal"]
    code, out, _ = run(repo, "history", "--limit", "1", "--json", capsys=capsys)
    assert [c["commit"] for c in json.loads(out)] == [added]


def test_history_refusals(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(repo, "history", "--host", "trop9", capsys=capsys)
    assert code == 2 and out == "" and "unknown host 'trop9'" in err and err.count("\n") == 1
    code, _, err = run(repo, "history", "--limit", "0", capsys=capsys)
    assert code == 2 and "--limit 0" in err


def test_revert_dry_run_then_revert(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    added = reserve(repo, capsys)
    before = snapshot(repo)
    code, out, _ = run(repo, "revert", added[:7], "--dry-run", capsys=capsys)
    assert code == 0 and snapshot(repo) == before
    assert "-      <host mac='52:54:00:02:02:10' ip='192.168.202.16' name='Newhost'/>" in out
    assert out.splitlines()[-1] == (
        'dry run: would commit "trop02/default: unreserve Newhost 52:54:00:02:02:10 '
        f'192.168.202.16 (revert {added[:7]})"; nothing was written'
    )
    code, out, _ = run(repo, "revert", added, capsys=capsys)
    assert code == 0
    assert out.startswith("git: committed ") and f"(revert {added[:7]})" in out
    assert (repo / TROP02).read_text() == TROP02_DEFAULT_XML
    assert git(repo, "status", "--porcelain") == ""


def test_revert_refusals_are_one_line_exit_2(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    added = reserve(repo, capsys)
    first = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    before = snapshot(repo)
    cases = [
        (["--read-only", "revert", added], "read-only mode: reverting a reservation commit"),
        (["revert", first], "cannot revert: commit .* also changed other files"),
        (["revert", "0123abcd"], "no commit '0123abcd'"),
    ]
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(
        f'repo = "{repo}"\nread_only = true\n[hosts.trop02]\nssh_host = "192.0.2.2"\n'
    )
    cases.append((["--config", str(inventory), "revert", added], "read-only mode"))
    for argv, expected in cases:
        code, out, err = run(repo, *argv, capsys=capsys)
        assert code == 2 and out == "" and err.count("\n") == 1, (argv, err)
        assert err.startswith("tropconsole: ")
        assert re.search(expected, err), err
        assert snapshot(repo) == before


def test_revert_of_a_removed_add_names_the_reason(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    added = reserve(repo, capsys)
    assert run(repo, "unreserve", "--host", "trop02", "--name", "Newhost", capsys=capsys)[0] == 0
    before = snapshot(repo)
    code, _, err = run(repo, "revert", added, capsys=capsys)
    assert code == 2 and "no longer has the entry" in err and "it was removed or changed" in err
    assert snapshot(repo) == before


def test_revert_apply_goes_through_the_applier(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / TROP02).write_text(TROP02_DEFAULT_XML.replace(ULOV, ""))
    git(repo, "commit", "-qam", "drop Ulov")
    removed = git(repo, "rev-parse", "HEAD").strip()
    fake = types.ModuleType("tropconsole.remote.apply")
    fake.applier_from_args = lambda args: FakeApplier(False)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tropconsole.remote.apply", fake)
    code, out, _ = run(repo, "revert", removed, "--apply", capsys=capsys)
    assert code == 0
    assert out.splitlines() == [
        f"git: committed {git(repo, 'rev-parse', '--short=7', 'HEAD').strip()} "
        f"trop02/default: reserve Ulov 52:54:00:02:02:0a 192.168.202.10 (revert {removed[:7]})",
        "live: applied (live+config)",
    ]
    assert git(repo, "diff", "--numstat", "HEAD~1", "HEAD").strip() == f"1\t0\t{TROP02}"
    assert ULOV in (repo / TROP02).read_text()


def test_help_texts_say_what_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    for command, words in (
        ("history", ["--host", "--json", "--limit", "REVERT", "changed entry"]),
        ("revert", ["COMMIT", "--apply", "--dry-run", "--author", "merge", "exit 2", "read-only"]),
    ):
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        for word in words:
            assert word in out, (command, word)
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    top = capsys.readouterr().out
    assert "history" in top and "revert" in top
