"""LibvirtApplier decisions on libvirt's test driver (no lab): which sides, which entry,
which ``<ip>``. The driver runs libvirt's real network-update code for the XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from tropconsole.core.errors import ReadOnlyError, RemoteError
from tropconsole.core.models import Reservation
from tropconsole.remote.apply import LibvirtApplier
from tropconsole.remote.libvirt_conn import LibvirtSession

NODE = """<node>
  <network>
    <name>default</name>
    <bridge name='virbr0'/>
    <ip family='ipv6' address='fd00::1' prefix='64'/>
    <ip address='192.168.201.1' netmask='255.255.255.0'>
      <dhcp>
        <range start='192.168.201.8' end='192.168.201.15'/>
        <host mac='52:54:00:02:01:08' name='Old' ip='192.168.201.8'/>
      </dhcp>
    </ip>
  </network>
</node>
"""


@pytest.fixture
def session(tmp_path: Path) -> LibvirtSession:
    node = tmp_path / "node.xml"
    node.write_text(NODE)
    return LibvirtSession("t", f"test://{node}", read_only=False)


def hosts(session: LibvirtSession) -> list[str]:
    xml = session.network("default").XMLDesc(0)
    return [line.strip() for line in xml.splitlines() if "<host " in line]


def test_add_goes_to_the_dhcp_ip_even_when_it_is_not_the_first(session: LibvirtSession) -> None:
    applier = LibvirtApplier(lambda _h: session, read_only=False)
    new = Reservation(ip="192.168.201.9", mac="52:54:00:02:01:09", name="new")
    assert applier.add_reservation("t", "default", new) == "live+config"
    assert hosts(session)[-1] == "<host mac='52:54:00:02:01:09' name='new' ip='192.168.201.9'/>"
    assert applier.add_reservation("t", "default", new) == "already live"
    assert len(hosts(session)) == 2


def test_remove_uses_the_entry_libvirt_has(session: LibvirtSession) -> None:
    applier = LibvirtApplier(lambda _h: session, read_only=False)
    git_side = Reservation(ip="192.168.201.8", mac="52:54:00:02:01:08", name="renamed-in-git")
    assert applier.remove_reservation("t", "default", git_side) == "live+config"
    assert hosts(session) == []
    assert applier.remove_reservation("t", "default", git_side) == "not live (nothing to remove)"


def test_inactive_network_is_updated_in_its_config_only(session: LibvirtSession) -> None:
    session.network("default").destroy()
    applier = LibvirtApplier(lambda _h: session, read_only=False)
    r = Reservation(ip="192.168.201.10", mac="52:54:00:02:01:0a", name="x")
    assert applier.add_reservation("t", "default", r) == "config only (network inactive)"
    assert "<host mac='52:54:00:02:01:0a' name='x' ip='192.168.201.10'/>" in hosts(session)


def test_conflicts_and_unknown_networks_are_remote_errors(session: LibvirtSession) -> None:
    applier = LibvirtApplier(lambda _h: session, read_only=False)
    clash = Reservation(ip="192.168.201.8", mac="52:54:00:02:01:0b", name="clash")
    with pytest.raises(RemoteError, match=r"^t: libvirt failed adding <host mac=") as info:
        applier.add_reservation("t", "default", clash)
    assert "192.168.201.8" in info.value.message
    with pytest.raises(RemoteError, match="network nope"):
        applier.add_reservation("t", "nope", clash)


def test_read_only_refuses_before_any_call(session: LibvirtSession) -> None:
    applier = LibvirtApplier(lambda _h: session, read_only=True)
    r = Reservation(ip="192.168.201.9", mac="52:54:00:02:01:09")
    with pytest.raises(ReadOnlyError, match="read-only mode"):
        applier.add_reservation("t", "default", r)
    assert session.rpcs == 0 and session.handshakes == 0
