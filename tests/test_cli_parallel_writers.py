"""Several ``tropconsole reserve`` processes at once on one repo, as two operators and a
script would: each reservation lands exactly once or is refused for its own reason;
none is lost, doubled, or refused because of another writer's half-done write."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from core.gitkit import TROP02_DEFAULT, git, head, isolate_git, make_repo, status

from tropconsole.core.netxml import parse_network

NAMES = [f"par{i}" for i in range(6)]
DUPLICATE = "par0"  # asked for twice: one lands, the other is told the name is taken


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_git(monkeypatch, tmp_path / "home")
    return make_repo(tmp_path / "repo")


def _start(repo: Path, name: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "tropconsole", "reserve", "--host", "trop02", "--name", name]
    return subprocess.Popen(
        [*argv, "--repo", str(repo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


@pytest.mark.parametrize("round_", range(3))
def test_parallel_reserves_land_once_or_are_refused_for_their_own_reason(
    repo: Path, round_: int
) -> None:
    base = head(repo)
    procs = [(name, _start(repo, name)) for name in [*NAMES, DUPLICATE]]
    results = []
    for name, proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append((name, proc.returncode, out, err))
    landed = [name for name, code, _, _ in results if code == 0]
    refused = [(name, err) for name, code, _, err in results if code != 0]

    # Every distinct name landed once; the only refusal is the duplicate, for its name.
    assert sorted(landed) == sorted(NAMES), results
    assert len(refused) == 1, results
    name, err = refused[0]
    assert name == DUPLICATE
    why = err.strip().splitlines()[-1]  # lines before it may say the writer waited
    assert why.startswith(f"tropconsole: name: {DUPLICATE!r} is already used by"), err
    assert "uncommitted" not in err, err
    for *_, err in results:
        assert "Traceback" not in err

    # git: one commit per landed reservation, on top of the base, nothing else.
    subjects = git(repo, "log", "--format=%s", f"{base}..HEAD").splitlines()
    assert Counter(s.split("reserve ")[1].split()[0] for s in subjects) == Counter(NAMES)
    assert all(s.startswith("trop02/default: reserve ") for s in subjects)
    # The file: each name once, with distinct MACs and IPs; worktree clean, no lock left.
    text = (repo / TROP02_DEFAULT).read_text()
    net = parse_network(text, TROP02_DEFAULT)
    names = Counter(r.name for r in net.reservations)
    assert all(names[n] == 1 for n in NAMES)
    assert len({r.mac for r in net.reservations}) == len(net.reservations)
    assert len({r.ip for r in net.reservations}) == len(net.reservations)
    assert git(repo, "show", f"HEAD:{TROP02_DEFAULT}") == text
    assert status(repo) == ""
    assert not (repo / ".git" / "tropconsole.lock").exists()


def test_a_writer_that_waits_says_so_in_one_line_then_lands(repo: Path) -> None:
    lock = repo / ".git" / "tropconsole.lock"
    lock.write_text("999999\n")
    proc = _start(repo, "waiter")
    deadline = time.monotonic() + 60
    line = proc.stderr.readline() if proc.stderr else ""
    assert time.monotonic() < deadline
    assert line.startswith("tropconsole: another tropconsole is writing ")
    assert line.rstrip().endswith("; waiting up to 10 s")
    lock.unlink()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "committed" in out and "waiter" in out
    assert "waiting" not in err  # said once only
