"""The textual <host> edit: one line in, one line out, every other byte untouched."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tropconsole.core.errors import ConfigError
from tropconsole.core.models import Reservation
from tropconsole.core.netxml import parse_network
from tropconsole.core.sample import TROP02_DEFAULT_XML
from tropconsole.core.xmledit import HostMatch, add_host, remove_host

PATH = "src/cfg/tropo/trop02/etc/libvirt/qemu/networks/default.xml"
NEW = Reservation(ip="192.168.202.16", mac="52:54:00:02:02:10", name="Newhost")

NO_HOSTS = """\
<?xml version="1.0" encoding="UTF-8"?>
<!-- trop09 test network; keep the comment -->
<network>
\t<name>default</name>
\t<ip address="192.168.209.1" netmask="255.255.255.0">
\t\t<dhcp>
\t\t\t<range start="192.168.209.8" end="192.168.209.15" />
\t\t</dhcp>
\t</ip>
</network>"""


def changed(before: str, after: str) -> tuple[list[str], list[str]]:
    """The (removed, added) lines of a diff, as git would count them."""
    diff = list(difflib.unified_diff(before.split("\n"), after.split("\n"), lineterm="", n=0))
    removed = [d[1:] for d in diff[2:] if d.startswith("-")]
    added = [d[1:] for d in diff[2:] if d.startswith("+")]
    return removed, added


def test_add_is_one_line_after_the_last_host_in_the_seed_style() -> None:
    after = add_host(TROP02_DEFAULT_XML, PATH, NEW)
    removed, added = changed(TROP02_DEFAULT_XML, after)
    assert removed == []
    assert added == ["      <host mac='52:54:00:02:02:10' ip='192.168.202.16' name='Newhost'/>"]
    lines = after.split("\n")
    assert lines[lines.index(added[0]) - 1].endswith("name='Acilamwen'/>")
    assert parse_network(after, PATH).dhcp_ip.hosts[-1].key() == NEW.key()  # type: ignore[union-attr]


def test_remove_restores_the_file_byte_for_byte() -> None:
    after = add_host(TROP02_DEFAULT_XML, PATH, NEW)
    assert remove_host(after, PATH, NEW) == TROP02_DEFAULT_XML
    assert remove_host(after, PATH, HostMatch(name="Newhost")) == TROP02_DEFAULT_XML
    assert remove_host(after, PATH, HostMatch(ip="192.168.202.16")) == TROP02_DEFAULT_XML


def test_remove_a_seed_host_deletes_exactly_its_line() -> None:
    after = remove_host(TROP02_DEFAULT_XML, PATH, HostMatch(mac="52:54:00:02:02:0a"))
    removed, added = changed(TROP02_DEFAULT_XML, after)
    assert added == []
    assert removed == ["      <host mac='52:54:00:02:02:0A' ip='192.168.202.10' name='Ulov'/>"]


def test_mac_case_follows_the_siblings() -> None:
    res = Reservation(ip="192.168.202.30", mac="52:54:00:02:02:1e", name="Case")
    after = add_host(TROP02_DEFAULT_XML, PATH, res)
    assert "mac='52:54:00:02:02:1E'" in after
    assert remove_host(after, PATH, res) == TROP02_DEFAULT_XML


def test_first_host_goes_after_the_range_keeping_declaration_comment_tabs_quotes() -> None:
    res = Reservation(ip="192.168.209.20", mac="52:54:00:02:09:14", name="first")
    after = add_host(NO_HOSTS, "x.xml", res)
    removed, added = changed(NO_HOSTS, after)
    assert removed == []
    assert added == ['\t\t\t<host mac="52:54:00:02:09:14" ip="192.168.209.20" name="first" />']
    assert after.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!-- trop09 test')
    assert not after.endswith("\n")  # no trailing newline before, none after
    assert remove_host(after, "x.xml", res) == NO_HOSTS


def test_crlf_files_stay_crlf() -> None:
    crlf = TROP02_DEFAULT_XML.replace("\n", "\r\n")
    after = add_host(crlf, PATH, NEW)
    assert "\n" not in after.replace("\r\n", "")
    assert after.count("\r\n") == crlf.count("\r\n") + 1
    assert remove_host(after, PATH, NEW) == crlf


def test_attribute_order_of_the_siblings_is_kept() -> None:
    text = TROP02_DEFAULT_XML.replace(
        "<host mac='52:54:00:02:02:0F' ip='192.168.202.15' name='Acilamwen'/>",
        "<host name='Acilamwen' ip='192.168.202.15' mac='52:54:00:02:02:0F'/>",
    )
    after = add_host(text, PATH, NEW)
    assert "<host name='Newhost' ip='192.168.202.16' mac='52:54:00:02:02:10'/>" in after


def test_values_are_escaped_and_round_trip() -> None:
    odd = Reservation(ip="192.168.202.17", mac="52:54:00:02:02:11", name="a'b\"c<d>&e")
    after = add_host(TROP02_DEFAULT_XML, PATH, odd)
    assert "name='a&apos;b\"c&lt;d&gt;&amp;e'" in after
    assert parse_network(after, PATH).reservations[-1].name == odd.name
    assert remove_host(after, PATH, odd) == TROP02_DEFAULT_XML


def test_a_host_without_a_mac_is_written_without_one() -> None:
    res = Reservation(ip="192.168.202.18", name="nomac")
    after = add_host(TROP02_DEFAULT_XML, PATH, res)
    assert "      <host ip='192.168.202.18' name='nomac'/>\n" in after


def test_remove_refuses_a_host_spanning_two_lines_naming_file_and_line() -> None:
    text = TROP02_DEFAULT_XML.replace(
        "<host mac='52:54:00:02:02:0A' ip='192.168.202.10' name='Ulov'/>",
        "<host mac='52:54:00:02:02:0A'\n            ip='192.168.202.10' name='Ulov'/>",
    )
    with pytest.raises(ConfigError) as err:
        remove_host(text, PATH, HostMatch(name="Ulov"))
    assert err.value.message.startswith(f"{PATH}:16: ")
    assert "spans several lines" in err.value.message
    assert "put it on one line" in err.value.message


def test_remove_refuses_a_host_sharing_its_line() -> None:
    text = TROP02_DEFAULT_XML.replace(
        "name='Ulov'/>", "name='Ulov'/><host mac='52:54:00:02:02:1f' ip='192.168.202.31'/>"
    )
    with pytest.raises(ConfigError, match=rf"{PATH}:16: .*shares its line"):
        remove_host(text, PATH, HostMatch(name="Ulov"))
    with pytest.raises(ConfigError, match="shares its line"):
        remove_host(
            text.replace("name='Ulov'/><host", "name='Ulov'/> <!-- x --><host"),
            PATH,
            HostMatch(name="Ulov"),
        )


def test_add_refuses_when_the_last_host_shares_its_line_with_the_closing_tag() -> None:
    text = TROP02_DEFAULT_XML.replace(
        "name='Acilamwen'/>\n    </dhcp>", "name='Acilamwen'/></dhcp>"
    )
    with pytest.raises(ConfigError, match=rf"{PATH}:21: .*line of its own"):
        add_host(text, PATH, NEW)


def test_add_allows_a_trailing_comment_on_the_anchor_line() -> None:
    text = TROP02_DEFAULT_XML.replace("name='Acilamwen'/>", "name='Acilamwen'/> <!-- db -->")
    after = add_host(text, PATH, NEW)
    assert remove_host(after, PATH, NEW) == text


def test_remove_refuses_nothing_and_ambiguity() -> None:
    with pytest.raises(ConfigError, match="no reservation with name Nobody"):
        remove_host(TROP02_DEFAULT_XML, PATH, HostMatch(name="Nobody"))
    twice = add_host(TROP02_DEFAULT_XML, PATH, Reservation(ip="192.168.202.40", name="Ulov"))
    with pytest.raises(ConfigError, match="2 reservations match name Ulov"):
        remove_host(twice, PATH, HostMatch(name="Ulov"))


def test_two_dhcp_ips_are_refused() -> None:
    text = TROP02_DEFAULT_XML.replace(
        "  </ip>\n",
        "  </ip>\n  <ip address='10.0.0.1' prefix='24'>\n    <dhcp>\n"
        "      <range start='10.0.0.8' end='10.0.0.9'/>\n    </dhcp>\n  </ip>\n",
    )
    with pytest.raises(ConfigError, match=rf"{PATH}:\d+: .*second ipv4 <ip> with <dhcp>"):
        add_host(text, PATH, NEW)


def test_entity_bomb_is_refused_not_expanded() -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE network [\n <!ENTITY a "aaaaaaaaaa">\n'
        ' <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n]>\n'
        + TROP02_DEFAULT_XML.replace("name='Ulov'", "name='&b;'")
    )
    with pytest.raises(ConfigError, match="DOCTYPE"):
        add_host(bomb, PATH, NEW)


# --- property: random add/remove sequences round-trip byte for byte --------------------

STYLES = {
    "seed": TROP02_DEFAULT_XML,
    "crlf": TROP02_DEFAULT_XML.replace("\n", "\r\n"),
    "no-final-newline": TROP02_DEFAULT_XML.rstrip("\n"),
    "tabs-double-quotes": NO_HOSTS.replace("209", "202"),
}

name_st = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,10}[A-Za-z0-9]", fullmatch=True)
ops_st = st.lists(st.tuples(st.booleans(), st.integers(0, 200), name_st, st.booleans()), max_size=8)


@settings(max_examples=50, deadline=None)
@given(style=st.sampled_from(sorted(STYLES)), ops=ops_st)
def test_random_add_remove_sequences_round_trip(
    style: str, ops: list[tuple[bool, int, str, bool]]
) -> None:
    original = STYLES[style]
    text = original
    added: list[Reservation] = []
    for n, (is_add, pick, name, with_mac) in enumerate(ops):
        if is_add or not added:
            octet = 20 + n  # unique per step: validity is not this module's job
            res = Reservation(
                ip=f"192.168.202.{octet}",
                mac=f"52:54:00:02:02:{octet:02x}" if with_mac else None,
                name=f"{name}{n}",
            )
            after = add_host(text, PATH, res)
            removed, plus = changed(text, after)
            assert removed == [] and len(plus) == 1
            assert remove_host(after, PATH, res) == text
            added.append(res)
        else:
            res = added.pop(pick % len(added))
            after = remove_host(text, PATH, HostMatch(name=res.name))
            removed, plus = changed(text, after)
            assert plus == [] and len(removed) == 1
        text = after
    for res in reversed(added):
        text = remove_host(text, PATH, res)
    assert text == original
