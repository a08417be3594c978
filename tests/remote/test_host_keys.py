"""Host identity against the real lab: unknown and changed keys are refused on both the
paramiko side and libvirt's ssh side, with the fingerprint, and nothing is written."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from livekit import PATIENT, file_state, fingerprint, lab_inventory, settled

from tropconsole.core.errors import RemoteError
from tropconsole.core.live import HostState
from tropconsole.remote.inventory import Inventory
from tropconsole.remote.libvirt_conn import LibvirtSession
from tropconsole.remote.libvirt_uri import derive_uri
from tropconsole.remote.poller import FleetPoller

USER_KNOWN_HOSTS = Path("~/.ssh/known_hosts").expanduser()


def one_host(lab: Any, known_hosts: Path, host: Any, transport: str = "ssh") -> Inventory:
    """The lab inventory for one host, trusting only ``known_hosts``: no ssh_config (whose
    UserKnownHostsFile is the lab's) and no libvirt_uri override; with ``transport="ssh"``
    the derived wrapper is what libvirt's ssh runs."""
    inv = lab_inventory(
        lab, ssh_config=None, known_hosts=(str(known_hosts),), libvirt_transport=transport
    )
    entry = dataclasses.replace(inv.host(host.name), libvirt_uri=None)
    return dataclasses.replace(inv, hosts=(entry,))


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the ssh wrappers


def key_line(host: Any, address: str) -> str:
    kind, b64 = (host.dir / "ssh_host_ed25519_key.pub").read_text().split()[:2]
    return f"{address} {kind} {b64}\n"


def test_derived_uri_reaches_libvirt_through_the_strict_wrapper(lab: Any, tmp_path: Path) -> None:
    host = lab.hosts[0]
    known = tmp_path / "known_hosts"
    known.write_text(key_line(host, host.address))
    with FleetPoller(one_host(lab, known, host), timeout=PATIENT) as poller:
        status = settled(poller).host(host.name)
    assert status.state == HostState.OK, status.error
    assert status.snapshot.network("default") is not None


def test_unknown_host_key_is_refused_with_its_fingerprint(lab: Any, tmp_path: Path) -> None:
    host = lab.hosts[0]
    known = tmp_path / "known_hosts"
    known.write_text("")
    watched = (known, lab.known_hosts, USER_KNOWN_HOSTS)
    before = file_state(*watched)
    expected = fingerprint(host.dir / "ssh_host_ed25519_key.pub")
    inv = one_host(lab, known, host)
    with FleetPoller(inv, timeout=PATIENT) as poller:
        status = settled(poller).host(host.name)
    assert status.state == HostState.DOWN
    assert "unknown host key" in status.error and f"ssh-ed25519 {expected}" in status.error
    # libvirt's own ssh (the generated wrapper) refuses it as well
    session = LibvirtSession(host.name, derive_uri(inv, host.name), read_only=True)
    with pytest.raises(RemoteError, match="Host key verification failed"):
        session.connection()
    assert file_state(*watched) == before


def test_changed_host_key_is_refused_on_both_sides(lab: Any, tmp_path: Path) -> None:
    host, other = lab.hosts[0], lab.hosts[1]
    known = tmp_path / "known_hosts"
    known.write_text(key_line(other, host.address))  # another machine's key for this address
    before = file_state(known, lab.known_hosts, USER_KNOWN_HOSTS)
    inv = one_host(lab, known, host)
    with FleetPoller(inv, timeout=PATIENT) as poller:
        status = settled(poller).host(host.name)
    assert status.state == HostState.DOWN
    assert "has CHANGED" in status.error
    assert fingerprint(host.dir / "ssh_host_ed25519_key.pub") in status.error  # offered
    assert fingerprint(other.dir / "ssh_host_ed25519_key.pub") in status.error  # expected
    session = LibvirtSession(host.name, derive_uri(inv, host.name), read_only=True)
    with pytest.raises(RemoteError, match="REMOTE HOST IDENTIFICATION HAS CHANGED") as info:
        session.connection()
    assert "\n" not in info.value.message
    assert file_state(known, lab.known_hosts, USER_KNOWN_HOSTS) == before
