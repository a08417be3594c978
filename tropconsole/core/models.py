"""Typed, frozen models of the fleet's configuration as it stands in git.

These are the shared vocabulary of tropconsole: readers build them, validation and the
allocation scheme read them, the UI and the CLI display them. Nothing here does I/O.
MAC addresses are always held in libvirt's lower-case colon form (``52:54:00:02:02:0a``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InterfaceStanza:
    """One ``iface NAME FAMILY METHOD`` stanza of /etc/network/interfaces."""

    name: str
    family: str  # "inet" or "inet6"
    method: str  # "static", "manual", "dhcp", "loopback", ...
    line: int  # line of the "iface" keyword
    auto: bool = False  # named on an "auto" line
    allow: tuple[str, ...] = ()  # "allow-hotplug" etc. classes naming this interface
    address: str | None = None
    netmask: str | None = None
    network: str | None = None
    gateway: str | None = None
    broadcast: str | None = None
    dns_nameservers: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    bridge_ports: tuple[str, ...] = ()  # empty for non-bridges; ("none",) is kept verbatim
    bridge_options: tuple[tuple[str, str], ...] = ()  # bridge_fd, bridge_stp, ... in file order
    options: tuple[tuple[str, str], ...] = ()  # every option line, raw, in file order
    comment: str | None = None  # the comment block just above the stanza, without "#"

    @property
    def is_bridge(self) -> bool:
        return bool(self.bridge_ports)


@dataclass(frozen=True, slots=True)
class SourceDirective:
    """A ``source``/``source-directory`` line: reported to the operator, never followed."""

    keyword: str
    pattern: str
    line: int


@dataclass(frozen=True, slots=True)
class InterfacesFile:
    path: str
    stanzas: tuple[InterfaceStanza, ...]
    sources: tuple[SourceDirective, ...] = ()

    @property
    def bridges(self) -> tuple[InterfaceStanza, ...]:
        return tuple(s for s in self.stanzas if s.is_bridge)

    def stanza(self, name: str, family: str = "inet") -> InterfaceStanza | None:
        for s in self.stanzas:
            if s.name == name and s.family == family:
                return s
        return None


@dataclass(frozen=True, slots=True)
class Reservation:
    """A DHCP host reservation, ``<host mac=... ip=... name=.../>`` in a libvirt network."""

    ip: str
    mac: str | None = None
    name: str | None = None
    line: int | None = None  # line in the network file, when read from one

    def key(self) -> tuple[str | None, str, str | None]:
        """Identity ignoring where it was read: (mac, ip, name), for set comparisons."""
        return (self.mac, self.ip, self.name)


@dataclass(frozen=True, slots=True)
class DhcpRange:
    start: str
    end: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class NetworkIP:
    """One ``<ip>`` element of a libvirt network with its optional ``<dhcp>`` block."""

    address: str
    family: str = "ipv4"
    netmask: str | None = None
    prefix: int | None = None
    ranges: tuple[DhcpRange, ...] = ()
    hosts: tuple[Reservation, ...] = ()
    has_dhcp: bool = False
    line: int | None = None

    @property
    def prefixlen(self) -> int:
        """The prefix length, from ``prefix`` or ``netmask``; defaults as libvirt does."""
        if self.prefix is not None:
            return self.prefix
        if self.netmask:
            return sum(bin(int(octet)).count("1") for octet in self.netmask.split("."))
        return 24 if self.family == "ipv4" else 64

    @property
    def cidr(self) -> str:
        return f"{self.address}/{self.prefixlen}"


@dataclass(frozen=True, slots=True)
class LibvirtNetwork:
    """A libvirt virtual network definition (``<network>`` XML)."""

    name: str
    uuid: str | None = None
    forward_mode: str | None = None  # None: isolated (no <forward>); "nat", "bridge", ...
    bridge: str | None = None
    mac: str | None = None
    ips: tuple[NetworkIP, ...] = ()
    ipv6: bool = False  # the <network ipv6='yes'> attribute
    path: str | None = None  # file it was read from, None for live XML

    @property
    def dhcp_ip(self) -> NetworkIP | None:
        """The IPv4 ``<ip>`` that carries ``<dhcp>``; libvirt allows at most one per family."""
        for ip in self.ips:
            if ip.has_dhcp and ip.family == "ipv4":
                return ip
        return None

    @property
    def reservations(self) -> tuple[Reservation, ...]:
        return tuple(h for ip in self.ips for h in ip.hosts)


@dataclass(frozen=True, slots=True)
class HostConfig:
    """One hyper-visor's config as it stands in the config repo."""

    name: str  # "trop02"
    index: int | None  # 2 for trop02; None when the name carries no number
    interfaces: InterfacesFile | None
    networks: tuple[LibvirtNetwork, ...] = ()
    root: str = ""  # the host's directory, e.g. ".../src/cfg/tropo/trop02"

    def network(self, name: str) -> LibvirtNetwork | None:
        for n in self.networks:
            if n.name == name:
                return n
        return None


@dataclass(frozen=True, slots=True)
class FleetConfig:
    """Every host in the config repo at one commit."""

    repo: str
    hosts: tuple[HostConfig, ...]
    head: str | None = None  # commit the files were read at, when known
    # One line each, naming the file: a network file linked from outside the repo, a
    # host without a network file the others have. Shown by every reader; never fatal.
    warnings: tuple[str, ...] = ()

    def host(self, name: str) -> HostConfig | None:
        for h in self.hosts:
            if h.name == name:
                return h
        return None


@dataclass(frozen=True, slots=True)
class Lease:
    """A DHCP lease held by a guest, as libvirt (or dnsmasq's status file) reports it."""

    host: str
    network: str
    mac: str
    ip: str
    hostname: str | None = None
    client_id: str | None = None
    expiry: int | None = None  # epoch seconds; None when the lease never expires
    source: str = "libvirt"  # "libvirt", "status-file" or "demo"


@dataclass(frozen=True, slots=True)
class ReservationRequest:
    """What an operator asks for: add (or remove) one reservation on one host's network."""

    host: str
    network: str = "default"
    name: str | None = None
    mac: str | None = None  # None or "auto": pick the next free
    ip: str | None = None  # None or "auto": pick the next free
