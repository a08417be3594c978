"""Collector pieces that need no lab: parsing, ssh_config resolution, the libvirt URI."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import paramiko
import pytest

from tropconsole.remote.inventory import load_inventory
from tropconsole.remote.libvirt_conn import LibvirtSession, parse_status_file
from tropconsole.remote.libvirt_uri import derive_uri
from tropconsole.remote.ssh import parse_links, resolve_target

IP_ADDR = [
    {
        "ifname": "br0",
        "operstate": "UP",
        "link_type": "ether",
        "address": "0c:c4:7a:35:01:06",
        "linkinfo": {"info_kind": "bridge"},
        "addr_info": [{"family": "inet", "local": "129.215.175.97", "prefixlen": 24}],
    },
    {
        "ifname": "eth0",
        "operstate": "UP",
        "link_type": "ether",
        "address": "0c:c4:7a:35:01:06",
        "master": "br0",
        "linkinfo": {"info_kind": "veth", "info_slave_kind": "bridge"},
        "addr_info": [],
    },
    {"ifname": "lo", "operstate": "UNKNOWN", "link_type": "loopback", "addr_info": []},
]


def test_links_join_addresses_kind_master_and_ports() -> None:
    links = {link.name: link for link in parse_links(json.dumps(IP_ADDR))}
    br0, eth0 = links["br0"], links["eth0"]
    assert br0.is_bridge and br0.ports == ("eth0",)
    assert [a.cidr for a in br0.addresses] == ["129.215.175.97/24"]
    assert eth0.master == "br0" and eth0.kind == "veth" and not eth0.is_bridge
    assert links["lo"].mac is None


def test_status_file_drops_expired_leases_and_keeps_infinite_ones() -> None:
    data = json.dumps(
        [
            {
                "ip-address": "192.168.201.8",
                "mac-address": "52:54:00:02:01:08",
                "hostname": "araybwyn",
                "expiry-time": 2000,
            },
            {"ip-address": "192.168.201.9", "mac-address": "52:54:00:02:01:09", "expiry-time": 500},
            {"ip-address": "192.168.201.10", "mac-address": "52:54:00:02:01:0A", "expiry-time": 0},
        ]
    ).encode()
    leases = parse_status_file("trop01", "default", data, now=1000)
    assert [(le.ip, le.mac, le.hostname, le.expiry) for le in leases] == [
        ("192.168.201.8", "52:54:00:02:01:08", "araybwyn", 2000),
        ("192.168.201.10", "52:54:00:02:01:0a", None, None),
    ]
    assert {le.source for le in leases} == {"status-file"}


@pytest.fixture
def ssh_inventory(tmp_path: Path) -> Path:
    (tmp_path / "ssh_config").write_text(
        "Host trop*\n"
        "    User admin\n"
        "    Port 2200\n"
        "    IdentityFile ~/.ssh/id_trop\n"
        "    UserKnownHostsFile /etc/trop/known_hosts\n"
        "Host trop02\n"
        "    HostName 10.0.0.2\n"
        "    ProxyJump jumper@bastion:2022\n"
        "Host bastion\n"
        "    HostName 10.9.9.9\n"
    )
    (tmp_path / "kh").write_text("")
    inv = tmp_path / "inventory.toml"
    inv.write_text(
        'ssh_config = "ssh_config"\nknown_hosts = ["kh"]\n'
        '[hosts.trop01]\nuser = "root"\nport = 22\nidentity = "id"\n'
        "[hosts.trop02]\n"
    )
    return inv


def test_ssh_config_and_inventory_merge_like_openssh(ssh_inventory: Path) -> None:
    inv = load_inventory(ssh_inventory)
    t1 = resolve_target(inv, inv.host("trop01"))
    assert (t1.hostname, t1.user, t1.port) == ("trop01", "root", 22)  # inventory wins
    assert t1.identities[0] == str(ssh_inventory.parent / "id")
    assert str(ssh_inventory.parent / "kh") in t1.known_hosts
    assert "/etc/trop/known_hosts" in t1.user_known_hosts
    t2 = resolve_target(inv, inv.host("trop02"))
    assert (t2.hostname, t2.user, t2.port) == ("10.0.0.2", "admin", 2200)
    assert t2.identities == (os.path.expanduser("~/.ssh/id_trop"),)
    assert t2.proxy_jump == ("jumper@bastion:2022",)
    hop = resolve_target(inv, None, jump=t2.proxy_jump[0])
    assert (hop.hostname, hop.user, hop.port) == ("10.9.9.9", "jumper", 2022)


def test_ssh_config_is_parsed_once_for_a_fleet_and_again_when_edited(
    ssh_inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = paramiko.SSHConfig.from_path

    def counting(path: str) -> paramiko.SSHConfig:
        parsed.append(path)
        return real(path)

    monkeypatch.setattr(paramiko.SSHConfig, "from_path", counting)
    inv = load_inventory(ssh_inventory)
    assert [resolve_target(inv, e).hostname for e in inv.hosts] == ["trop01", "10.0.0.2"]
    assert resolve_target(inv, inv.hosts[1]).port == 2200
    assert len(parsed) == 1
    config = ssh_inventory.parent / "ssh_config"
    config.write_text(config.read_text().replace("10.0.0.2", "10.0.0.22"))
    assert resolve_target(inv, inv.hosts[1]).hostname == "10.0.0.22"
    assert len(parsed) == 2


def test_derived_libvirt_uri_uses_a_strict_ssh_wrapper(ssh_inventory: Path, tmp_path: Path) -> None:
    inv = load_inventory(ssh_inventory)
    uri = derive_uri(inv, "trop01", wrapper_dir=tmp_path / "w")
    assert uri.startswith("qemu+ssh://root@trop01:22/system?no_tty=1&command=")
    assert f"keyfile={tmp_path / 'id'}" in uri
    wrapper = Path(uri.split("command=")[1].split("&")[0])
    assert stat.S_IMODE(wrapper.stat().st_mode) == 0o700
    config = Path(wrapper.read_text().split("-F ")[1].split()[0])
    text = config.read_text()
    lines = text.splitlines()
    # the strict options come before the operator's config: ssh keeps the first value
    include = lines.index(f'Include "{tmp_path / "ssh_config"}"')
    strict = ("StrictHostKeyChecking yes", "BatchMode yes", "UpdateHostKeys no", "ConnectTimeout 5")
    for option in strict:
        assert lines.index(option) < include
    assert str(tmp_path / "kh") in text and "/etc/trop/known_hosts" in text
    assert "StrictHostKeyChecking no" not in text and "accept-new" not in text
    # the alias host is left for ssh to resolve from the same ssh_config
    assert derive_uri(inv, "trop02", wrapper_dir=tmp_path / "w").startswith(
        "qemu+ssh://trop02/system?"
    )


def test_domain_nics_come_from_every_domain(tmp_path: Path) -> None:
    node = tmp_path / "node.xml"
    node.write_text(
        "<node><domain type='test'><name>guest1</name><memory>1024</memory><os><type>hvm</type>"
        "</os><devices><interface type='network'><mac address='52:54:00:02:01:0A'/>"
        "<source network='default'/></interface><interface type='bridge'>"
        "<mac address='52:54:00:02:01:0b'/><source bridge='br0'/></interface></devices>"
        "</domain></node>"
    )
    session = LibvirtSession("t", f"test://{node}", read_only=True)
    nics = session.read_nics()
    assert [(n.domain, n.mac, n.network, n.bridge) for n in nics] == [
        ("guest1", "52:54:00:02:01:0a", "default", None),
        ("guest1", "52:54:00:02:01:0b", None, "br0"),
    ]
    assert session.rpcs == 3  # listAllDomains, the paused listing (one runs), XMLDesc
    [first] = session.read_domains()
    [again] = session.read_domains()
    assert again is first  # the same XML is not parsed again
    assert (first.state, first.vcpus, first.memory_kib) == ("running", 1, 1024)
