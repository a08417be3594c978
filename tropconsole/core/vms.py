"""Machines, not just addresses: every domain of every host, each NIC with a verdict.

``vm_rows(fleet, snapshot)`` is a pure function from what git says (``FleetConfig``) and
what the hosts report (``FleetSnapshot``) to one ``VmRow`` per libvirt domain, each with
one ``NicRow`` per interface. The CLI (``tropconsole vms``) and the console's VMs view
both call it; neither decides anything itself.

A NIC's network is the one its ``<source network=..>`` names, or for a ``type='bridge'``
NIC the libvirt network on that bridge (``bridged`` on br0). Its verdict, first match:

  ok                  this host's git reserves the MAC on that network (and the MAC is in
                      the host's range)
  reserved elsewhere  git reserves the MAC on another host or another network
  MAC outside range   the MAC is not in the host's scheme (``core.scheme``)
  no DHCP             the network hands out no addresses (bridged: the guest is static)
  no reservation      a DHCP network, and git has no reservation for the MAC

For a NIC on a bridge, ``seen`` lists the addresses the host's neighbour table holds for
its MAC on that bridge ("seen on br0"): the public address of a bridged guest, which no
libvirt DHCP knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tropconsole.core.errors import ValidationError
from tropconsole.core.live import Domain, DomainNic, FleetSnapshot, HostSnapshot, Neighbour
from tropconsole.core.models import FleetConfig, HostConfig, Lease, LibvirtNetwork, Reservation
from tropconsole.core.scheme import HostScheme, norm_mac, scheme_for


class Verdict(StrEnum):
    """Stable values: they appear in ``vms --json``."""

    OK = "ok"
    RESERVED_ELSEWHERE = "reserved elsewhere"
    OUTSIDE_RANGE = "MAC outside the host's range"
    NO_DHCP = "no DHCP"
    WRONG_IP = "leased another address than reserved"
    NO_RESERVATION = "no reservation"

    @property
    def bad(self) -> bool:
        """Worth an operator's attention (ok and no-DHCP are how things should be)."""
        return self not in (Verdict.OK, Verdict.NO_DHCP)


# the neighbour states that hold no usable address for a MAC
_UNRESOLVED = frozenset({"INCOMPLETE", "FAILED", "NONE"})


@dataclass(frozen=True, slots=True)
class SeenAddress:
    """An address the host's neighbour table holds for a NIC's MAC ("seen on br0")."""

    ip: str
    dev: str
    state: str  # "REACHABLE", "STALE", "DELAY", "PERMANENT", ...
    updated: int | None = None  # seconds since the entry last changed (ip -s)
    confirmed: int | None = None  # seconds since the neighbour last answered
    used: int | None = None  # seconds since the host last used it

    @property
    def age(self) -> int | None:
        """How old the sighting is: seconds since the neighbour last confirmed it."""
        return self.confirmed if self.confirmed is not None else self.updated


@dataclass(frozen=True, slots=True)
class Placement:
    """Where git reserves a MAC: host, network and the reservation itself."""

    host: str
    network: str
    reservation: Reservation

    @property
    def where(self) -> str:
        return f"{self.host}/{self.network}"


@dataclass(frozen=True, slots=True)
class NicRow:
    """One NIC of one domain with everything a VMs view shows for it."""

    host: str
    domain: str
    domain_state: str
    mac: str
    kind: str  # the interface type: "network", "bridge", ...
    network: str | None  # the libvirt network the NIC is on, when one is known
    bridge: str | None  # the host bridge it joins (its source, or its network's bridge)
    model: str | None
    dhcp: bool  # its network hands out addresses
    verdict: Verdict
    detail: str  # one line saying why the verdict
    lease: Lease | None = None  # the DHCP lease the MAC holds on this host, if any
    reservation: Reservation | None = None  # this host's git reservation on that network
    elsewhere: tuple[Placement, ...] = ()  # git reservations of the MAC anywhere else
    seen: tuple[SeenAddress, ...] = ()  # neighbour-table addresses on its bridge

    @property
    def key(self) -> str:
        return f"{self.host}|{self.domain}|{self.mac}"

    @property
    def lease_ip(self) -> str | None:
        return self.lease.ip if self.lease is not None else None

    @property
    def reserved_ip(self) -> str | None:
        return self.reservation.ip if self.reservation is not None else None


@dataclass(frozen=True, slots=True)
class VmRow:
    """One libvirt domain of one host."""

    host: str
    name: str
    state: str  # "running", "paused", "shut off"
    vcpus: int
    memory_kib: int
    nics: tuple[NicRow, ...]
    uuid: str | None = None

    @property
    def key(self) -> str:
        return f"{self.host}|{self.name}"

    @property
    def verdict(self) -> Verdict:
        """The worst of its NICs' verdicts (ok for a domain without NICs)."""
        verdicts = [n.verdict for n in self.nics]
        bad = [v for v in verdicts if v.bad]
        if bad:
            return min(bad, key=list(Verdict).index)
        return Verdict.OK if Verdict.OK in verdicts or not verdicts else Verdict.NO_DHCP


def reservations_by_mac(fleet: FleetConfig) -> dict[str, tuple[Placement, ...]]:
    """Every git reservation of the fleet, by normalised MAC."""
    found: dict[str, list[Placement]] = {}
    for host in fleet.hosts:
        for net in host.networks:
            for res in net.reservations:
                mac = norm_mac(res.mac)
                if mac:
                    found.setdefault(mac, []).append(Placement(host.name, net.name, res))
    return {mac: tuple(places) for mac, places in found.items()}


def vm_rows(
    fleet: FleetConfig, snapshot: FleetSnapshot, host: str | None = None
) -> tuple[VmRow, ...]:
    """Every domain of every host with a snapshot (or of ``host`` only), by host then
    name. A host that never answered has no rows: its status says why."""
    placements = reservations_by_mac(fleet)
    rows: list[VmRow] = []
    for status in snapshot.hosts:
        if (host is not None and status.host != host) or status.snapshot is None:
            continue
        rows.extend(host_vm_rows(fleet.host(status.host), status.snapshot, placements))
    return tuple(rows)


def host_vm_rows(
    cfg: HostConfig | None,
    snap: HostSnapshot,
    placements: dict[str, tuple[Placement, ...]],
) -> tuple[VmRow, ...]:
    """One host's rows; ``cfg`` is None for a host the config repo does not describe."""
    scheme: HostScheme | None = None
    if cfg is not None:
        try:
            scheme = scheme_for(cfg)
        except ValidationError:
            scheme = None  # validation explains why; no range to judge a MAC by
    leases: dict[tuple[str | None, str], Lease] = {}
    for lease in snap.leases:
        mac = norm_mac(lease.mac)
        if mac:
            leases.setdefault((lease.network, mac), lease)
            leases.setdefault((None, mac), lease)
    return tuple(
        VmRow(
            host=snap.host,
            name=dom.name,
            state=dom.state,
            vcpus=dom.vcpus,
            memory_kib=dom.memory_kib,
            uuid=dom.uuid,
            nics=tuple(
                _nic_row(snap, cfg, scheme, dom, nic, leases, placements) for nic in dom.nics
            ),
        )
        for dom in sorted(snap.domains, key=lambda d: d.name)
    )


def _network_of(
    snap: HostSnapshot, cfg: HostConfig | None, nic: DomainNic
) -> tuple[str | None, str | None, LibvirtNetwork | None]:
    """(network name, bridge, its definition: git's, else the running one)."""
    if nic.network:
        git_net = cfg.network(nic.network) if cfg is not None else None
        live = snap.network(nic.network)
        definition = git_net or (live.running if live is not None else None)
        bridge = (live.bridge if live is not None else None) or (
            definition.bridge if definition is not None else None
        )
        return nic.network, bridge or nic.bridge, definition
    if nic.bridge:
        for live in snap.networks:
            if live.bridge == nic.bridge:
                git_net = cfg.network(live.name) if cfg is not None else None
                return live.name, nic.bridge, git_net or live.running
        for git_net in cfg.networks if cfg is not None else ():
            if git_net.bridge == nic.bridge:
                return git_net.name, nic.bridge, git_net
    return None, nic.bridge, None


def _seen(
    neighbours: tuple[Neighbour, ...], mac: str, bridge: str | None
) -> tuple[SeenAddress, ...]:
    if not bridge:
        return ()
    return tuple(
        SeenAddress(n.ip, n.dev, n.state, updated=n.updated, confirmed=n.confirmed, used=n.used)
        for n in neighbours
        if n.dev == bridge and n.mac == mac and not set(n.states) & _UNRESOLVED
    )


def _nic_row(
    snap: HostSnapshot,
    cfg: HostConfig | None,
    scheme: HostScheme | None,
    dom: Domain,
    nic: DomainNic,
    leases: dict[tuple[str | None, str], Lease],
    placements: dict[str, tuple[Placement, ...]],
) -> NicRow:
    mac = norm_mac(nic.mac) or nic.mac.lower()
    network, bridge, definition = _network_of(snap, cfg, nic)
    dhcp = definition is not None and definition.dhcp_ip is not None
    places = placements.get(mac, ())
    here = next((p for p in places if p.host == snap.host and p.network == network), None)
    others = tuple(p for p in places if p is not here)
    outside = scheme is not None and not scheme.owns_mac(mac)
    on = f"on {network}" if network else f"on bridge {bridge}" if bridge else "unattached"
    lease = leases.get((network, mac))  # a lease of another network is not this NIC's
    if here is not None and not outside and lease is not None and lease.ip != here.reservation.ip:
        verdict = Verdict.WRONG_IP
        detail = (
            f"reserved {here.reservation.ip} {on}, but leased {lease.ip}: a lease older than "
            "the reservation, or the live network lacks it (see Drift)"
        )
    elif here is not None and not outside:
        verdict, detail = Verdict.OK, f"reserved {here.reservation.ip} {on}"
    elif here is not None and scheme is not None:
        verdict = Verdict.OUTSIDE_RANGE
        detail = f"reserved {here.reservation.ip} {on} but {mac} is outside {scheme.mac_range}"
    elif others:
        verdict = Verdict.RESERVED_ELSEWHERE
        where = ", ".join(f"{p.where} ({p.reservation.ip})" for p in others)
        detail = f"{on}, but git reserves {mac} on {where}"
    elif outside and scheme is not None:
        verdict = Verdict.OUTSIDE_RANGE
        detail = f"{mac} is outside {snap.host}'s range {scheme.mac_range}"
    elif not dhcp:
        verdict = Verdict.NO_DHCP
        detail = f"{on}: no libvirt DHCP; the guest sets its own address"
        if network is None:
            detail = f"{on}: no libvirt network, no DHCP; the guest sets its own address"
    else:
        verdict, detail = Verdict.NO_RESERVATION, f"{on} with no reservation in git"
    return NicRow(
        host=snap.host,
        domain=dom.name,
        domain_state=dom.state,
        mac=mac,
        kind=nic.kind,
        network=network,
        bridge=bridge,
        model=nic.model,
        dhcp=dhcp,
        verdict=verdict,
        detail=detail,
        lease=lease,
        reservation=here.reservation if here is not None else None,
        elsewhere=others,
        seen=_seen(snap.neighbours, mac, bridge),
    )
