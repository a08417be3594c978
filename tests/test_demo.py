"""The embedded demo fleet leaves nothing behind on disk, even when it is never closed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tropconsole.core.live import HostState
from tropconsole.core.sample import write_sample_repo
from tropconsole.demo import DemoFleet


def test_demo_fleet_keeps_no_files_and_still_polls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    repo = tmp_path / "repo"
    write_sample_repo(repo)
    fleet = DemoFleet(repo, read_only=True)
    try:
        assert list(scratch.iterdir()) == []  # node files gone once the connections opened
        snap = fleet.poll()
        assert [h.state for h in snap.hosts] == [HostState.OK] * 4
        assert all(h.snapshot and h.snapshot.network("default") for h in snap.hosts)
    finally:
        fleet.close()
