"""/etc/network/interfaces: trop02's published file read exactly; mistakes named by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tropconsole.core.errors import ConfigError
from tropconsole.core.interfaces import parse_interfaces
from tropconsole.core.sample import sample_files

TROP02 = "src/cfg/tropo/trop02/etc/network/interfaces"
PATH = "/repo/interfaces"


def refused(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_interfaces(text, PATH)
    assert info.value.path == PATH
    return info.value


def test_trop02_interfaces_parse_exactly() -> None:
    parsed = parse_interfaces(sample_files()[TROP02], TROP02)
    assert parsed.path == TROP02
    assert parsed.sources == ()
    assert [(s.name, s.family, s.method, s.auto) for s in parsed.stanzas] == [
        ("lo", "inet", "loopback", True),
        ("br0", "inet", "static", True),
        ("br1", "inet", "static", True),
    ]
    assert [b.name for b in parsed.bridges] == ["br0", "br1"]

    br0 = parsed.stanza("br0")
    assert br0 is not None
    assert (br0.address, br0.netmask, br0.network, br0.gateway, br0.broadcast) == (
        "129.215.175.97",
        "255.255.255.0",
        "129.215.175.0",
        "129.215.175.126",
        "129.215.175.255",
    )
    assert br0.dns_nameservers == ("195.194.120.1", "195.194.120.2")
    assert br0.dns_search == ("roe.ac.uk",)
    assert br0.bridge_ports == ("eth0",)
    assert br0.bridge_options == (
        ("bridge_fd", "0"),
        ("bridge_stp", "off"),
        ("bridge_maxwait", "0"),
    )
    assert br0.comment == "Public interface"
    assert br0.line == 8
    assert [name for name, _ in br0.options] == [
        "address",
        "netmask",
        "network",
        "gateway",
        "broadcast",
        "dns-nameservers",
        "dns-search",
        "bridge_ports",
        "bridge_fd",
        "bridge_stp",
        "bridge_maxwait",
    ]

    br1 = parsed.stanza("br1")
    assert br1 is not None
    assert (br1.address, br1.netmask, br1.network, br1.gateway, br1.broadcast) == (
        "192.168.137.233",
        "255.255.255.0",
        "192.168.137.0",
        None,
        "192.168.137.255",
    )
    assert br1.bridge_ports == ("eth1",)
    assert br1.dns_nameservers == ()
    assert br1.comment == "Private interface"

    lo = parsed.stanza("lo")
    assert lo is not None and not lo.is_bridge
    assert lo.comment is not None and lo.comment.endswith("The loopback network interface")


def test_auto_and_allow_lines_mark_stanzas_wherever_they_are() -> None:
    text = """iface eth0 inet dhcp
allow-hotplug eth0 eth1
iface eth1 inet manual
auto eth1
allow-auto eth2
iface eth2 inet6 auto
"""
    parsed = parse_interfaces(text, PATH)
    eth0, eth1, eth2 = parsed.stanzas
    assert (eth0.auto, eth0.allow) == (False, ("hotplug",))
    assert (eth1.auto, eth1.allow) == (True, ("hotplug",))
    assert (eth2.auto, eth2.family, eth2.method) == (True, "inet6", "auto")
    assert parsed.stanza("eth2") is None
    assert parsed.stanza("eth2", "inet6") is eth2


def test_continuation_lines_are_joined_and_keep_the_first_line_number() -> None:
    text = (
        "auto br0\n"
        "iface br0 \\\n  inet static\n"
        "    address 10.0.0.2\n"
        "    bridge_ports eth0 \\\n      eth1\n"
    )
    (br0,) = parse_interfaces(text, PATH).stanzas
    assert br0.line == 2
    assert br0.bridge_ports == ("eth0", "eth1")


def test_source_lines_are_reported_not_followed(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.write_text("address 10.0.0.1\n")  # an error, if it were read
    text = f"source {broken}\nsource-directory {tmp_path}\nauto lo\niface lo inet loopback\n"
    parsed = parse_interfaces(text, PATH)
    assert [(s.keyword, s.pattern, s.line) for s in parsed.sources] == [
        ("source", str(broken), 1),
        ("source-directory", str(tmp_path), 2),
    ]
    assert [s.name for s in parsed.stanzas] == ["lo"]


def test_mapping_stanzas_are_skipped() -> None:
    text = """mapping eth0
    script /usr/local/sbin/map-scheme
    map HOME eth0-home
iface eth0-home inet static
    address 192.168.1.2/24
"""
    (stanza,) = parse_interfaces(text, PATH).stanzas
    assert stanza.name == "eth0-home"
    assert (stanza.address, stanza.netmask) == ("192.168.1.2", "255.255.255.0")


def test_cidr_addresses_split_into_address_and_netmask() -> None:
    text = "iface br0 inet6 static\n    address 2001:db8::2/64\n"
    (v6,) = parse_interfaces(text, PATH).stanzas
    assert (v6.address, v6.netmask) == ("2001:db8::2", "64")
    same = "iface br0 inet static\n  address 10.0.0.5/16\n  netmask 255.255.0.0\n"
    assert parse_interfaces(same, PATH).stanzas[0].netmask == "255.255.0.0"


def test_comments_attach_only_to_the_stanza_directly_below() -> None:
    text = """# not about anything

# Uplink
# (to the core switch)
auto eth0
iface eth0 inet dhcp
    # about the option, not a stanza
    hostname trop

iface eth1 inet manual
"""
    eth0, eth1 = parse_interfaces(text, PATH).stanzas
    assert eth0.comment == "Uplink\n(to the core switch)"
    assert eth1.comment is None
    assert eth0.options == (("hostname", "trop"),)


def test_every_option_is_kept_raw_in_file_order() -> None:
    text = """iface br0 inet static
\taddress 10.0.0.2
\tup ip route add 10.9.0.0/16 via 10.0.0.1
\tdns-nameservers 10.0.0.53
\tdns-nameservers 10.0.1.53 10.0.2.53
\tbridge-ports none
\tbridge_hw 52:54:00:aa:bb:cc
\tpost-up   echo  up
"""
    (br0,) = parse_interfaces(text, PATH).stanzas
    assert br0.options == (
        ("address", "10.0.0.2"),
        ("up", "ip route add 10.9.0.0/16 via 10.0.0.1"),
        ("dns-nameservers", "10.0.0.53"),
        ("dns-nameservers", "10.0.1.53 10.0.2.53"),
        ("bridge-ports", "none"),
        ("bridge_hw", "52:54:00:aa:bb:cc"),
        ("post-up", "echo  up"),
    )
    assert br0.dns_nameservers == ("10.0.0.53", "10.0.1.53", "10.0.2.53")
    assert br0.bridge_ports == ("none",)
    assert br0.bridge_options == (("bridge_hw", "52:54:00:aa:bb:cc"),)


def test_windows_line_endings_are_read() -> None:
    (lo,) = parse_interfaces("auto lo\r\niface lo inet loopback\r\n", PATH).stanzas
    assert lo.auto


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("# header\naddress 10.0.0.1\n", 2, "outside any iface"),
        (
            "iface br0 inet static\n  address 10.0.0.1\nauto br0\n  gateway 10.0.0.254\n",
            4,
            "outside",
        ),
        ("auto lo\niface lo inet\n", 2, "needs a name, a family and a method"),
        ("iface eth0 inet auto\n", 1, "unknown method 'auto' for inet"),
        ("iface eth0 inet6 bootp\n", 1, "unknown method 'bootp' for inet6"),
        ("iface eth0 ipv4 static\n", 1, "unknown address family"),
        ("iface eth0 inet static extra\n", 1, "'extra'"),
        ("iface eth0 inet static\n  address 10.0.0.300\n", 2, "not an IP address"),
        ("iface eth0 inet static\n  address 2001:db8::1\n", 2, "not an IPv4 address"),
        ("iface eth0 inet static\n  netmask 255.0.255.0\n", 2, "not a valid inet netmask"),
        ("iface eth0 inet static\n  address 10.0.0.1/33\n", 2, "address/prefix"),
        ("iface e inet static\n  address 10.0.0.1/24\n  netmask 255.255.0.0\n", 2, "keep one"),
        ("iface eth0 inet static\n  bridge_ports\n", 2, "has no value"),
        ("auto\n", 1, "names no interface"),
    ],
)
def test_mistakes_are_refused_with_their_line(text: str, line: int, words: str) -> None:
    err = refused(text)
    assert err.line == line
    assert words in err.problem
    assert err.message.startswith(f"{PATH}:{line}: ")


def test_ipv4_prefix_length_netmask_reads_dotted_like_cidr() -> None:
    (eth0,) = parse_interfaces("iface eth0 inet static\n  netmask 24\n", PATH).stanzas
    assert eth0.netmask == "255.255.255.0"
    assert eth0.options == (("netmask", "24"),)
