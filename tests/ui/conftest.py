"""Fixtures for the console tests: a fresh demo fleet per test, frozen clock, no blink."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tropconsole.core.service import ReservationService
from tropconsole.demo import DemoFleet
from tropconsole.ui.app import TropConsole, create_app

NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC; every age and expiry is relative to it
AUTHOR = "console test <test@example.invalid>"


def frozen() -> float:
    return NOW


@dataclass
class Console:
    app: TropConsole
    repo: Path
    source: DemoFleet
    service: ReservationService

    def log(self) -> list[str]:
        done = subprocess.run(
            ["git", "-C", str(self.repo), "log", "--format=%s"],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.splitlines()

    def head(self) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def show(self, rel: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.repo), "show", "HEAD", "--", rel],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One sample repo per session, copied per test (git init + commit costs ~50 ms)."""
    from tropconsole.core.sample import write_sample_repo

    dest = tmp_path_factory.mktemp("sample") / "repo"
    write_sample_repo(dest)
    return dest


@pytest.fixture
def make_console(sample_template: Path, tmp_path: Path) -> Iterator[Callable[..., Console]]:
    made: list[DemoFleet] = []

    def make(*, read_only: bool = False, failing: tuple[str, ...] = ()) -> Console:
        repo = tmp_path / f"repo{len(made)}"
        subprocess.run(["cp", "-a", str(sample_template), str(repo)], check=True)
        source = DemoFleet(
            repo, read_only=read_only, clock=frozen, failing=failing, fixed_rtt_ms=0.4
        )
        made.append(source)
        service = ReservationService(
            repo,
            read_only=read_only,
            applier=None if read_only else source.applier(),
            author=AUTHOR,
        )
        app = create_app(
            source,
            service,
            read_only=read_only,
            clock=frozen,
            demo=True,
            cursor_blink=False,
            autopoll=False,
        )
        return Console(app, repo, source, service)

    yield make
    for source in made:
        source.close()
