"""The per-host allocation scheme, and the next free (MAC, IP) pair it proposes.

Hyper-visor N owns the MAC prefix ``52:54:00:02:NN`` and the IPv4 subnet
``192.168.(200+N).0/24``, so a MAC or an address in a packet trace says which hyper-visor
the guest lives on. The scheme is derived from ``HostConfig.index`` and can be overridden
per host (``SchemeOverride``, plain data that the inventory fills in later).

Hosts beyond 9: the MAC byte is the host's number *written in decimal and read as hex*
(trop10 -> ``52:54:00:02:10``, trop42 -> ``52:54:00:02:42``), not ``index`` as a hex byte
(trop10 -> ``0a``). For trop01..trop09 both rules agree; only this one keeps the MAC and
the IP reading the same number (trop10 is ``52:54:00:02:10:xx`` and ``192.168.210.x``).
The IP rule needs 200+N <= 255, so both rules stop at N = 55: a host whose index is
above 55, or whose name has no number, is refused with an error that asks for an
override instead of silently sharing someone else's range.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from netaddr import EUI, AddrFormatError, IPAddress, IPNetwork

from .errors import Problem, ValidationError
from .models import FleetConfig, HostConfig, Lease, LibvirtNetwork, NetworkIP

MAC_BASE = "52:54:00:02"  # the fleet's first four MAC bytes; byte five names the host
MAX_INDEX = 55  # 192.168.(200 + 55) is the last subnet the IP rule can express


@dataclass(frozen=True, slots=True)
class SchemeOverride:
    """A per-host replacement for the derived scheme; ``None`` keeps the derived value.

    ``mac_prefix`` is five bytes (``52:54:00:02:0a``, a trailing ``:xx`` is accepted);
    ``subnet`` is an IPv4 network in CIDR form (``192.168.210.0/24``).
    """

    mac_prefix: str | None = None
    subnet: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> SchemeOverride:
        """Build from an inventory table (``{"mac_prefix": ..., "subnet": ...}``)."""
        unknown = sorted(set(data) - {"mac_prefix", "subnet"})
        if unknown:
            raise _invalid(
                "scheme", f"unknown key(s) {', '.join(unknown)}; expected mac_prefix and/or subnet"
            )
        values: dict[str, str | None] = {}
        for key in ("mac_prefix", "subnet"):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise _invalid("scheme", f"{key} must be a string, not {type(value).__name__}")
            values[key] = value
        return cls(mac_prefix=values["mac_prefix"], subnet=values["subnet"])


@dataclass(frozen=True, slots=True)
class HostScheme:
    """One host's share of the address space: a 5-byte MAC prefix and an IPv4 subnet."""

    host: str
    mac_prefix: str  # "52:54:00:02:02", lower case, five bytes, no trailing colon
    subnet: str  # "192.168.202.0/24"

    @property
    def mac_range(self) -> str:
        """How operators write the range: ``52:54:00:02:02:xx``."""
        return f"{self.mac_prefix}:xx"

    def mac(self, last: int) -> str:
        """The MAC with this last byte inside the host's prefix."""
        if not 0 <= last <= 0xFF:
            raise ValueError(f"MAC byte out of range: {last}")
        return f"{self.mac_prefix}:{last:02x}"

    def owns_mac(self, mac: str) -> bool:
        """True when ``mac`` (libvirt's lower-case colon form) is in this host's prefix."""
        return mac.lower().startswith(self.mac_prefix + ":")

    def owns_ip(self, ip: str) -> bool:
        """True when ``ip`` is in this host's subnet; False for text that is no address."""
        try:
            return IPAddress(ip) in IPNetwork(self.subnet)
        except (AddrFormatError, ValueError, TypeError):
            return False


def scheme_for(
    host: HostConfig, overrides: Mapping[str, SchemeOverride] | None = None
) -> HostScheme:
    """The scheme of ``host``: derived from its index, then patched by its override.

    Raises ``ValidationError`` when no scheme can be derived and no override supplies the
    missing part, naming the host and suggesting the override to add.
    """
    override = (overrides or {}).get(host.name)
    prefix = _override_prefix(host.name, override.mac_prefix) if override else None
    subnet = _override_subnet(host.name, override.subnet) if override else None
    if prefix is None or subnet is None:
        index = host.index
        if index is None or not 0 <= index <= MAX_INDEX:
            shown = "has no number in its name" if index is None else f"has index {index}"
            raise _invalid(
                "host",
                (
                    f"{host.name} {shown}, so its MAC prefix and subnet cannot be derived "
                    f"(the rule 52:54:00:02:NN / 192.168.(200+N).0/24 covers 0..{MAX_INDEX}); "
                    f"add a scheme override for {host.name} with mac_prefix and subnet"
                ),
            )
        prefix = prefix or f"{MAC_BASE}:{int(str(index), 16):02x}"
        subnet = subnet or f"192.168.{200 + index}.0/24"
    return HostScheme(host=host.name, mac_prefix=prefix, subnet=subnet)


def fleet_schemes(
    fleet: FleetConfig, overrides: Mapping[str, SchemeOverride] | None = None
) -> dict[str, HostScheme]:
    """Every host's scheme, skipping hosts that have none (used to say who owns a MAC/IP)."""
    schemes: dict[str, HostScheme] = {}
    for host in fleet.hosts:
        try:
            schemes[host.name] = scheme_for(host, overrides)
        except ValidationError:
            continue
    return schemes


def scheme_clashes(schemes: Mapping[str, HostScheme]) -> tuple[Problem, ...]:
    """Errors for hosts whose MAC prefixes or subnets coincide, e.g. after an override.

    Two hosts sharing a range defeat the scheme's purpose (telling the hyper-visor from a
    MAC or an address) and make "who owns this MAC" ambiguous, so inventories are checked.
    """
    problems: list[Problem] = []
    ordered = sorted(schemes.values(), key=lambda s: s.host)
    for i, one in enumerate(ordered):
        for two in ordered[i + 1 :]:
            if one.mac_prefix == two.mac_prefix:
                problems.append(
                    Problem(
                        "scheme",
                        f"{one.host} and {two.host} share the MAC range "
                        f"{one.mac_range}; give one of them a mac_prefix override",
                    )
                )
            net_one, net_two = IPNetwork(one.subnet), IPNetwork(two.subnet)
            if net_one in net_two or net_two in net_one:
                problems.append(
                    Problem(
                        "scheme",
                        f"{one.host}'s subnet {one.subnet} overlaps {two.host}'s "
                        f"{two.subnet}; give one of them a subnet override",
                    )
                )
    return tuple(problems)


def next_free(
    fleet: FleetConfig,
    host: str,
    network: str = "default",
    *,
    inside_range: bool = True,
    taken_leases: Iterable[Lease] = (),
    scheme: HostScheme | None = None,
    overrides: Mapping[str, SchemeOverride] | None = None,
) -> tuple[str, str]:
    """Propose the next unused ``(mac, ip)`` for a reservation on ``host``'s ``network``.

    The IP is the lowest address that is free across the whole fleet (reservations,
    network addresses and ``taken_leases``), inside a DHCP range, or anywhere in the
    subnet except its network, broadcast and gateway addresses when ``inside_range`` is
    False. The MAC is the host's prefix plus the IP's last octet when that MAC is free
    fleet-wide, so the pair reads alike in a trace. Otherwise it is the lowest free MAC in
    the prefix whose twin IP is not itself a free candidate, so a later proposal keeps its
    matching pair; only when no such MAC exists does it take any free one.
    """
    host_cfg, net, dhcp = _dhcp_target(fleet, host, network)
    if scheme is None:
        scheme = scheme_for(host_cfg, overrides)
    subnet = IPNetwork(dhcp.cidr)
    taken_ips, taken_macs = _taken(fleet, taken_leases)
    free = (ip for ip in _candidates(dhcp, subnet, inside_range) if ip not in taken_ips)
    ip = next(free, None)
    if ip is None:
        usable_count = sum(1 for _ in _candidates(dhcp, subnet, inside_range))
        raise _invalid("ip", _full_message(host, net, dhcp, usable_count, inside_range))
    paired = scheme.mac(ip & 0xFF)
    if paired not in taken_macs:
        return paired, str(IPAddress(ip))
    free_octets = {ip & 0xFF}
    for later in free:  # lazily: a /8 subnet must not become a 16M-element list
        free_octets.add(later & 0xFF)
        if len(free_octets) == 0x100:
            break
    usable = [b for b in range(1, 0xFF) if scheme.mac(b) not in taken_macs]
    spare = [b for b in usable if b not in free_octets]
    rest = [b for b in (0, 0xFF) if scheme.mac(b) not in taken_macs]
    choices = spare or usable or rest
    if not choices:
        raise _invalid(
            "mac",
            f"every MAC in {host}'s range {scheme.mac_range} is taken; "
            f"give an explicit MAC or a scheme override with a new prefix",
        )
    return scheme.mac(choices[0]), str(IPAddress(ip))


def _dhcp_target(
    fleet: FleetConfig, host: str, network: str
) -> tuple[HostConfig, LibvirtNetwork, NetworkIP]:
    """The host, network and DHCP ``<ip>`` named, or a ValidationError saying what exists."""
    host_cfg = fleet.host(host)
    if host_cfg is None:
        known = ", ".join(h.name for h in fleet.hosts) or "none"
        raise _invalid("host", f"unknown host {host!r}; the config repo has: {known}")
    net = host_cfg.network(network)
    if net is None:
        known = ", ".join(n.name for n in host_cfg.networks) or "none"
        raise _invalid("network", f"{host} has no network {network!r}; it has: {known}")
    dhcp = net.dhcp_ip
    if dhcp is None:
        with_dhcp = ", ".join(n.name for n in host_cfg.networks if n.dhcp_ip) or "none"
        raise _invalid(
            "network",
            f"{host}/{network} has no IPv4 <dhcp> block, so it cannot "
            f"hold reservations; networks with DHCP on {host}: {with_dhcp}",
        )
    return host_cfg, net, dhcp


def _taken(fleet: FleetConfig, leases: Iterable[Lease]) -> tuple[set[int], set[str]]:
    """Every IP (as int) and MAC in use anywhere in the fleet, config and live leases."""
    ips: set[int] = set()
    macs: set[str] = set()

    def add(ip: str | None, mac: str | None) -> None:
        value = _ip_int(ip)
        if value is not None:
            ips.add(value)
        if mac:
            normal = parse_mac(mac)
            if normal:
                macs.add(normal)

    for host in fleet.hosts:
        for net in host.networks:
            add(None, net.mac)
            for nip in net.ips:
                add(nip.address, None)
                for res in nip.hosts:
                    add(res.ip, res.mac)
    for lease in leases:
        add(lease.ip, lease.mac)
    return ips, macs


def _candidates(dhcp: NetworkIP, subnet: IPNetwork, inside_range: bool) -> Iterator[int]:
    """Usable addresses in ascending order, once each: never network, broadcast or gateway."""
    forbidden = {int(subnet.network), int(subnet.broadcast or subnet.network)}
    gateway = _ip_int(dhcp.address)
    if gateway is not None:
        forbidden.add(gateway)
    first, last = int(subnet.first), int(subnet.last)
    spans: list[tuple[int, int]] = []
    if inside_range:
        for rng in dhcp.ranges:
            start, end = _ip_int(rng.start), _ip_int(rng.end)
            if start is not None and end is not None:
                spans.append((max(start, first), min(end, last)))
    else:
        spans.append((first, last))
    cursor = first
    for start, end in sorted(spans):
        for value in range(max(start, cursor), end + 1):
            if value not in forbidden:
                yield value
        cursor = max(cursor, end + 1)


def _full_message(
    host: str, net: LibvirtNetwork, dhcp: NetworkIP, usable: int, inside_range: bool
) -> str:
    where = f" in {net.path}" if net.path else ""
    if inside_range:
        ranges = ", ".join(f"{r.start}-{r.end}" for r in dhcp.ranges) or "none defined"
        return (
            f"no free address in {host}/{net.name}'s DHCP range ({ranges}; "
            f"{usable} usable, all taken); widen the <range>{where} or "
            f"reserve an explicit address outside the range (allowed, with a warning)"
        )
    return (
        f"no free address in {host}/{net.name}'s subnet {IPNetwork(dhcp.cidr).cidr}; "
        f"every usable address is reserved or leased"
    )


def _override_prefix(host: str, text: str | None) -> str | None:
    if text is None:
        return None
    parts = text.strip().lower().split(":")
    if parts and parts[-1] == "xx":
        parts = parts[:-1]
    if len(parts) != 5 or not all(len(p) == 2 and _is_hex(p) for p in parts):
        raise _invalid(
            "scheme", f"{host}: mac_prefix {text!r} must be five hex bytes such as 52:54:00:02:0a"
        )
    if int(parts[0], 16) & 1:
        raise _invalid("scheme", f"{host}: mac_prefix {text!r} is multicast (first byte odd)")
    return ":".join(parts)


def _override_subnet(host: str, text: str | None) -> str | None:
    if text is None:
        return None
    try:
        net = IPNetwork(text.strip())
    except (AddrFormatError, ValueError, TypeError):
        net = None
    if net is None or net.version != 4 or "/" not in text or net.ip != net.network:
        raise _invalid(
            "scheme",
            f"{host}: subnet {text!r} must be an IPv4 network in CIDR "
            f"form such as 192.168.210.0/24",
        )
    return str(net.cidr)


def _ip_int(text: str | None) -> int | None:
    """An IPv4 address as an int, or None (config data is reported elsewhere, not here)."""
    if not text:
        return None
    try:
        addr = IPAddress(text)
    except (AddrFormatError, ValueError, TypeError):
        return None
    return int(addr) if addr.version == 4 else None


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def parse_mac(text: str) -> str | None:
    """A MAC in libvirt's lower-case colon form, or None when ``text`` is not a 48-bit MAC.

    Accepts every notation netaddr knows (colons, hyphens, Cisco dots, bare hex, unpadded
    bytes); config data read from the repo goes through this too, so ``0A`` equals ``0a``.
    """
    if not isinstance(text, str):
        return None
    try:
        mac = EUI(text.strip())
    except (AddrFormatError, IndexError, ValueError, TypeError):
        return None
    if mac.version != 48:
        return None
    value = int(mac)
    return ":".join(f"{(value >> shift) & 0xFF:02x}" for shift in range(40, -1, -8))


@lru_cache(maxsize=65536)
def norm_mac(mac: str | None) -> str | None:
    """For comparing and keying: libvirt's form, or an unparseable value kept lower-cased so
    it still shows. Cached: a refresh of a big fleet normalises the same MACs every time."""
    if not mac:
        return None
    return parse_mac(mac) or mac.strip().lower()


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError((Problem(field, message),))
