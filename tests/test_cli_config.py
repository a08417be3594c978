"""``hosts``, ``reservations``, ``reserve``, ``unreserve`` as an operator runs them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from tropconsole.cli import main
from tropconsole.core.errors import RemoteError
from tropconsole.core.models import Reservation
from tropconsole.core.sample import TROP02_DEFAULT_XML, write_sample_repo

TROP02 = "src/cfg/tropo/trop02/etc/libvirt/qemu/networks/default.xml"
TROP03 = "src/cfg/tropo/trop03/etc/libvirt/qemu/networks/default.xml"
LINE = "      <host mac='52:54:00:02:02:10' ip='192.168.202.16' name='Newhost'/>"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample repo, with git isolated from this machine's config and identity."""
    for var in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_DIR",
        "GIT_INDEX_FILE",
        "EMAIL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    dest = tmp_path / "repo"
    write_sample_repo(dest)
    git(dest, "config", "user.name", "Ada Operator")
    git(dest, "config", "user.email", "ada@example.org")
    return dest


def run(repo: Path | None, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([*(["--repo", str(repo)] if repo else []), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(repo: Path) -> tuple[str, str]:
    return git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")


def test_hosts_table(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(repo, "hosts", capsys=capsys)
    assert code == 0
    trop02 = next(line for line in out.splitlines() if line.startswith("trop02"))
    for cell in (
        "52:54:00:02:02:xx",
        "192.168.202.0/24",
        "br0=129.215.175.97/24",
        "br1=192.168.137.233/24",
        "bridged(0)",
        "default(8)",
    ):
        assert cell in trop02
    assert len(out.splitlines()) == 5


def test_reservations_json_and_filter(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(repo, "reservations", "--json", capsys=capsys)
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 32
    ulov = next(r for r in rows if r["name"] == "Ulov")
    assert ulov == {
        "host": "trop02",
        "network": "default",
        "name": "Ulov",
        "mac": "52:54:00:02:02:0a",
        "ip": "192.168.202.10",
        "file": str(repo / TROP02),
        "line": 16,
    }
    code, out, _ = run(repo, "reservations", "--host", "trop03", capsys=capsys)
    assert code == 0 and len(out.splitlines()) == 9 and "trop02" not in out


def test_golden_reserve_and_unreserve(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    code, out, err = run(repo, "reserve", "--host", "trop02", "--name", "Newhost", capsys=capsys)
    assert code == 0, err
    new = git(repo, "rev-parse", "HEAD").strip()
    subject = "trop02/default: reserve Newhost 52:54:00:02:02:10 192.168.202.16"
    assert out == f"git: committed {new[:7]} {subject}\n"
    assert err.startswith("warning: ip: 192.168.202.16 is outside the DHCP range")
    assert git(repo, "rev-list", "--count", f"{base}..HEAD").strip() == "1"
    assert git(repo, "diff", "--numstat", "HEAD~1", "HEAD") == f"1\t0\t{TROP02}\n"
    assert f"\n+{LINE}\n" in git(repo, "diff", "HEAD~1", "HEAD")
    assert (
        git(repo, "log", "-1", "--format=%an <%ae>|%s")
        == f"Ada Operator <ada@example.org>|{subject}\n"
    )

    code, out, err = run(repo, "unreserve", "--host", "trop02", "--name", "Newhost", capsys=capsys)
    assert code == 0, err
    assert (repo / TROP02).read_bytes() == TROP02_DEFAULT_XML.encode()
    assert git(repo, "diff", base, "HEAD") == ""


def test_reserve_with_author_mac_and_ip(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        repo,
        "reserve",
        "--host",
        "trop03",
        "--name",
        "db1",
        "--mac",
        "52-54-00-02-03-20",
        "--ip",
        "192.168.203.32",
        "--author",
        "Grace Hopper <grace@example.org>",
        capsys=capsys,
    )
    assert code == 0, err
    assert (
        git(repo, "log", "-1", "--format=%an <%ae>|%s")
        == "Grace Hopper <grace@example.org>|trop03/default: reserve db1 52:54:00:02:03:20 "
        "192.168.203.32\n"
    )


def test_dry_run_prints_the_diff_and_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(repo)
    code, out, _ = run(
        repo, "reserve", "--host", "trop02", "--name", "Newhost", "--dry-run", capsys=capsys
    )
    assert code == 0
    assert f"--- a/{TROP02}\n+++ b/{TROP02}\n" in out and f"\n+{LINE}\n" in out
    assert "nothing was written" in out
    code, out, _ = run(
        repo, "unreserve", "--host", "trop02", "--ip", "192.168.202.10", "--dry-run", capsys=capsys
    )
    assert code == 0 and "\n-      <host mac='52:54:00:02:02:0A'" in out
    assert snapshot(repo) == before


def break_file(repo: Path, rel: str, text: str) -> None:
    (repo / rel).write_text(text)
    git(repo, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qam", "broken")


BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n'
    "<network><name>&lol3;</name></network>\n"
)
TWO_DHCP = TROP02_DEFAULT_XML.replace(
    "  </ip>\n",
    "  </ip>\n  <ip address='10.9.0.1' prefix='24'>\n    <dhcp>\n"
    "      <range start='10.9.0.8' end='10.9.0.9'/>\n    </dhcp>\n  </ip>\n",
)


@pytest.mark.parametrize(
    ("setup", "argv", "expected"),
    [
        (
            (TROP03, "<network><name>default</name>\n<ip>\n</network>\n"),
            ["--host", "trop02", "--name", "x1"],
            rf"{TROP03}:3: malformed XML",
        ),
        ((TROP03, BOMB), ["--host", "trop02", "--name", "x1"], rf"{TROP03}:2: DOCTYPE"),
        ((TROP02, TWO_DHCP), ["--host", "trop02", "--name", "x1"], "second ipv4 <ip> with <dhcp>"),
        (None, ["--host", "trop07", "--name", "x1"], "unknown host 'trop07'"),
        (
            None,
            ["--host", "trop02", "--name", "x1", "--mac", "52:54:00:02:03:40"],
            "in trop03's range 52:54:00:02:03:xx",
        ),
        (
            None,
            ["--host", "trop02", "--name", "Calenwyth"],
            r"'Calenwyth' is already used by Calenwyth .* on trop01/default",
        ),
        (
            None,
            ["--host", "trop02", "--name", "x1", "--ip", "192.168.202.255"],
            "broadcast address",
        ),
        (
            None,
            ["--host", "trop02", "--name", "x1", "--author", "nobody"],
            "Full Name <user@example.org>",
        ),
    ],
    ids=[
        "malformed-xml",
        "entity-bomb",
        "two-dhcp-ips",
        "unknown-host",
        "foreign-mac",
        "duplicate-name-other-host",
        "broadcast-ip",
        "bad-author",
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_change(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    setup: tuple[str, str] | None,
    argv: list[str],
    expected: str,
) -> None:
    if setup is not None:
        break_file(repo, *setup)
    before = snapshot(repo)
    code, out, err = run(repo, "reserve", *argv, capsys=capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("tropconsole: ")
    assert re.search(expected, err), err
    assert snapshot(repo) == before


def test_dirty_file_and_read_only_are_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        repo, "--read-only", "reserve", "--host", "trop02", "--name", "x1", capsys=capsys
    )
    assert code == 2 and "read-only mode" in err
    (repo / TROP02).write_text(TROP02_DEFAULT_XML + "<!-- wip -->\n")
    before = snapshot(repo)
    code, _, err = run(repo, "unreserve", "--host", "trop02", "--name", "Ulov", capsys=capsys)
    assert code == 2 and "uncommitted changes" in err
    assert snapshot(repo) == before


def test_unreserve_unknown_entry(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(repo)
    code, _, err = run(
        repo, "unreserve", "--host", "trop02", "--mac", "52:54:00:02:02:77", capsys=capsys
    )
    assert code == 2 and "no reservation with mac 52:54:00:02:02:77" in err
    assert snapshot(repo) == before


def test_unknown_host_and_missing_repo_for_reads(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(repo, "reservations", "--host", "trop9", capsys=capsys)
    assert code == 2 and "unknown host 'trop9'" in err and err.count("\n") == 1
    code, _, err = run(tmp_path / "nowhere", "hosts", capsys=capsys)
    assert code == 2 and "config repo not found" in err


def test_no_repo_is_a_clear_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    code, _, err = run(None, "hosts", capsys=capsys)
    assert code == 2 and "pass --repo PATH" in err


class FakeApplier:
    read_only = False

    def __init__(self, fail: bool) -> None:
        self.fail = fail

    def add_reservation(self, host: str, network: str, reservation: Reservation) -> str:
        if self.fail:
            raise RemoteError(host, "ssh: connection refused")
        return "live+config"

    remove_reservation = add_reservation


@pytest.mark.parametrize("fail", [False, True], ids=["applied", "live-failed"])
def test_apply_reports_each_step(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fail: bool
) -> None:
    fake = types.ModuleType("tropconsole.remote.apply")
    fake.applier_from_args = lambda args: FakeApplier(fail)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tropconsole.remote.apply", fake)
    code, out, _ = run(
        repo, "reserve", "--host", "trop02", "--name", "Newhost", "--apply", capsys=capsys
    )
    lines = out.splitlines()
    assert lines[0].startswith("git: committed ")
    if fail:
        assert code == 1
        assert lines[1].startswith(
            "live: FAILED: trop02: ssh: connection refused "
            "(the commit stands; retry with: virsh net-update default"
        )
    else:
        assert code == 0 and lines[1] == "live: applied (live+config)"
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "2"


def test_read_commands_warn_on_stderr_one_line_each_and_keep_json_clean(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / TROP03).unlink()
    bridged = repo / TROP02.replace("default.xml", "bridged.xml")
    outside = tmp_path / "bridged.xml"
    outside.write_bytes(bridged.read_bytes())
    bridged.unlink()
    bridged.symlink_to(outside)
    for argv in (["hosts"], ["reservations"], ["reservations", "--json"]):
        code, out, err = run(repo, *argv, capsys=capsys)
        assert code == 0
        lines = err.splitlines()
        assert len(lines) == 2, err
        assert lines[0].startswith(f"tropconsole: warning: {bridged}: read through a link to")
        assert lines[1].startswith("tropconsole: warning: trop03: no network file default.xml")
        if "--json" in argv:
            assert isinstance(json.loads(out), list)
