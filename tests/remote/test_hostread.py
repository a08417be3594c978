"""The refresh's one command, its sections and their parsers (run by a real shell)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tropconsole.remote.hostread import (
    CHECKOUT,
    NEIGH,
    parse_checkout,
    parse_neighbours,
    refresh_command,
    split_sections,
)

NEIGH_JSON = [
    {
        "dst": "129.215.175.254",
        "dev": "br0",
        "lladdr": "52:54:00:02:01:B1",
        "used": 12,
        "confirmed": 7,
        "updated": 3,
        "probes": 0,
        "state": ["REACHABLE"],
    },
    {"dst": "fd00::1", "dev": "eth0", "used": 3606, "probes": 6, "state": ["FAILED"]},
    {"dev": "br0", "state": ["NOARP"]},  # no dst: skipped
]


def test_neighbours_keep_mac_state_and_ages() -> None:
    first, second = parse_neighbours(json.dumps(NEIGH_JSON))
    assert (second.ip, second.mac, second.state) == ("fd00::1", None, "FAILED")
    assert (first.ip, first.dev, first.mac) == ("129.215.175.254", "br0", "52:54:00:02:01:b1")
    assert (first.used, first.confirmed, first.updated) == (12, 7, 3)
    assert parse_neighbours("not json") == () and parse_neighbours("") == ()


def test_checkout_section() -> None:
    path = "/var/local/projects/heliodines/git"
    ok = parse_checkout("head abc\ndirty  M a.txt\n", path)
    assert (ok.head, ok.dirty, ok.error) == ("abc", True, None)
    assert parse_checkout("error git is not installed\n", path).error == "git is not installed"
    assert parse_checkout(None, path).head is None


def run_sh(command: str) -> str:
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False)
    return done.stdout


def test_the_command_reads_a_real_checkout_and_reports_a_missing_one(tmp_path: Path) -> None:
    repo = tmp_path / "git dir"  # a space: the path is quoted
    env = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "f").write_text("x\n")
    subprocess.run(["git", "-C", str(repo), "add", "f"], check=True)
    subprocess.run(["git", "-C", str(repo), *env, "commit", "-qm", "c"], check=True)
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    sections = split_sections(run_sh(refresh_command(str(repo))))
    assert json.loads(sections[""])  # ip -j -d addr: the links, as before
    assert isinstance(json.loads(sections[NEIGH].strip() or "[]"), list)
    clean = parse_checkout(sections[CHECKOUT], str(repo))
    assert (clean.head, clean.dirty, clean.error) == (head, False, None)
    (repo / "f").write_text("changed\n")
    dirty = parse_checkout(split_sections(run_sh(refresh_command(str(repo))))[CHECKOUT], "p")
    assert (dirty.head, dirty.dirty) == (head, True)
    assert not (repo / ".git/index.lock").exists()
    gone = split_sections(run_sh(refresh_command(str(tmp_path / "nope"))))
    assert parse_checkout(gone[CHECKOUT], "p").error == "no such directory"
    plain = tmp_path / "plain"
    plain.mkdir()
    bare = split_sections(run_sh(refresh_command(str(plain))))
    assert parse_checkout(bare[CHECKOUT], "p").error == "not a git checkout (no .git)"
