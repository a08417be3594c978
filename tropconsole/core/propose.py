"""Turn ``--mac auto`` / ``--ip auto`` into a concrete pair, the way an operator would.

Why not just ``next_free``: an operator who gives one half expects its twin (MAC byte =
IP octet, the scheme's habit) when that twin is free, and a full DHCP range should not
make ``auto`` useless. The seed's trop02 range (.8-.15) is full, and the natural next
reservation is the one after the range (``192.168.202.16``), which validation then
reports as a warning ("outside the DHCP range"), not an error. So: inside the range
first (``next_free``), else the first free pair after the range, else the first free
pair below it. Anything proposed is still validated by the caller like typed input.
"""

from __future__ import annotations

from netaddr import IPAddress, IPNetwork

from tropconsole.core.errors import Problem, ValidationError
from tropconsole.core.models import FleetConfig, ReservationRequest
from tropconsole.core.scheme import HostScheme, next_free, scheme_for
from tropconsole.core.validate import normalise_ip, normalise_mac, validate_reservation


def resolve(fleet: FleetConfig, request: ReservationRequest) -> tuple[str | None, str]:
    """The request's (mac, ip) with ``auto``/missing halves filled in.

    Raises ``ValidationError`` (unknown host, no DHCP, nothing free) like ``next_free``.
    A given half is returned untouched: validating it is the caller's job.
    """
    mac = None if request.mac in (None, "auto") else request.mac
    ip = None if request.ip in (None, "auto") else request.ip
    if mac is not None and ip is not None:
        return mac, ip
    try:
        free: tuple[str, str] | None = next_free(fleet, request.host, request.network)
        full: ValidationError | None = None
    except ValidationError as err:
        if any(p.field != "ip" for p in err.problems):
            raise
        free, full = _outside_range(fleet, request), err
    if mac is None and ip is None:
        if free is None:
            assert full is not None
            raise full
        return free
    host_cfg = fleet.host(request.host)
    assert host_cfg is not None  # next_free refused unknown hosts
    scheme = scheme_for(host_cfg)
    if ip is not None:
        twin_mac = _twin_mac(scheme, ip)
        if twin_mac is not None and _clean(fleet, request, twin_mac, ip, "mac"):
            return twin_mac, ip
        if free is not None:
            return free[0], ip
        return _first_free_mac(fleet, request, scheme, ip), ip
    assert mac is not None
    twin_ip = _twin_ip(fleet, request, mac)
    if twin_ip is not None and _clean(fleet, request, mac, twin_ip, "ip", strict=full is None):
        return mac, twin_ip
    if free is not None:
        return mac, free[1]
    assert full is not None
    raise full


def _outside_range(fleet: FleetConfig, request: ReservationRequest) -> tuple[str, str] | None:
    """First pair after the DHCP range that validates with warnings only, else below it."""
    host_cfg = fleet.host(request.host)
    net = host_cfg.network(request.network) if host_cfg else None
    dhcp = net.dhcp_ip if net else None
    if host_cfg is None or dhcp is None or not dhcp.ranges:
        return None
    scheme = scheme_for(host_cfg)
    subnet = IPNetwork(dhcp.cidr)
    top = max(int(IPAddress(r.end)) for r in dhcp.ranges)
    bottom = min(int(IPAddress(r.start)) for r in dhcp.ranges)
    order = [*range(top + 1, int(subnet.last)), *range(int(subnet.first) + 1, bottom)]
    for value in order:
        ip = str(IPAddress(value))
        mac = scheme.mac(value & 0xFF)
        problems = validate_reservation(
            fleet, request.host, request.network, name=None, mac=mac, ip=ip
        )
        if not _errors(problems):
            return mac, ip
    return None


def _first_free_mac(
    fleet: FleetConfig, request: ReservationRequest, scheme: HostScheme, ip: str
) -> str:
    for last in range(1, 0xFF):
        if _clean(fleet, request, scheme.mac(last), ip, "mac"):
            return scheme.mac(last)
    raise ValidationError(
        (Problem("mac", f"every MAC in {request.host}'s range {scheme.mac_range} is taken"),)
    )


def _twin_mac(scheme: HostScheme, ip: str) -> str | None:
    try:
        return scheme.mac(int(normalise_ip(ip).rsplit(".", 1)[1]))
    except (ValidationError, ValueError):
        return None


def _twin_ip(fleet: FleetConfig, request: ReservationRequest, mac: str) -> str | None:
    host_cfg = fleet.host(request.host)
    net = host_cfg.network(request.network) if host_cfg else None
    dhcp = net.dhcp_ip if net else None
    if dhcp is None:
        return None
    try:
        last = int(normalise_mac(mac).rsplit(":", 1)[1], 16)
    except ValidationError:
        return None
    base = int(IPNetwork(dhcp.cidr).network)
    return str(IPAddress(base + last)) if IPNetwork(dhcp.cidr).prefixlen >= 24 else None


def _clean(
    fleet: FleetConfig,
    request: ReservationRequest,
    mac: str,
    ip: str,
    field: str,
    *,
    strict: bool = True,
) -> bool:
    """True when ``field`` of the pair draws no error (``strict``: not even a warning)."""
    problems = validate_reservation(fleet, request.host, request.network, name=None, mac=mac, ip=ip)
    return not any(p.field == field and (strict or p.severity == "error") for p in problems)


def _errors(problems: tuple[Problem, ...]) -> bool:
    return any(p.severity == "error" for p in problems)
