"""Validation of one DHCP reservation against the whole fleet, before anything is written.

``validate_reservation`` returns every problem at once, so an operator fixes a form in
one go instead of meeting the errors one by one. Severity ``"error"`` refuses the write;
``"warning"`` is shown and allowed. Every conflict carries ``conflict=Where(...)`` naming
the twin entry's host, network, file and line. Problems come ordered by field (host,
network, name, mac, ip) so a form can show them next to its inputs.

Decisions:

* **Outside the DHCP range is a warning.** libvirt wants static hosts in a subnet that
  has a ``<range>``, but dnsmasq serves a reserved host anywhere in that subnet, and
  operators sometimes park fixed guests above the range on purpose. A sysadmin still
  expects a heads-up, because the scheme keeps reservations inside the range.
  Outside the *subnet*, or on its network, broadcast or gateway address, is an error.
* **An IP used anywhere in the fleet is a conflict**, whatever host or network holds it.
  Each host owns its own subnet, so the same address on two hosts means one of them is
  off-scheme, and an address in a trace or a log would no longer name one guest.
  Networks' own addresses (``<ip address>``) count too.
* **MACs are unique fleet-wide**, including the networks' bridge MACs
  (``<mac address>``, e.g. ``52:54:00:02:02:01``): the bridged networks of all hosts
  share the machine-room VLAN, where two NICs with one MAC collide.
* **Names are unique fleet-wide, case-insensitively**, since DNS names are.
* A reservation needs a MAC or a name (libvirt refuses an IPv4 ``<host>`` with neither).
* An address outside the host's scheme subnet but inside the network's subnet, or in
  another host's scheme subnet, is a warning: legal for libvirt, misleading in a trace.
* With ``leases``, an address leased to another MAC right now is a warning: dnsmasq
  keeps that lease until it expires.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from netaddr import AddrFormatError, IPAddress, IPNetwork

from .errors import Problem, ValidationError, Where
from .models import FleetConfig, Lease, NetworkIP, Reservation
from .scheme import HostScheme, SchemeOverride, fleet_schemes, parse_mac, scheme_for

_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_FIELD_ORDER = {"host": 0, "network": 1, "name": 2, "mac": 3, "ip": 4}
_MAC_HINT = "write it like 52:54:00:02:02:0a (hyphens, Cisco dots and 12 bare hex digits work)"


def normalise_mac(text: str) -> str:
    """``text`` in libvirt's lower-case colon form; ``ValidationError`` when it is no MAC."""
    mac = parse_mac(text)
    if mac is None:
        raise ValidationError((Problem("mac", f"{text!r} is not a MAC address; {_MAC_HINT}"),))
    return mac


def normalise_ip(text: str) -> str:
    """``text`` as a dotted-quad IPv4 address; refuses IPv6, short and zero-padded forms."""
    addr = _parse_ipv4(text)
    if addr is None:
        raise ValidationError((Problem("ip", _bad_ip(text)),))
    return str(addr)


def is_hostname_label(name: str) -> bool:
    """RFC 1123 label: 1-63 letters, digits or hyphens, not starting or ending with one."""
    return isinstance(name, str) and _LABEL.fullmatch(name) is not None


def check(problems: Iterable[Problem]) -> None:
    """Raise ``ValidationError`` carrying all problems when any of them is an error."""
    found = tuple(problems)
    if any(p.severity == "error" for p in found):
        raise ValidationError(found)


def validate_reservation(
    fleet: FleetConfig,
    host: str,
    network: str,
    *,
    name: str | None,
    mac: str | None,
    ip: str,
    scheme: HostScheme | None = None,
    ignore: Reservation | None = None,
    overrides: Mapping[str, SchemeOverride] | None = None,
    leases: Iterable[Lease] = (),
) -> tuple[Problem, ...]:
    """Every problem with reserving (name, mac, ip) on ``host``'s ``network``.

    ``scheme`` replaces the host's derived scheme; ``overrides`` are used for every host
    (to say who owns a MAC or subnet). ``ignore`` is the entry being edited on that same
    network, so it does not conflict with itself.
    """
    problems: list[Problem] = []
    dhcp, net_path = _target(fleet, host, network, problems)
    host_cfg = fleet.host(host)
    if scheme is None and host_cfg is not None:
        try:
            scheme = scheme_for(host_cfg, overrides)
        except ValidationError as exc:
            problems.extend(exc.problems)
    schemes = fleet_schemes(fleet, overrides)
    if scheme is not None:
        schemes[host] = scheme

    mac_norm = _check_mac(mac, name, host, scheme, schemes, problems)
    addr = _parse_ipv4(ip)
    if addr is None:
        problems.append(Problem("ip", _bad_ip(ip)))
    elif dhcp is not None:
        _check_ip(addr, host, network, dhcp, net_path, scheme, schemes, problems)
    if name is not None and not is_hostname_label(name):
        problems.append(Problem("name", _bad_name(name)))
    _check_duplicates(fleet, host, network, mac_norm, addr, name, ignore, problems)
    _check_leases(leases, mac_norm, addr, problems)
    return tuple(sorted(problems, key=lambda p: _FIELD_ORDER.get(p.field, len(_FIELD_ORDER))))


def _target(
    fleet: FleetConfig, host: str, network: str, problems: list[Problem]
) -> tuple[NetworkIP | None, str | None]:
    host_cfg = fleet.host(host)
    if host_cfg is None:
        known = ", ".join(h.name for h in fleet.hosts) or "none"
        problems.append(Problem("host", f"unknown host {host!r}; the config repo has: {known}"))
        return None, None
    net = host_cfg.network(network)
    if net is None:
        known = ", ".join(n.name for n in host_cfg.networks) or "none"
        problems.append(Problem("network", f"{host} has no network {network!r}; it has: {known}"))
        return None, None
    if net.dhcp_ip is None:
        with_dhcp = ", ".join(n.name for n in host_cfg.networks if n.dhcp_ip) or "none"
        problems.append(
            Problem(
                "network",
                f"{host}/{network} has no IPv4 <dhcp> block, so it cannot hold "
                f"reservations; networks with DHCP on {host}: {with_dhcp}",
            )
        )
        return None, net.path
    return net.dhcp_ip, net.path


def _check_mac(
    mac: str | None,
    name: str | None,
    host: str,
    scheme: HostScheme | None,
    schemes: Mapping[str, HostScheme],
    problems: list[Problem],
) -> str | None:
    if mac is None:
        if name is None:
            problems.append(
                Problem(
                    "mac", "give a MAC or a name: libvirt refuses an IPv4 <host> entry with neither"
                )
            )
        return None
    norm = parse_mac(mac)
    if norm is None:
        problems.append(Problem("mac", f"{mac!r} is not a MAC address; {_MAC_HINT}"))
        return None
    if norm == "ff:ff:ff:ff:ff:ff":
        problems.append(
            Problem("mac", f"{norm} is the broadcast address; a guest NIC needs a unicast MAC")
        )
    elif int(norm[:2], 16) & 1:
        problems.append(
            Problem(
                "mac",
                f"{norm} is a multicast address (first byte is odd); "
                "a guest NIC needs a unicast MAC",
            )
        )
    elif norm == "00:00:00:00:00:00":
        problems.append(Problem("mac", "00:00:00:00:00:00 is not a usable MAC address"))
    if scheme is not None and not scheme.owns_mac(norm):
        owner = next((s for s in schemes.values() if s.host != host and s.owns_mac(norm)), None)
        mine = f"{host}'s ({scheme.mac_range})"
        if owner is not None:
            text = f"{norm} is in {owner.host}'s range {owner.mac_range}, not {mine}"
        else:
            text = (
                f"{norm} is outside {host}'s range {scheme.mac_range}; "
                "use a MAC from that range (or let tropconsole pick one)"
            )
        problems.append(Problem("mac", text))
    return norm


def _check_ip(
    addr: IPAddress,
    host: str,
    network: str,
    dhcp: NetworkIP,
    path: str | None,
    scheme: HostScheme | None,
    schemes: Mapping[str, HostScheme],
    problems: list[Problem],
) -> None:
    subnet = IPNetwork(dhcp.cidr)
    here = Where(host, network, path, dhcp.line)
    other = next((s for s in schemes.values() if s.host != host and s.owns_ip(str(addr))), None)
    if addr not in subnet:
        hint = f" (it is in {other.host}'s subnet {other.subnet})" if other else ""
        problems.append(
            Problem("ip", f"{addr} is outside {host}/{network}'s subnet {subnet.cidr}{hint}")
        )
        return
    if addr == subnet.network:
        problems.append(Problem("ip", f"{addr} is the network address of {subnet.cidr}"))
        return
    if subnet.broadcast is not None and addr == subnet.broadcast:
        problems.append(Problem("ip", f"{addr} is the broadcast address of {subnet.cidr}"))
        return
    if addr == IPAddress(dhcp.address):
        problems.append(
            Problem(
                "ip",
                f"{addr} is {host}/{network}'s own address (the guests' gateway)",
                conflict=here,
            )
        )
        return
    ranges = [(IPAddress(r.start), IPAddress(r.end)) for r in dhcp.ranges]
    if not ranges:
        where = f" in {path}" if path else ""
        problems.append(
            Problem(
                "ip",
                f"{host}/{network}'s <dhcp> has no <range>{where}; libvirt "
                "expects one in a subnet with static hosts",
                severity="warning",
            )
        )
    elif not any(lo <= addr <= hi for lo, hi in ranges):
        shown = ", ".join(f"{r.start}-{r.end}" for r in dhcp.ranges)
        problems.append(
            Problem(
                "ip",
                f"{addr} is outside the DHCP range ({shown}) of "
                f"{host}/{network}; dnsmasq still serves it, but the scheme "
                "keeps reservations inside the range",
                severity="warning",
            )
        )
    if scheme is not None and not scheme.owns_ip(str(addr)):
        if other is not None:
            problems.append(
                Problem(
                    "ip",
                    f"{addr} is in {other.host}'s subnet "
                    f"{other.subnet}, not {host}'s ({scheme.subnet})",
                    severity="warning",
                )
            )
        elif IPNetwork(scheme.subnet) in subnet or subnet in IPNetwork(scheme.subnet):
            problems.append(
                Problem(
                    "ip", f"{addr} is outside {host}'s subnet {scheme.subnet}", severity="warning"
                )
            )


def _check_duplicates(
    fleet: FleetConfig,
    host: str,
    network: str,
    mac: str | None,
    addr: IPAddress | None,
    name: str | None,
    ignore: Reservation | None,
    problems: list[Problem],
) -> None:
    folded = name.casefold() if name is not None else None
    for h in fleet.hosts:
        for net in h.networks:
            same = h.name == host and net.name == network
            if mac is not None and net.mac and parse_mac(net.mac) == mac:
                problems.append(
                    Problem(
                        "mac",
                        f"{mac} is the bridge MAC of {h.name}/{net.name}",
                        conflict=Where(h.name, net.name, net.path, None),
                    )
                )
            for nip in net.ips:
                where = Where(h.name, net.name, net.path, nip.line)
                if addr is not None and not same and _same_ip(nip.address, addr):
                    problems.append(
                        Problem(
                            "ip",
                            f"{addr} is the address of network {h.name}/{net.name}",
                            conflict=where,
                        )
                    )
                for res in nip.hosts:
                    if same and ignore is not None and _is(res, ignore):
                        continue
                    twin = Where(h.name, net.name, net.path, res.line)
                    label = f"{_describe(res)} on {h.name}/{net.name}"
                    if mac is not None and res.mac and parse_mac(res.mac) == mac:
                        problems.append(
                            Problem("mac", f"{mac} is already reserved for {label}", conflict=twin)
                        )
                    if addr is not None and _same_ip(res.ip, addr):
                        problems.append(
                            Problem("ip", f"{addr} is already reserved for {label}", conflict=twin)
                        )
                    if folded is not None and res.name and res.name.casefold() == folded:
                        problems.append(
                            Problem(
                                "name",
                                f"{name!r} is already used by "
                                f"{label} (names are unique fleet-wide, "
                                "ignoring case)",
                                conflict=twin,
                            )
                        )


def _check_leases(
    leases: Iterable[Lease], mac: str | None, addr: IPAddress | None, problems: list[Problem]
) -> None:
    if addr is None:
        return
    for lease in leases:
        if _same_ip(lease.ip, addr) and (mac is None or parse_mac(lease.mac) != mac):
            who = f" ({lease.hostname})" if lease.hostname else ""
            problems.append(
                Problem(
                    "ip",
                    f"{addr} is leased right now to {lease.mac}{who} on "
                    f"{lease.host}/{lease.network}; that guest keeps it until the lease expires",
                    severity="warning",
                    conflict=Where(lease.host, lease.network),
                )
            )


def _is(res: Reservation, ignore: Reservation) -> bool:
    """True when ``res`` is the entry being edited (same MAC, IP, name; same line if known)."""
    same_mac = parse_mac(res.mac or "") == parse_mac(ignore.mac or "")
    same = same_mac and res.ip == ignore.ip and res.name == ignore.name
    return same and (ignore.line is None or res.line is None or res.line == ignore.line)


def _describe(res: Reservation) -> str:
    parts = [p for p in (res.mac, res.ip) if p]
    return f"{res.name or '(no name)'} ({', '.join(parts)})"


def _same_ip(text: str, addr: IPAddress) -> bool:
    parsed = _parse_ipv4(text)
    return parsed is not None and parsed == addr


def _parse_ipv4(text: str) -> IPAddress | None:
    if not isinstance(text, str):
        return None
    try:
        addr = IPAddress(text.strip())
    except (AddrFormatError, ValueError, TypeError):
        return None
    return addr if addr.version == 4 else None


def _bad_ip(text: str) -> str:
    if isinstance(text, str) and not text.strip():
        return "no IP address given; write one like 192.168.202.20"
    if isinstance(text, str) and ":" in text:
        return f"{text!r} is not an IPv4 address; only IPv4 reservations are supported"
    return f"{text!r} is not an IPv4 address; write it like 192.168.202.20"


def _bad_name(name: str) -> str:
    if not name:
        return "the name is empty; give a host name such as web01, or leave it out"
    if "." in name:
        first = name.split(".", 1)[0]
        hint = f" ({first!r})" if is_hostname_label(first) else ""
        return f"{name!r} must be a single label; drop the domain{hint}"
    if len(name) > 63:
        return f"{name!r} is {len(name)} characters; a host name label is at most 63"
    if name.startswith("-") or name.endswith("-"):
        return f"{name!r} must not start or end with a hyphen"
    bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c == "-"))})
    return f"{name!r} may only hold letters, digits and hyphens (found {''.join(bad)!r})"
