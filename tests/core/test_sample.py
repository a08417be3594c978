"""The sample repo: trop02 as published, the rest by the same scheme, made the same way."""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path

import pytest

from tropconsole.cli import main
from tropconsole.core.configrepo import interfaces_path, load_fleet, network_path
from tropconsole.core.errors import RefusedError
from tropconsole.core.sample import (
    SAMPLE_AUTHOR_EMAIL,
    SAMPLE_AUTHOR_NAME,
    TROP02_DEFAULT_XML,
    render_default_xml,
    write_sample_repo,
)

# trop02's files as the service-deployment notes print them (indentation lost there).
SEED_INTERFACES = """\
# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).
# The loopback network interface
auto lo
iface lo inet loopback
# Public interface
auto br0
iface br0 inet static
address 129.215.175.97
netmask 255.255.255.0
network 129.215.175.0
gateway 129.215.175.126
broadcast 129.215.175.255
# dns-* options are implemented by the resolvconf package, if installed
dns-nameservers 195.194.120.1 195.194.120.2
dns-search roe.ac.uk
# Configure bridge port and STP.
bridge_ports eth0
bridge_fd 0
bridge_stp off
bridge_maxwait 0
# Private interface
auto br1
iface br1 inet static
address 192.168.137.233
netmask 255.255.255.0
network 192.168.137.0
broadcast 192.168.137.255
# Configure bridge port and STP.
bridge_ports eth1
bridge_fd 0
bridge_stp off
bridge_maxwait 0
"""

SEED_DEFAULT_XML = """\
<network ipv6='yes'>
<name>default</name>
<uuid/>
<forward mode='nat'>
<nat>
<port start='1024' end='65535'/>
</nat>
</forward>
<bridge name='virbr0' stp='off' delay='0'/>
<mac address='52:54:00:02:02:01'/>
<ip family='ipv4' address='192.168.202.1' netmask='255.255.255.0'>
<dhcp>
<range start='192.168.202.8' end='192.168.202.15'/>
<host mac='52:54:00:02:02:08' ip='192.168.202.8' name='Araybwyn'/>
<host mac='52:54:00:02:02:09' ip='192.168.202.9' name='Lothigometh'/>
<host mac='52:54:00:02:02:0A' ip='192.168.202.10' name='Ulov'/>
<host mac='52:54:00:02:02:0B' ip='192.168.202.11' name='Dwiema'/>
<host mac='52:54:00:02:02:0C' ip='192.168.202.12' name='Ibalehar'/>
<host mac='52:54:00:02:02:0D' ip='192.168.202.13' name='Eterathiel'/>
<host mac='52:54:00:02:02:0E' ip='192.168.202.14' name='Siamond'/>
<host mac='52:54:00:02:02:0F' ip='192.168.202.15' name='Acilamwen'/>
</dhcp>
</ip>
</network>
"""

SEED_BRIDGED_XML = """\
<network ipv6='yes'>
<name>bridged</name>
<uuid/>
<forward mode='bridge'/>
<bridge name='br0'/>
</network>
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("sample") / "heliodines"
    write_sample_repo(dest)
    return dest


def test_one_clean_commit_by_the_sample_author_on_main(repo: Path) -> None:
    assert git(repo, "log", "--format=%an <%ae>") == f"{SAMPLE_AUTHOR_NAME} <{SAMPLE_AUTHOR_EMAIL}>"
    assert git(repo, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert git(repo, "status", "--porcelain") == ""


def test_returned_head_is_the_commit_and_is_reproducible(repo: Path, tmp_path: Path) -> None:
    again = write_sample_repo(tmp_path / "again")
    assert again == git(repo, "rev-parse", "HEAD")


def test_readme_labels_it_sample_data(repo: Path) -> None:
    assert "SAMPLE DATA" in (repo / "README.md").read_text()


def indents(text: str) -> list[int]:
    return [len(line) - len(line.lstrip(" ")) for line in text.splitlines()]


@pytest.mark.parametrize(
    ("rel", "seed"),
    [
        ("etc/network/interfaces", SEED_INTERFACES),
        ("etc/libvirt/qemu/networks/default.xml", SEED_DEFAULT_XML),
        ("etc/libvirt/qemu/networks/bridged.xml", SEED_BRIDGED_XML),
    ],
)
def test_trop02_files_are_the_published_lines(repo: Path, rel: str, seed: str) -> None:
    text = (repo / "src/cfg/tropo/trop02" / rel).read_text()
    assert [line.strip() for line in text.splitlines()] == seed.splitlines()
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "\t" not in text


def test_trop02_indentation_is_the_documented_one(repo: Path) -> None:
    default = network_path(repo, "trop02", "default").read_text()
    assert indents(default) == [0, 2, 2, 2, 4, 6, 4, 2, 2, 2, 2, 4, 6] + [6] * 8 + [4, 2, 0]
    assert "      <host mac='52:54:00:02:02:0A' ip='192.168.202.10' name='Ulov'/>\n" in default
    interfaces = interfaces_path(repo, "trop02").read_text()
    for line, indent in zip(interfaces.splitlines(), indents(interfaces), strict=True):
        top_level = (
            line.startswith(("auto", "iface", "# Public", "# Private"))
            or line in (SEED_INTERFACES.splitlines()[:3])
        )
        assert indent == (0 if top_level else 4), line


def test_the_scheme_reproduces_trop02() -> None:
    assert render_default_xml(2) == TROP02_DEFAULT_XML


def test_every_host_follows_the_allocation_scheme(repo: Path) -> None:
    fleet = load_fleet(repo)
    names: list[str] = []
    br0s, br1s = set(), set()
    for host in fleet.hosts:
        n = host.index
        default = host.network("default")
        assert default is not None and default.dhcp_ip is not None
        assert default.mac == f"52:54:00:02:0{n}:01"
        assert default.dhcp_ip.address == f"192.168.20{n}.1"
        (rng,) = default.dhcp_ip.ranges
        assert (rng.start, rng.end) == (f"192.168.20{n}.8", f"192.168.20{n}.15")
        assert [(r.mac, r.ip) for r in default.reservations] == [
            (f"52:54:00:02:0{n}:{o:02x}", f"192.168.20{n}.{o}") for o in range(8, 16)
        ]
        names.extend(r.name or "" for r in default.reservations)
        assert host.interfaces is not None
        br0, br1 = host.interfaces.stanza("br0"), host.interfaces.stanza("br1")
        assert br0 is not None and br1 is not None
        assert ipaddress.ip_address(br0.address or "") in ipaddress.ip_network("129.215.175.0/24")
        assert br0.gateway == "129.215.175.126" and br0.address != br0.gateway
        assert ipaddress.ip_address(br1.address or "") in ipaddress.ip_network("192.168.137.0/24")
        br0s.add(br0.address)
        br1s.add(br1.address)
    assert len(names) == 32 and len(set(n.lower() for n in names)) == 32
    assert len(br0s) == 4 and len(br1s) == 4


def test_non_empty_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep")
    with pytest.raises(RefusedError):
        write_sample_repo(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_operator_git_config_cannot_break_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = tmp_path / "gitconfig"
    hostile.write_text("[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = false\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(hostile))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert len(write_sample_repo(tmp_path / "repo")) == 40


def test_cli_creates_and_refuses_non_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "new"
    assert main(["sample-repo", str(dest)]) == 0
    assert git(dest, "rev-parse", "HEAD") in capsys.readouterr().out
    assert main(["sample-repo", str(dest)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not empty" in err
