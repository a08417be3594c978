"""Readable but suspicious config: warned about in the FleetConfig, never fatal."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tropconsole.core.configrepo import interfaces_path, load_fleet, network_path
from tropconsole.core.sample import write_sample_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "heliodines"
    write_sample_repo(dest)
    return dest


def test_the_sample_repo_has_no_warnings(repo: Path) -> None:
    assert load_fleet(repo).warnings == ()


def test_a_network_file_linked_from_outside_the_repo_is_warned_about(
    repo: Path, tmp_path: Path
) -> None:
    inside = network_path(repo, "trop02", "bridged")
    outside = tmp_path / "elsewhere" / "bridged.xml"
    outside.parent.mkdir()
    shutil.move(inside, outside)
    inside.symlink_to(outside)
    fleet = load_fleet(repo)
    assert fleet.host("trop02") is not None  # still read
    assert fleet.warnings == (
        f"{inside}: read through a link to {outside.resolve()}, outside the config repo; "
        "git does not track what is read there (copy the file into the repo)",
    )


def test_links_inside_the_repo_are_fine_and_interfaces_are_checked_too(
    repo: Path, tmp_path: Path
) -> None:
    net = network_path(repo, "trop03", "bridged")
    net.unlink()
    net.symlink_to(os.path.relpath(network_path(repo, "trop04", "bridged"), net.parent))
    ifaces = interfaces_path(repo, "trop01")
    outside = tmp_path / "interfaces"
    shutil.move(ifaces, outside)
    ifaces.symlink_to(outside)
    warnings = load_fleet(repo).warnings
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{ifaces}: read through a link to {outside}")


def test_a_host_missing_default_xml_is_warned_about(repo: Path) -> None:
    missing = network_path(repo, "trop03", "default")
    missing.unlink()
    fleet = load_fleet(repo)
    assert [n.name for n in fleet.host("trop03").networks] == ["bridged"]  # type: ignore[union-attr]
    assert fleet.warnings == (
        f"trop03: no network file default.xml (expected {missing}; "
        "trop01, trop02, trop04 have one)",
    )


def test_a_network_every_other_host_has_is_expected_too(repo: Path) -> None:
    network_path(repo, "trop04", "bridged").unlink()
    assert load_fleet(repo).warnings == (
        f"trop04: no network file bridged.xml (expected "
        f"{network_path(repo, 'trop04', 'bridged')}; trop01, trop02, trop03 have one)",
    )
