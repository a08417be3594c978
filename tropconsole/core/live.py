"""Typed, frozen models of what the hosts report live: links, networks, leases, NICs.

The remote collectors and the demo fleet produce these; drift, the CLI and the UI read
them. A ``FleetSnapshot`` is immutable, so a UI can diff two of them without locks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tropconsole.core.models import Lease, LibvirtNetwork


@dataclass(frozen=True, slots=True)
class LiveAddress:
    family: str  # "inet" or "inet6"
    address: str
    prefixlen: int

    @property
    def cidr(self) -> str:
        return f"{self.address}/{self.prefixlen}"


@dataclass(frozen=True, slots=True)
class LiveLink:
    """A network link on a host (from ``ip -j -d addr``; a bridge's ports name it as master)."""

    name: str
    mac: str | None = None
    state: str = "UNKNOWN"  # operstate: "UP", "DOWN", "UNKNOWN"
    kind: str | None = None  # "bridge", "veth", "dummy", ... from linkinfo
    master: str | None = None  # the bridge this link is a port of
    addresses: tuple[LiveAddress, ...] = ()
    ports: tuple[str, ...] = ()  # for a bridge: its member ports

    @property
    def is_bridge(self) -> bool:
        return self.kind == "bridge"


@dataclass(frozen=True, slots=True)
class LiveNetwork:
    """A libvirt network as the host's libvirtd reports it."""

    name: str
    active: bool
    autostart: bool
    persistent: bool
    bridge: str | None
    running_xml: str  # XMLDesc(0)
    persistent_xml: str | None  # XMLDesc(VIR_NETWORK_XML_INACTIVE); None if transient
    running: LibvirtNetwork | None = None  # parsed running_xml
    persistent_def: LibvirtNetwork | None = None  # parsed persistent_xml


@dataclass(frozen=True, slots=True)
class DomainNic:
    """One ``<interface>`` of a libvirt domain, from the domain's XML."""

    domain: str
    mac: str
    network: str | None = None  # source network name for type='network'
    bridge: str | None = None  # source bridge for type='bridge'
    active: bool = False
    model: str | None = None  # <model type='virtio'/>
    kind: str = "network"  # the interface type: "network", "bridge", "direct", ...
    target: str | None = None  # the host's tap (vnet0) while the domain runs


@dataclass(frozen=True, slots=True)
class Domain:
    """A libvirt domain as its host's libvirtd reports it (listAllDomains + XMLDesc)."""

    name: str
    state: str  # "running", "paused" or "shut off"
    vcpus: int = 0
    memory_kib: int = 0  # <currentMemory>, else <memory>
    uuid: str | None = None
    nics: tuple[DomainNic, ...] = ()

    @property
    def active(self) -> bool:
        return self.state != "shut off"


@dataclass(frozen=True, slots=True)
class Neighbour:
    """One entry of the host's neighbour table (``ip -j -s neigh``): an address seen on a
    link with the MAC that answered for it. Ages are seconds, as ``ip -s`` prints them."""

    ip: str
    dev: str
    mac: str | None = None  # lladdr, lower case; None while unresolved (INCOMPLETE, FAILED)
    states: tuple[str, ...] = ()  # ("REACHABLE",), ("STALE",), ("PERMANENT",), ...
    used: int | None = None  # seconds since the kernel last used the entry
    confirmed: int | None = None  # seconds since the neighbour last confirmed it
    updated: int | None = None  # seconds since the entry last changed

    @property
    def state(self) -> str:
        return "/".join(self.states) or "?"


DEFAULT_CHECKOUT = "/var/local/projects/heliodines/git"


@dataclass(frozen=True, slots=True)
class CheckoutState:
    """The host's own copy of the config repo, read in the refresh's one exec."""

    path: str
    head: str | None = None  # full commit id; None when it could not be read
    dirty: bool = False  # ``git status --porcelain`` printed anything
    error: str | None = None  # why head is unknown: no git, no such directory, ...


@dataclass(frozen=True, slots=True)
class Counters:
    """Work done for one host since the poller started: what steady state must not grow."""

    handshakes: int = 0  # SSH transports (and libvirt connections) opened
    execs: int = 0  # SSH exec channels run
    rpcs: int = 0  # libvirt API calls made


@dataclass(frozen=True, slots=True)
class HostSnapshot:
    """One host's live state from one successful refresh."""

    host: str
    taken_at: float  # epoch seconds
    rtt_ms: float | None = None  # round trip of the cheapest call of the refresh
    links: tuple[LiveLink, ...] = ()
    networks: tuple[LiveNetwork, ...] = ()
    leases: tuple[Lease, ...] = ()
    nics: tuple[DomainNic, ...] = ()  # every domain's NICs (the same objects as in domains)
    demo: bool = False  # produced by the embedded demo fleet, not a real host
    domains: tuple[Domain, ...] = ()
    neighbours: tuple[Neighbour, ...] = ()  # the host's neighbour table; () for the demo
    checkout: CheckoutState | None = None  # None: not read (the demo fleet)

    @property
    def bridges(self) -> tuple[LiveLink, ...]:
        return tuple(link for link in self.links if link.is_bridge)

    def network(self, name: str) -> LiveNetwork | None:
        for n in self.networks:
            if n.name == name:
                return n
        return None


class HostState(StrEnum):
    CONNECTING = "connecting"  # no refresh has finished yet
    OK = "ok"  # last refresh succeeded
    STALE = "stale"  # last refresh failed; ``snapshot`` is the last good one
    DOWN = "down"  # never reached; no snapshot at all


@dataclass(frozen=True, slots=True)
class HostStatus:
    host: str
    state: HostState
    snapshot: HostSnapshot | None = None  # the last good snapshot, possibly old
    error: str | None = None  # why the last refresh failed, for an operator
    last_ok: float | None = None
    last_attempt: float | None = None
    counters: Counters = field(default_factory=Counters)
    read_only: bool = False

    def age(self, now: float) -> float | None:
        """Seconds since the last good refresh, or None if there never was one."""
        return None if self.last_ok is None else max(0.0, now - self.last_ok)


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    taken_at: float
    hosts: tuple[HostStatus, ...] = ()

    def host(self, name: str) -> HostStatus | None:
        for h in self.hosts:
            if h.host == name:
                return h
        return None

    @property
    def leases(self) -> tuple[Lease, ...]:
        return tuple(lease for h in self.hosts if h.snapshot for lease in h.snapshot.leases)
