"""Reader for libvirt network XML, from the config repo or live from a host.

Built on expat directly because the files come from a shared git repo and from remote
hosts: a DOCTYPE is refused the moment it starts, before any entity could be declared,
so entity-expansion bombs and external entities are never expanded or fetched. libvirt
itself never writes a DTD, so nothing legitimate is lost. Expat also gives each element
its line, which every error and every ``<ip>``/``<range>``/``<host>`` model carries.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field

from tropconsole.core.errors import ConfigError
from tropconsole.core.models import DhcpRange, LibvirtNetwork, NetworkIP, Reservation

_MAC = re.compile(r"^[0-9A-Fa-f]{1,2}([:-])[0-9A-Fa-f]{1,2}(\1[0-9A-Fa-f]{1,2}){4}$")


@dataclass(slots=True)
class XmlElement:
    """An element of a safely parsed document: just what reading libvirt XML needs."""

    tag: str
    attrs: dict[str, str]
    line: int
    children: list[XmlElement] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str) -> XmlElement | None:
        for child in self.children:
            if child.tag == tag:
                return child
        return None

    def findall(self, tag: str) -> list[XmlElement]:
        return [child for child in self.children if child.tag == tag]


class _Refused(Exception):
    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


def parse_xml(text: str, label: str) -> XmlElement:
    """Parse XML refusing DTDs, entity declarations and external entities.

    ``label`` names the source (a file path, or a host's live XML) in ConfigError.
    Shared with any reader of libvirt XML (domains, capabilities) so all of them are safe.
    """
    parser = xml.parsers.expat.ParserCreate(encoding="UTF-8")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[XmlElement] = []
    roots: list[XmlElement] = []

    def refuse(what: str) -> None:
        raise _Refused(
            parser.CurrentLineNumber,
            f"{what} refused: libvirt XML never needs one, and it could expand entities "
            "or read other files",
        )

    def doctype(*_: object) -> None:
        refuse("DOCTYPE (DTD)")

    def entity(*_: object) -> None:
        refuse("entity declaration")

    def external(*_: object) -> int:
        refuse("external entity")
        return 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        element = XmlElement(tag, attrs, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(element)
        else:
            roots.append(element)
        stack.append(element)

    def end(_tag: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            stack[-1].text += data

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.NotationDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(text.encode("utf-8"), True)
    except _Refused as err:
        raise ConfigError(label, err.line, err.problem) from None
    except xml.parsers.expat.ExpatError as err:
        problem = xml.parsers.expat.ErrorString(err.code) or "unknown error"
        raise ConfigError(label, err.lineno, f"malformed XML: {problem}") from None
    if not roots:
        raise ConfigError(label, 1, "malformed XML: no root element")
    return roots[0]


def normalize_mac(value: str) -> str | None:
    """libvirt's lower-case colon form (``52:54:00:02:02:0a``), or None if not a MAC."""
    if not _MAC.match(value):
        return None
    return ":".join(f"{int(part, 16):02x}" for part in re.split("[:-]", value))


def _mac(label: str, element: XmlElement, attr: str) -> str | None:
    value = element.attrs.get(attr)
    if value is None:
        return None
    mac = normalize_mac(value)
    if mac is None:
        raise ConfigError(
            label, element.line, f"<{element.tag} {attr}='{value}'>: not a MAC address"
        )
    return mac


def _required(label: str, element: XmlElement, attr: str) -> str:
    value = element.attrs.get(attr, "").strip()
    if not value:
        raise ConfigError(label, element.line, f"<{element.tag}> has no {attr}='...' attribute")
    return value


def _parse_ip(label: str, element: XmlElement) -> NetworkIP:
    address = _required(label, element, "address")
    family = element.attrs.get("family") or ("ipv6" if ":" in address else "ipv4")
    if family not in ("ipv4", "ipv6"):
        raise ConfigError(label, element.line, f"<ip family='{family}'>: expected ipv4 or ipv6")
    prefix: int | None = None
    if "prefix" in element.attrs:
        raw = element.attrs["prefix"].strip()
        limit = 32 if family == "ipv4" else 128
        if not raw.isdigit() or int(raw) > limit:
            raise ConfigError(
                label, element.line, f"<ip prefix='{raw}'>: expected a number 0-{limit}"
            )
        prefix = int(raw)
    dhcps = element.findall("dhcp")
    if len(dhcps) > 1:
        raise ConfigError(label, dhcps[1].line, "more than one <dhcp> in one <ip>")
    ranges: list[DhcpRange] = []
    hosts: list[Reservation] = []
    for dhcp in dhcps:
        for rng in dhcp.findall("range"):
            ranges.append(
                DhcpRange(_required(label, rng, "start"), _required(label, rng, "end"), rng.line)
            )
        for host in dhcp.findall("host"):
            if not host.attrs.get("ip", "").strip():
                raise ConfigError(
                    label,
                    host.line,
                    "<host> without ip='...': libvirt refuses a static host with no address",
                )
            hosts.append(
                Reservation(
                    ip=host.attrs["ip"].strip(),
                    mac=_mac(label, host, "mac"),
                    name=host.attrs.get("name"),
                    line=host.line,
                )
            )
    return NetworkIP(
        address=address,
        family=family,
        netmask=element.attrs.get("netmask"),
        prefix=prefix,
        ranges=tuple(ranges),
        hosts=tuple(hosts),
        has_dhcp=bool(dhcps),
        line=element.line,
    )


def _network(root: XmlElement, label: str, path: str | None) -> LibvirtNetwork:
    if root.tag != "network":
        raise ConfigError(label, root.line, f"root element is <{root.tag}>, expected <network>")
    name_el = root.find("name")
    name = name_el.text.strip() if name_el is not None else ""
    if not name:
        line = name_el.line if name_el is not None else root.line
        raise ConfigError(label, line, "network has no <name>")
    uuid_el = root.find("uuid")
    uuid = (uuid_el.text.strip() or None) if uuid_el is not None else None
    forward = root.find("forward")
    forward_mode = forward.attrs.get("mode", "nat") if forward is not None else None
    bridge_el = root.find("bridge")
    mac_el = root.find("mac")
    ips = tuple(_parse_ip(label, el) for el in root.findall("ip"))
    for family in ("ipv4", "ipv6"):
        with_dhcp = [ip for ip in ips if ip.family == family and ip.has_dhcp]
        if len(with_dhcp) > 1:
            raise ConfigError(
                label,
                with_dhcp[1].line,
                f"a second {family} <ip> with <dhcp> (first at line {with_dhcp[0].line}); "
                f"libvirt allows DHCP on one {family} address per network",
            )
    return LibvirtNetwork(
        name=name,
        uuid=uuid,
        forward_mode=forward_mode,
        bridge=bridge_el.attrs.get("name") if bridge_el is not None else None,
        mac=_mac(label, mac_el, "address") if mac_el is not None else None,
        ips=ips,
        ipv6=root.attrs.get("ipv6", "").strip().lower() == "yes",
        path=path,
    )


def parse_network(text: str, path: str | None = None) -> LibvirtNetwork:
    """Parse a network definition file; ``path=None`` is for XML not read from a file."""
    label = path if path is not None else "network XML"
    return _network(parse_xml(text, label), label, path)


def parse_network_live(text: str, host: str) -> LibvirtNetwork:
    """Parse ``XMLDesc`` output from ``host``; errors name the host instead of a file."""
    label = f"{host}: live network XML"
    return _network(parse_xml(text, label), label, None)
