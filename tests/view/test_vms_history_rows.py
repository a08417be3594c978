"""The VMs and History rows as plain data (no terminal): limits, lines, no-repo cells."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tropconsole.core.sample import write_sample_repo
from tropconsole.demo import DemoFleet
from tropconsole.view.history import read_history_rows
from tropconsole.view.vms import vm_view_rows

NOW = 1_800_000_000.0


def _commit(repo: Path, n: int) -> None:
    rel = "src/cfg/tropo/trop01/etc/libvirt/qemu/networks/default.xml"
    path = repo / rel
    entry = f"      <host mac='52:54:00:02:01:{0x40 + n:02x}' ip='192.168.201.{40 + n}'/>\n"
    path.write_text(path.read_text().replace("    </dhcp>\n", entry + "    </dhcp>\n", 1))
    env = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "-C", str(repo), "add", rel], check=True)
    subprocess.run(
        ["git", "-C", str(repo), *env, "commit", "-q", "--no-verify", "-m", f"n{n}"], check=True
    )


def test_history_is_read_up_to_the_limit_and_the_line_says_so(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_sample_repo(repo)
    for n in range(3):
        _commit(repo, n)
    rows, line = read_history_rows(repo, limit=2)
    assert [key.split("|")[0][:7] for key in rows.rows] == [
        c[:7] for c in _log(repo)[:2]
    ]  # newest first, two of them
    assert line.startswith("the newest 2 reservation commits, newest first")
    assert "tropconsole history --limit N" in line
    rows, line = read_history_rows(repo, limit=10)
    assert len({key.split("|")[0] for key in rows.rows}) == 4
    assert line == "4 reservation commits, newest first"


def _log(repo: Path) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%H"], capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_vms_without_a_config_repo_say_no_repo_instead_of_a_verdict(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_sample_repo(repo)
    source = DemoFleet(repo, clock=lambda: NOW, fixed_rtt_ms=0.4)
    try:
        rows = vm_view_rows(source.poll(), None, NOW)
    finally:
        source.close()
    verdicts = {row[4] for row in rows.rows.values()}
    assert verdicts == {("no repo", "dim")}
    assert len(rows.rows) == 40
