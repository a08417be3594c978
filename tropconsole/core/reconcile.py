"""Host bridges vs the interfaces file, and leases vs reservations vs domains.

Bridges: every bridge stanza of the host's ``/etc/network/interfaces`` in git must exist
live, hold its ``bridge_ports`` and carry its static address. A live bridge that git does
not describe is reported unless it is someone else's by design:
  * libvirt's own: the bridge any libvirt network on the host names, and ``virbr*``;
  * container runtimes: ``docker0``, ``br-<12 hex>`` (docker networks), ``cni*``,
    ``lxcbr*``, ``lxdbr*``, ``podman*``.
Extra ports on a git bridge are only info, and guest taps (``vnet*``, ``tap*``,
``macvtap*``, ``vif*``) are ignored: bridged guests join br0 that way. When the snapshot
has no links at all (the demo fleet, or a host whose link read failed), bridge drift is
unknown and nothing is reported rather than every bridge "missing".

Leases are checked against the reservations dnsmasq enforces (the running definition
when the network runs, else the persistent one, else git): disagreements between those
and git are network drift, reported once, not again here.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from tropconsole.core.errors import ConfigError
from tropconsole.core.findings import Action, Finding, Kind, Severity
from tropconsole.core.live import HostSnapshot, LiveLink
from tropconsole.core.models import FleetConfig, HostConfig, Lease, LibvirtNetwork, Reservation
from tropconsole.core.netdrift import live_defs, norm_ip
from tropconsole.core.scheme import norm_mac

_FOREIGN_BRIDGE = re.compile(r"^(virbr|cni|lxcbr|lxdbr|podman)|^docker0$|^br-[0-9a-f]{12}$")
_GUEST_TAP = re.compile(r"^(vnet|tap|macvtap|vif)")


def iso(epoch: int | None) -> str:
    """Lease expiry as ISO-8601 UTC; empty for a lease that never expires."""
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat().replace("+00:00", "Z")


def bridge_drift(host: HostConfig, snap: HostSnapshot) -> tuple[Finding, ...]:
    """Bridges of the interfaces file in git vs the links the host reports."""
    if host.interfaces is None or not snap.links:
        return ()
    links = {link.name: link for link in snap.links}
    out: list[Finding] = []
    seen: set[str] = set()
    path = host.interfaces.path
    for stanza in host.interfaces.bridges:
        if stanza.name in seen:
            continue
        seen.add(stanza.name)
        at = f"{path}:{stanza.line}"

        def finding(
            kind: Kind,
            sev: Severity,
            where: str,
            detail: str,
            fix: str,
            aspect: str,
            subject: str = stanza.name,
        ) -> Finding:
            return Finding(
                host=host.name,
                kind=kind,
                severity=sev,
                subject=subject,
                where=where,
                detail=detail,
                fix=fix,
                action=Action.FIX_BRIDGE,
                aspect=aspect,
            )

        link = links.get(stanza.name)
        if link is None or not link.is_bridge:
            what = "does not exist" if link is None else f"is a {link.kind or 'plain'} link"
            out.append(
                finding(
                    Kind.BRIDGE_MISSING,
                    Severity.ERROR,
                    "only in git",
                    f"{stanza.name} ({at}) {what} on the host",
                    f"ifup {stanza.name} on {host.name}",
                    "bridge",
                )
            )
            continue
        members = set(link.ports) | {lk.name for lk in snap.links if lk.master == link.name}
        wanted = {p for p in stanza.bridge_ports if p != "none"}
        for port in sorted(wanted - members):
            state = links.get(port)
            now = (
                "does not exist"
                if state is None
                else f"is not a member (master: {state.master or 'none'})"
            )
            out.append(
                finding(
                    Kind.BRIDGE_PORT_MISSING,
                    Severity.ERROR,
                    "only in git",
                    f"{stanza.name} lost its uplink port {port}: {port} {now} "
                    f"(bridge_ports at {at})",
                    f"ip link set {port} master {stanza.name} on {host.name} "
                    f"(or ifreload/ifup {stanza.name})",
                    "port",
                    subject=f"{stanza.name}/{port}",
                )
            )
        for port in sorted(members - wanted):
            if not _GUEST_TAP.match(port):
                out.append(
                    finding(
                        Kind.BRIDGE_PORT_EXTRA,
                        Severity.INFO,
                        "only live",
                        f"{port} is a port of {stanza.name} but not in its bridge_ports ({at})",
                        f"add it to bridge_ports in git, or ip link set {port} nomaster",
                        "port",
                        subject=f"{stanza.name}/{port}",
                    )
                )
        out.extend(
            _address(
                host.name, stanza.name, stanza.method, stanza.address, stanza.netmask, link, at
            )
        )
    for link in snap.bridges:
        if link.name not in seen and not _foreign(link.name, snap):
            out.append(
                Finding(
                    host=host.name,
                    kind=Kind.BRIDGE_UNEXPECTED,
                    severity=Severity.WARNING,
                    subject=link.name,
                    where="only live",
                    detail=f"bridge {link.name} exists on the host but not in {path}",
                    fix=f"describe it in {path}, or remove it (ip link del {link.name})",
                    action=Action.EDIT_CONFIG,
                    aspect="bridge",
                )
            )
    return tuple(out)


def _address(
    host: str,
    name: str,
    method: str,
    address: str | None,
    netmask: str | None,
    link: LiveLink,
    at: str,
) -> list[Finding]:
    if method != "static" or not address:
        return []
    try:
        want = ipaddress.ip_interface(f"{address}/{netmask or 24}")
    except ValueError:
        return []  # the interfaces parser and validation report bad addresses
    have = [ipaddress.ip_interface(a.cidr) for a in link.addresses if a.family == "inet"]
    if want in have:
        return []
    shown = ", ".join(str(a) for a in have) or "no IPv4 address"
    return [
        Finding(
            host=host,
            kind=Kind.BRIDGE_ADDRESS,
            severity=Severity.ERROR,
            subject=name,
            where="git≠live",
            detail=f"{name}: git {want} ({at}), live {shown}",
            fix=f"ip addr add {want} dev {name} on {host}, or correct {at}",
            action=Action.FIX_BRIDGE,
            aspect="address",
            ip=str(want.ip),
        )
    ]


def _foreign(name: str, snap: HostSnapshot) -> bool:
    if _FOREIGN_BRIDGE.match(name):
        return True
    return any(net.bridge == name for net in snap.networks)


def _enforced(host: str, net: LibvirtNetwork, snap: HostSnapshot) -> tuple[Reservation, ...]:
    """The reservations dnsmasq hands out now: running, else persistent, else git."""
    live = snap.network(net.name)
    if live is None:
        return net.reservations
    try:
        persistent, running, _ = live_defs(host, live)
    except ConfigError:
        return net.reservations
    side = running or persistent
    return side.reservations if side is not None else net.reservations


def lease_findings(fleet: FleetConfig, host: HostConfig, snap: HostSnapshot) -> tuple[Finding, ...]:
    """Leases vs reservations vs domain NICs on every DHCP network of ``host``, and git
    reservations that break the per-host scheme."""
    out: list[Finding] = []
    elsewhere = _reserved_elsewhere(fleet, host.name)
    domain_macs = {norm_mac(n.mac) for n in snap.nics}
    for net in host.networks:
        if net.dhcp_ip is None:
            continue
        enforced = {norm_mac(r.mac): r for r in _enforced(host.name, net, snap) if r.mac}
        in_git = {norm_mac(r.mac) for r in net.reservations if r.mac}
        leases = [lease for lease in snap.leases if lease.network == net.name]
        leased: dict[str | None, Lease] = {}
        for lease in leases:
            mac = norm_mac(lease.mac)
            leased[mac] = lease
            out.extend(
                _lease(
                    host.name,
                    net.name,
                    lease,
                    mac,
                    enforced.get(mac),
                    mac in in_git,
                    elsewhere.get(mac or ""),
                )
            )
        if snap.nics:
            for res in net.reservations:
                mac = norm_mac(res.mac)
                if mac and mac not in domain_macs:
                    out.append(
                        Finding(
                            host=host.name,
                            kind=Kind.RESERVATION_UNUSED,
                            severity=Severity.INFO,
                            subject=mac,
                            where="only in git",
                            detail=f"{mac} {res.ip} ({res.name or 'no name'}) is reserved but "
                            f"no domain on {host.name} uses it",
                            fix="free it if the guest is gone (console: remove reservation)",
                            action=Action.EDIT_CONFIG,
                            aspect="reservation",
                            network=net.name,
                            mac=mac,
                            ip=res.ip,
                        )
                    )
        for nic in snap.nics:
            mac = norm_mac(nic.mac)
            if nic.network != net.name or mac in enforced or mac in in_git:
                continue
            lease_ip = leased[mac].ip if mac in leased else None
            out.append(
                Finding(
                    host=host.name,
                    kind=Kind.NIC_UNRESERVED,
                    severity=Severity.WARNING,
                    subject=mac or nic.mac,
                    where="only live",
                    detail=f"domain {nic.domain} has a NIC {mac} on {net.name} with no "
                    f"reservation" + (f" (leased {lease_ip})" if lease_ip else ""),
                    fix="reserve it (console: reserve this lease)",
                    action=Action.RESERVE_LEASE,
                    aspect="nic",
                    network=net.name,
                    mac=mac,
                    ip=lease_ip,
                )
            )
    out.extend(_scheme(fleet, host))
    return tuple(out)


def _lease(
    host: str,
    net: str,
    lease: Lease,
    mac: str | None,
    res: Reservation | None,
    in_git: bool,
    other: str | None,
) -> list[Finding]:
    name = lease.hostname or "no hostname"
    until = f"until {iso(lease.expiry)}" if lease.expiry else "with no expiry"
    if res is not None:
        if norm_ip(res.ip) == norm_ip(lease.ip):
            return []
        return [
            Finding(
                host=host,
                kind=Kind.LEASE_WRONG_IP,
                severity=Severity.WARNING,
                subject=mac or lease.mac,
                where="lease≠reservation",
                detail=f"{mac} is reserved {res.ip} ({res.name or 'no name'}) but holds a lease "
                f"on {lease.ip} {until}; stale until the guest renews",
                fix="renew DHCP in the guest (or wait for the lease to expire)",
                action=Action.RENEW_LEASE,
                aspect="lease",
                network=net,
                mac=mac,
                ip=lease.ip,
            )
        ]
    if in_git:
        return []  # reserved in git but not live: the network drift already says so
    moved = f"; reserved on {other} (guest moved?)" if other else ""
    return [
        Finding(
            host=host,
            kind=Kind.LEASE_UNRESERVED,
            severity=Severity.INFO,
            subject=mac or lease.mac,
            where="only in leases",
            detail=f"{mac} holds {lease.ip} ({name}) {until} with no reservation{moved}",
            fix="reserve it (console: reserve this lease; CLI: tropconsole reserve)",
            action=Action.RESERVE_LEASE,
            aspect="lease",
            network=net,
            mac=mac,
            ip=lease.ip,
        )
    ]


def _reserved_elsewhere(fleet: FleetConfig, here: str) -> dict[str, str]:
    """MAC -> other host whose git reserves it, to explain a lease of a moved guest."""
    found: dict[str, str] = {}
    for other in fleet.hosts:
        if other.name == here:
            continue
        for net in other.networks:
            for res in net.reservations:
                mac = norm_mac(res.mac)
                if mac:
                    found.setdefault(mac, other.name)
    return found


def _scheme(fleet: FleetConfig, host: HostConfig) -> Iterable[Finding]:
    from tropconsole.core.errors import ValidationError
    from tropconsole.core.scheme import fleet_schemes, scheme_for

    try:
        own = scheme_for(host)
    except ValidationError:
        return  # no scheme for this host: validation explains why, drift cannot judge
    others = {n: s for n, s in fleet_schemes(fleet).items() if n != host.name}
    for net in host.networks:
        for res in net.reservations:
            mac = norm_mac(res.mac)
            problems: list[str] = []
            owner: str | None = None
            if mac and not own.owns_mac(mac):
                owner = next((n for n, s in others.items() if s.owns_mac(mac)), None)
                problems.append(
                    f"MAC {mac} is outside {own.mac_range}"
                    + (f" (it is {owner}'s prefix)" if owner else "")
                )
            if not own.owns_ip(res.ip):
                ip_owner = next((n for n, s in others.items() if s.owns_ip(res.ip)), None)
                owner = owner or ip_owner
                problems.append(
                    f"IP {res.ip} is outside {own.subnet}"
                    + (f" (it is {ip_owner}'s subnet)" if ip_owner else "")
                )
            if not problems:
                continue
            at = f" at {net.path}:{res.line}" if net.path and res.line else ""
            yield Finding(
                host=host.name,
                kind=Kind.SCHEME_VIOLATION,
                severity=Severity.ERROR if owner else Severity.WARNING,
                subject=mac or res.ip,
                where="in git",
                detail=f"{res.name or 'reservation'}{at}: " + "; ".join(problems),
                fix=(f"move it to {owner}'s config, or " if owner else "")
                + f"give it a MAC/IP from {own.mac_range} / {own.subnet}",
                action=Action.EDIT_CONFIG,
                aspect="reservation",
                network=net.name,
                mac=mac,
                ip=res.ip,
            )
