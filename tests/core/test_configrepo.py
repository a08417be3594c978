"""Reading the whole config repo: every host, HEAD, and clear refusals of a wrong --repo."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tropconsole.core.configrepo import (
    HOSTS_DIR,
    host_index,
    interfaces_path,
    load_fleet,
    network_path,
)
from tropconsole.core.errors import ConfigError
from tropconsole.core.sample import write_sample_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "heliodines"
    write_sample_repo(dest)
    return dest


def test_layout_helpers_match_heliodines() -> None:
    root = Path("/var/local/projects/heliodines/git")
    assert HOSTS_DIR == "src/cfg/tropo"
    assert interfaces_path(root, "trop02") == Path(
        "/var/local/projects/heliodines/git/src/cfg/tropo/trop02/etc/network/interfaces"
    )
    assert network_path(root, "trop02", "default") == Path(
        "/var/local/projects/heliodines/git/src/cfg/tropo/trop02/etc/libvirt/qemu/networks/default.xml"
    )


@pytest.mark.parametrize(
    ("name", "index"), [("trop02", 2), ("trop4", 4), ("trop10", 10), ("gateway", None)]
)
def test_host_index_comes_from_trailing_digits(name: str, index: int | None) -> None:
    assert host_index(name) == index


def test_sample_fleet_loads_every_host_at_head(repo: Path) -> None:
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    fleet = load_fleet(repo)
    assert fleet.head == head
    assert fleet.repo == str(repo)
    assert [(h.name, h.index) for h in fleet.hosts] == [
        ("trop01", 1),
        ("trop02", 2),
        ("trop03", 3),
        ("trop04", 4),
    ]
    for host in fleet.hosts:
        assert host.interfaces is not None
        assert host.root == str(repo / HOSTS_DIR / host.name)
        assert [n.name for n in host.networks] == ["bridged", "default"]
        assert host.networks[1].path == str(network_path(repo, host.name, "default"))


def test_trop02_reads_as_published(repo: Path) -> None:
    trop02 = load_fleet(repo).host("trop02")
    assert trop02 is not None and trop02.interfaces is not None
    br0 = trop02.interfaces.stanza("br0")
    br1 = trop02.interfaces.stanza("br1")
    assert br0 is not None and br1 is not None
    assert (br0.address, br0.netmask, br0.gateway, br0.bridge_ports) == (
        "129.215.175.97",
        "255.255.255.0",
        "129.215.175.126",
        ("eth0",),
    )
    assert (br1.address, br1.bridge_ports) == ("192.168.137.233", ("eth1",))
    default = trop02.network("default")
    assert default is not None and default.dhcp_ip is not None
    (rng,) = default.dhcp_ip.ranges
    assert (rng.start, rng.end) == ("192.168.202.8", "192.168.202.15")
    assert [h.name for h in default.reservations] == [
        "Araybwyn",
        "Lothigometh",
        "Ulov",
        "Dwiema",
        "Ibalehar",
        "Eterathiel",
        "Siamond",
        "Acilamwen",
    ]
    bridged = trop02.network("bridged")
    assert bridged is not None and (bridged.forward_mode, bridged.bridge) == ("bridge", "br0")


def test_plain_copy_without_git_loads_with_no_head(repo: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy, ignore=shutil.ignore_patterns(".git"))
    fleet = load_fleet(copy)
    assert fleet.head is None
    assert len(fleet.hosts) == 4


def test_unborn_repo_has_no_head(repo: Path) -> None:
    shutil.rmtree(repo / ".git")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert load_fleet(repo).head is None


def test_missing_interfaces_file_is_none_and_missing_networks_empty(repo: Path) -> None:
    interfaces_path(repo, "trop03").unlink()
    shutil.rmtree(network_path(repo, "trop04", "default").parent)
    fleet = load_fleet(repo)
    trop03, trop04 = fleet.host("trop03"), fleet.host("trop04")
    assert trop03 is not None and trop03.interfaces is None
    assert trop04 is not None and trop04.networks == ()


def test_missing_repo_is_refused_by_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_fleet(tmp_path / "nowhere")
    assert info.value.path == str(tmp_path / "nowhere")
    assert "not found" in info.value.problem


def test_directory_without_heliodines_layout_is_refused(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    with pytest.raises(ConfigError) as info:
        load_fleet(tmp_path)
    assert info.value.path == str(tmp_path)
    assert "src/cfg/tropo/<host>/" in info.value.problem


def test_empty_hosts_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / HOSTS_DIR).mkdir(parents=True)
    with pytest.raises(ConfigError) as info:
        load_fleet(tmp_path)
    assert "no host directories" in info.value.problem


def test_one_broken_file_fails_the_load_naming_file_and_line(repo: Path) -> None:
    path = network_path(repo, "trop03", "default")
    path.write_text(path.read_text().replace("</dhcp>", "</dhcpp>"))
    with pytest.raises(ConfigError) as info:
        load_fleet(repo)
    assert info.value.path == str(path)
    assert info.value.line == 22


def test_network_named_differently_from_its_file_is_refused(repo: Path) -> None:
    path = network_path(repo, "trop01", "bridged")
    path.write_text(path.read_text().replace("<name>bridged</name>", "<name>public</name>"))
    with pytest.raises(ConfigError) as info:
        load_fleet(repo)
    assert info.value.path == str(path)
    assert "public.xml" in info.value.problem


def test_non_utf8_file_is_refused_by_path(repo: Path) -> None:
    path = interfaces_path(repo, "trop01")
    path.write_bytes(b"# caf\xe9\nauto lo\n")
    with pytest.raises(ConfigError) as info:
        load_fleet(repo)
    assert info.value.path == str(path)
    assert "UTF-8" in info.value.problem


def test_copy_inside_another_checkout_does_not_borrow_its_head(repo: Path, tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    write_sample_repo(outer)
    inner = outer / "inner"
    shutil.copytree(repo, inner, ignore=shutil.ignore_patterns(".git"))
    assert load_fleet(inner).head is None
    assert load_fleet(outer).head is not None
