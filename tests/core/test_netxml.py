"""libvirt network XML: trop02's published files read exactly; hostile XML refused by line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tropconsole.core.errors import ConfigError
from tropconsole.core.netxml import normalize_mac, parse_network, parse_network_live, parse_xml
from tropconsole.core.sample import sample_files

DEFAULT = "src/cfg/tropo/trop02/etc/libvirt/qemu/networks/default.xml"
BRIDGED = "src/cfg/tropo/trop02/etc/libvirt/qemu/networks/bridged.xml"
PATH = "/repo/net.xml"

TROP02_HOSTS = [
    ("Araybwyn", "52:54:00:02:02:08", "192.168.202.8", 14),
    ("Lothigometh", "52:54:00:02:02:09", "192.168.202.9", 15),
    ("Ulov", "52:54:00:02:02:0a", "192.168.202.10", 16),
    ("Dwiema", "52:54:00:02:02:0b", "192.168.202.11", 17),
    ("Ibalehar", "52:54:00:02:02:0c", "192.168.202.12", 18),
    ("Eterathiel", "52:54:00:02:02:0d", "192.168.202.13", 19),
    ("Siamond", "52:54:00:02:02:0e", "192.168.202.14", 20),
    ("Acilamwen", "52:54:00:02:02:0f", "192.168.202.15", 21),
]


def refused(text: str, path: str | None = PATH) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_network(text, path)
    return info.value


def test_trop02_default_network_parses_exactly() -> None:
    net = parse_network(sample_files()[DEFAULT], DEFAULT)
    assert (net.name, net.uuid, net.forward_mode, net.bridge) == ("default", None, "nat", "virbr0")
    assert net.mac == "52:54:00:02:02:01"
    assert net.ipv6 is True
    assert net.path == DEFAULT
    (ip,) = net.ips
    assert (ip.family, ip.address, ip.netmask, ip.prefix) == (
        "ipv4",
        "192.168.202.1",
        "255.255.255.0",
        None,
    )
    assert ip.cidr == "192.168.202.1/24"
    assert ip.line == 11
    assert ip.has_dhcp
    assert [(r.start, r.end, r.line) for r in ip.ranges] == [
        ("192.168.202.8", "192.168.202.15", 13)
    ]
    assert [(h.name, h.mac, h.ip, h.line) for h in ip.hosts] == TROP02_HOSTS
    assert net.dhcp_ip is ip
    assert len(net.reservations) == 8


def test_trop02_bridged_network_parses_exactly() -> None:
    net = parse_network(sample_files()[BRIDGED], BRIDGED)
    assert (net.name, net.uuid, net.forward_mode, net.bridge, net.mac) == (
        "bridged",
        None,
        "bridge",
        "br0",
        None,
    )
    assert net.ipv6 is True
    assert net.ips == ()
    assert net.dhcp_ip is None


def test_forward_without_mode_is_nat_and_no_forward_is_isolated() -> None:
    nat = parse_network("<network><name>n</name><forward/></network>")
    isolated = parse_network("<network><name>n</name></network>")
    assert nat.forward_mode == "nat"
    assert isolated.forward_mode is None
    assert isolated.ipv6 is False


def test_uuid_and_comments_and_xml_declaration_are_read() -> None:
    text = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<!-- WARNING: THIS IS AN AUTO-GENERATED FILE -->\n"
        "<network>\n"
        "  <name>x</name>\n"
        "  <uuid> 8a3f0e2c-6a1e-4b5e-9d7a-2f1c0b9e4d11 </uuid>\n"
        "</network>\n"
    )
    assert parse_network(text).uuid == "8a3f0e2c-6a1e-4b5e-9d7a-2f1c0b9e4d11"


def test_ipv6_hosts_without_mac_are_kept_and_family_inferred() -> None:
    text = """<network>
  <name>v6</name>
  <ip address='192.168.1.1' prefix='24'/>
  <ip address='2001:db8:ca2:2::1' prefix='64'>
    <dhcp>
      <range start='2001:db8:ca2:2::10' end='2001:db8:ca2:2::ff'/>
      <host id='0:4:7e:7d:f0:7d:a8:bc:c5:d2:13:32:11:ed' name='paul' ip='2001:db8:ca2:2:3::1'/>
    </dhcp>
  </ip>
</network>
"""
    net = parse_network(text)
    v4, v6 = net.ips
    assert (v4.family, v4.prefixlen, v4.has_dhcp, v4.line) == ("ipv4", 24, False, 3)
    assert (v6.family, v6.prefix, v6.line) == ("ipv6", 64, 4)
    (host,) = v6.hosts
    assert (host.mac, host.name, host.ip, host.line) == (None, "paul", "2001:db8:ca2:2:3::1", 7)
    assert net.dhcp_ip is None  # no IPv4 DHCP


def test_live_xml_has_no_path_and_errors_name_the_host() -> None:
    net = parse_network_live("<network><name>default</name></network>", "trop03")
    assert net.path is None
    with pytest.raises(ConfigError) as info:
        parse_network_live("<network><name>x</name>", "trop03")
    assert info.value.message.startswith("trop03: live network XML:1:")


def test_malformed_xml_is_refused_with_file_and_line() -> None:
    err = refused("<network>\n  <name>x</name>\n  <ip address='1.2.3.4'>\n</network>\n")
    assert (err.path, err.line) == (PATH, 4)
    assert "malformed XML" in err.message
    assert err.message.startswith(f"{PATH}:4: ")


def test_garbage_and_empty_input_are_refused() -> None:
    assert refused("not xml at all").line == 1
    assert refused("").path == PATH


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<network><name>&lol9;</name></network>
"""


@pytest.mark.timeout(10)
def test_entity_expansion_bomb_is_refused_before_any_entity_is_declared() -> None:
    err = refused(BILLION_LAUGHS)
    # Line 2 is the DOCTYPE: parsing stopped before the first <!ENTITY> on line 3.
    assert (err.path, err.line) == (PATH, 2)
    assert "DOCTYPE" in err.message


def test_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("TOPSECRET")
    text = (
        f'<!DOCTYPE network [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        "<network><name>&xxe;</name></network>\n"
    )
    err = refused(text)
    assert err.line == 1
    assert "TOPSECRET" not in err.message


def test_external_dtd_and_undeclared_entities_are_refused() -> None:
    dtd = '<!DOCTYPE network SYSTEM "http://127.0.0.1:9/network.dtd">\n<network/>'
    assert refused(dtd).line == 1
    undeclared = "<network>\n<name>&nope;</name>\n</network>"
    err = refused(undeclared)
    assert err.line == 2
    assert "malformed XML" in err.message


def test_root_must_be_network() -> None:
    err = refused("<domain>\n<name>x</name>\n</domain>")
    assert err.line == 1
    assert "<domain>" in err.problem


@pytest.mark.parametrize("body", ["", "<name>  </name>"])
def test_network_without_a_name_is_refused(body: str) -> None:
    err = refused(f"<network>\n{body}\n</network>")
    assert "no <name>" in err.problem


def test_two_ipv4_dhcp_blocks_are_refused_at_the_second() -> None:
    text = """<network>
  <name>twice</name>
  <ip address='192.168.1.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.1.8' end='192.168.1.15'/></dhcp>
  </ip>
  <ip family='ipv4' address='192.168.2.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.2.8' end='192.168.2.15'/></dhcp>
  </ip>
</network>
"""
    err = refused(text)
    assert err.line == 6
    assert "line 3" in err.problem


def test_one_dhcp_per_family_is_allowed() -> None:
    text = """<network><name>dual</name>
  <ip address='192.168.1.1' prefix='24'>
    <dhcp><range start='192.168.1.8' end='192.168.1.9'/></dhcp>
  </ip>
  <ip family='ipv6' address='fd00::1' prefix='64'>
    <dhcp><range start='fd00::8' end='fd00::9'/></dhcp>
  </ip>
</network>"""
    net = parse_network(text)
    assert net.dhcp_ip is not None and net.dhcp_ip.address == "192.168.1.1"


def test_host_without_ip_is_refused_with_its_line() -> None:
    text = """<network><name>n</name>
<ip address='192.168.1.1' prefix='24'>
<dhcp>
<host mac='52:54:00:00:00:01' name='a'/>
</dhcp></ip></network>"""
    err = refused(text)
    assert err.line == 4
    assert "<host> without ip" in err.problem


def test_bad_mac_and_bad_prefix_are_refused() -> None:
    mac = "<network><name>n</name><mac address='52:54:00:zz:00:01'/></network>"
    assert "not a MAC" in refused(mac).problem
    prefix = "<network><name>n</name><ip address='10.0.0.1' prefix='33'/></network>"
    assert "prefix" in refused(prefix).problem


def test_encoding_declaration_does_not_garble_text_already_decoded() -> None:
    text = "<?xml version='1.0' encoding='ISO-8859-1'?><network><name>réseau</name></network>"
    assert parse_network(text).name == "réseau"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("52:54:00:02:02:0A", "52:54:00:02:02:0a"),
        ("52-54-00-02-02-0b", "52:54:00:02:02:0b"),
        ("52:54:0:2:2:c", "52:54:00:02:02:0c"),
        ("52:54:00:02:02", None),
        ("52:54-00:02:02:0a", None),
        ("", None),
    ],
)
def test_normalize_mac(raw: str, expected: str | None) -> None:
    assert normalize_mac(raw) == expected


def test_parse_xml_keeps_element_lines() -> None:
    root = parse_xml("<a>\n  <b x='1'/>\n  <c/>\n</a>", "f")
    assert [(c.tag, c.line, c.attrs) for c in root.children] == [("b", 2, {"x": "1"}), ("c", 3, {})]


_octet = st.integers(min_value=2, max_value=254)
_host = st.tuples(
    st.lists(st.integers(0, 255), min_size=6, max_size=6),
    _octet,
    st.from_regex(r"[a-z][a-z0-9-]{0,14}[a-z0-9]", fullmatch=True),
    st.booleans(),
)


@settings(max_examples=50, deadline=None)
@given(st.lists(_host, max_size=12), st.sampled_from(["'", '"']))
def test_any_written_host_list_reads_back(
    hosts: list[tuple[list[int], int, str, bool]], quote: str
) -> None:
    q = quote
    lines = []
    for mac_bytes, octet, name, upper in hosts:
        mac = ":".join(f"{b:02X}" if upper else f"{b:02x}" for b in mac_bytes)
        lines.append(f"<host mac={q}{mac}{q} ip={q}10.1.2.{octet}{q} name={q}{name}{q}/>")
    text = (
        f"<network>\n<name>p</name>\n<ip address={q}10.1.2.1{q} prefix={q}24{q}>\n<dhcp>\n"
        + "\n".join(lines)
        + "\n</dhcp>\n</ip>\n</network>\n"
    )
    got = parse_network(text, PATH).reservations
    assert [(h.mac, h.ip, h.name, h.line) for h in got] == [
        (":".join(f"{b:02x}" for b in m), f"10.1.2.{o}", n, 5 + i)
        for i, (m, o, n, _) in enumerate(hosts)
    ]
