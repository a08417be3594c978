"""Reader for Debian's /etc/network/interfaces, following ifupdown's own grammar.

Keywords (``iface``, ``auto``, ``allow-*``, ``mapping``, ``source``...) may start a line
at any indentation, and an ``auto``/``allow-*``/``source`` line ends the stanza before it,
as in ifupdown: an option after one is "misplaced", which is worth an error because
ifup would refuse the file too. ``source`` lines are recorded, not followed: the repo's
copy of a host's file cannot see the host's other files. ``mapping`` stanzas are skipped
whole because they choose interfaces by running scripts on the host.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field

from tropconsole.core.errors import ConfigError
from tropconsole.core.models import InterfacesFile, InterfaceStanza, SourceDirective

# Methods ifupdown knows per address family (interfaces(5)); "can" and "ipx" are kept
# so a host using them is still readable.
METHODS: dict[str, frozenset[str]] = {
    "inet": frozenset(
        {"loopback", "static", "manual", "dhcp", "bootp", "tunnel", "ppp", "wvdial", "ipv4ll"}
    ),
    "inet6": frozenset({"auto", "loopback", "static", "manual", "dhcp", "v4tunnel", "6to4"}),
    "can": frozenset({"static"}),
    "ipx": frozenset({"static", "dynamic"}),
}

_SOURCE_KEYWORDS = frozenset({"source", "source-directory"})
_IGNORED_KEYWORDS = frozenset({"no-auto-down", "no-scripts", "rename"})
_ADDRESS_OPTIONS = ("address", "netmask", "network", "gateway", "broadcast")


@dataclass
class _Stanza:
    """Options gathered while reading one stanza; frozen into InterfaceStanza at the end."""

    name: str
    family: str
    method: str
    line: int
    comment: str | None
    options: list[tuple[str, str, int]] = field(default_factory=list)


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Join ``\\``-continued lines; yield each logical line with the line it starts on."""
    start = 0
    parts: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not parts:
            start = number
        if raw.endswith("\\"):
            parts.append(raw[:-1])
            continue
        parts.append(raw)
        yield start, " ".join(p.strip() for p in parts).strip()
        parts = []
    if parts:
        yield start, " ".join(p.strip() for p in parts).strip()


def _comment_text(line: str) -> str:
    body = line[1:]
    return body[1:] if body.startswith(" ") else body


def _check_ip(path: str, line: int, option: str, value: str, family: str) -> None:
    """A typo in an address is caught here, with its line, not later as a silent mismatch."""
    version = 4 if family == "inet" else 6
    try:
        parsed = ipaddress.ip_address(value)
    except ValueError:
        raise ConfigError(path, line, f"{option} {value!r} is not an IP address") from None
    if parsed.version != version:
        raise ConfigError(
            path, line, f"{option} {value} is not an IPv{version} address ({family} stanza)"
        )


def _check_netmask(path: str, line: int, value: str, family: str) -> str:
    """IPv4 masks come back dotted even when written as a prefix length, as CIDR ones do."""
    bits = 32 if family == "inet" else 128
    if value.isdigit() and 0 <= int(value) <= bits:
        return str(ipaddress.IPv4Network(f"0.0.0.0/{value}").netmask) if bits == 32 else value
    if family == "inet":
        try:
            return str(ipaddress.IPv4Network(f"0.0.0.0/{value}").netmask)
        except ValueError:
            pass
    raise ConfigError(path, line, f"netmask {value!r} is not a valid {family} netmask")


def _split_cidr(path: str, line: int, value: str, family: str) -> tuple[str, str | None]:
    """``address 1.2.3.4/24`` is how newer ifupdown writes it: split into address + netmask."""
    if "/" not in value:
        return value, None
    address, _, prefix = value.partition("/")
    try:
        iface = ipaddress.ip_interface(value)
    except ValueError:
        raise ConfigError(path, line, f"address {value!r} is not an address/prefix") from None
    if family == "inet" and iface.version == 4:
        return address, str(iface.netmask)
    return address, prefix


def _freeze(
    path: str, stanza: _Stanza, auto: set[str], allow: dict[str, list[str]]
) -> InterfaceStanza:
    values: dict[str, str] = {}
    cidr_mask: tuple[str, int] | None = None
    nameservers: list[str] = []
    search: list[str] = []
    bridge_ports: tuple[str, ...] = ()
    bridge_options: list[tuple[str, str]] = []
    static = stanza.family in ("inet", "inet6")
    for option, value, line in stanza.options:
        if option in _ADDRESS_OPTIONS and static:
            if option in values:
                continue  # ifupdown takes extra address lines as extra addresses; keep the first
            if option == "address":
                value, mask = _split_cidr(path, line, value, stanza.family)
                if mask is not None:
                    cidr_mask = (mask, line)
            if option == "netmask":
                value = _check_netmask(path, line, value, stanza.family)
            else:
                _check_ip(path, line, option, value, stanza.family)
            values[option] = value
        elif option in ("dns-nameservers", "dns-nameserver"):
            nameservers.extend(value.split())
        elif option == "dns-search":
            search.extend(value.split())
        elif option in ("bridge_ports", "bridge-ports"):
            bridge_ports = tuple(value.split())
        elif option.startswith(("bridge_", "bridge-")):
            bridge_options.append((option, value))
    if cidr_mask is not None:
        mask, line = cidr_mask
        explicit = values.get("netmask")
        if explicit is not None and explicit != mask:
            raise ConfigError(
                path,
                line,
                f"address gives netmask {mask} but the netmask line says {explicit}; "
                "keep one of them",
            )
        values["netmask"] = mask
    return InterfaceStanza(
        name=stanza.name,
        family=stanza.family,
        method=stanza.method,
        line=stanza.line,
        auto=stanza.name in auto,
        allow=tuple(allow.get(stanza.name, ())),
        address=values.get("address"),
        netmask=values.get("netmask"),
        network=values.get("network"),
        gateway=values.get("gateway"),
        broadcast=values.get("broadcast"),
        dns_nameservers=tuple(nameservers),
        dns_search=tuple(search),
        bridge_ports=bridge_ports,
        bridge_options=tuple(bridge_options),
        options=tuple((o, v) for o, v, _ in stanza.options),
        comment=stanza.comment,
    )


def parse_interfaces(text: str, path: str) -> InterfacesFile:
    """Parse one interfaces file; raise ConfigError naming ``path`` and the line on error."""
    stanzas: list[_Stanza] = []
    sources: list[SourceDirective] = []
    auto: set[str] = set()
    allow: dict[str, list[str]] = {}
    current: _Stanza | None = None
    in_mapping = False
    comments: list[str] = []

    for number, line in _logical_lines(text):
        if not line:
            comments = []
            continue
        if line.startswith("#"):
            comments.append(_comment_text(line))
            continue
        words = line.split()
        keyword = words[0]
        if keyword == "iface":
            if len(words) < 4:
                raise ConfigError(
                    path,
                    number,
                    "iface needs a name, a family and a method (e.g. 'iface br0 inet static')",
                )
            if len(words) > 4:
                raise ConfigError(
                    path, number, f"unexpected {' '.join(words[4:])!r} after the method"
                )
            _, name, family, method = words
            if family not in METHODS:
                raise ConfigError(
                    path, number, f"unknown address family {family!r} (expected inet or inet6)"
                )
            if method not in METHODS[family]:
                known = ", ".join(sorted(METHODS[family]))
                raise ConfigError(
                    path, number, f"unknown method {method!r} for {family} (one of: {known})"
                )
            comment = "\n".join(comments) if comments else None
            current = _Stanza(name, family, method, number, comment)
            stanzas.append(current)
            in_mapping = False
        elif keyword == "mapping":
            current, in_mapping = None, True
        elif keyword in ("auto", "allow-auto") or keyword.startswith("allow-"):
            if len(words) < 2:
                raise ConfigError(path, number, f"{keyword} names no interface")
            if keyword in ("auto", "allow-auto"):
                auto.update(words[1:])
            else:
                for name in words[1:]:
                    allow.setdefault(name, []).append(keyword[len("allow-") :])
            current, in_mapping = None, False
            continue  # the comment block above "auto x" belongs to "iface x" below it
        elif keyword in _SOURCE_KEYWORDS:
            if len(words) < 2:
                raise ConfigError(path, number, f"{keyword} names no file")
            sources.append(SourceDirective(keyword, line[len(keyword) :].strip(), number))
            current, in_mapping = None, False
        elif keyword in _IGNORED_KEYWORDS:
            current, in_mapping = None, False
        elif current is not None:
            if len(words) < 2:
                raise ConfigError(path, number, f"option {keyword!r} has no value")
            current.options.append((keyword, line[len(keyword) :].strip(), number))
        elif not in_mapping:
            raise ConfigError(
                path,
                number,
                f"option {keyword!r} outside any iface stanza (misplaced, or a typo in a keyword)",
            )
        comments = []

    return InterfacesFile(
        path=path,
        stanzas=tuple(_freeze(path, s, auto, allow) for s in stanzas),
        sources=tuple(sources),
    )
