"""The demo fleet's domains and its one neighbour-table entry per host.

Every reserved MAC of a DHCP network in git is one domain's NIC, every fourth switched
off, as the demo's leases say. (The demo's snapshots leave ``nics`` empty, so its drift
is what it was before it had domains.) One more domain per host, ``edge<NN>``, joins ``bridged``
with a MAC of the host's range (no DHCP: "seen on br0" by the made-up neighbour entry)
and br0 directly with a MAC outside every host's range. The test driver keeps the
definitions in its node file; ``<test:runstate>5`` defines a domain shut off.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

from tropconsole.core.live import Neighbour
from tropconsole.core.models import HostConfig

_TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"
SHUT_OFF = 5  # virDomainState VIR_DOMAIN_SHUTOFF, as <test:runstate> takes it


def _nic(kind: str, mac: str, source: str, model: str) -> str:
    attr = "network" if kind == "network" else "bridge"
    return (
        f"<interface type='{kind}'><mac address={quoteattr(mac)}/>"
        f"<source {attr}={quoteattr(source)}/><model type='{model}'/></interface>"
    )


def _domain(name: str, nics: list[str], *, vcpus: int, mib: int, off: bool) -> str:
    state = f"<test:runstate>{SHUT_OFF}</test:runstate>" if off else ""
    return (
        f"<domain type='test' xmlns:test='{_TEST_NS}'><name>{name}</name>"
        f"<memory unit='MiB'>{mib}</memory><vcpu>{vcpus}</vcpu><os><type>hvm</type></os>"
        f"<devices>{''.join(nics)}</devices>{state}</domain>\n"
    )


def _prefix(host: HostConfig) -> str:
    return f"52:54:00:02:{int(str(host.index or 0), 16):02x}"


def edge_mac(host: HostConfig) -> str:
    """The bridged NIC's MAC (the one the neighbour table holds)."""
    return f"{_prefix(host)}:b1"


def domains_xml(host: HostConfig) -> str:
    """The host's domains as test-driver node file elements."""
    out: list[str] = []
    used: set[str] = set()
    for net in host.networks:
        if net.dhcp_ip is None:
            continue
        for n, res in enumerate(net.reservations):
            if not res.mac:
                continue
            base = re.sub(r"[^a-z0-9-]", "", (res.name or "").lower()) or f"vm{n}"
            name = base if base not in used else f"{base}-{net.name}"
            used.add(name)
            nic = _nic("network", res.mac.lower(), net.name, "virtio")
            out.append(_domain(name, [nic], vcpus=1 + n % 4, mib=512 * (1 + n % 3), off=n % 4 == 3))
    bridged = host.network("bridged")
    index = host.index or 0
    if bridged is not None and 0 < index < 256:
        nics = [
            _nic("network", edge_mac(host), "bridged", "virtio"),
            _nic("bridge", f"52:54:00:aa:{index:02x}:01", bridged.bridge or "br0", "e1000"),
        ]
        out.append(_domain(f"edge{index:02d}", nics, vcpus=2, mib=2048, off=False))
    return "".join(out)


def neighbours(host: HostConfig) -> tuple[Neighbour, ...]:
    """One made-up entry: the edge domain's public address on br0, as ``ip neigh``
    would show a bridged guest that talked to the host a few seconds ago."""
    bridged = host.network("bridged")
    stanza = host.interfaces.stanza("br0") if host.interfaces else None
    if bridged is None or stanza is None or not stanza.address:
        return ()
    last = (int(stanza.address.rsplit(".", 1)[1]) + 100) % 254 + 1
    ip = f"{stanza.address.rsplit('.', 1)[0]}.{last}"
    return (Neighbour(ip, "br0", edge_mac(host), ("REACHABLE",), used=4, confirmed=4, updated=4),)
