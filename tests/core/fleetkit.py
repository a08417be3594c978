"""Builders for small fleets made of model objects, for the scheme and validation tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tropconsole.core.models import (
    DhcpRange,
    FleetConfig,
    HostConfig,
    LibvirtNetwork,
    NetworkIP,
    Reservation,
)

FIRST_HOST_LINE = 14  # the line of the first <host> in the seed's default.xml


def net_path(host: str, network: str = "default") -> str:
    return f"/repo/src/cfg/tropo/{host}/etc/libvirt/qemu/networks/{network}.xml"


def res(index: int, last: int, name: str | None, line: int | None = None) -> Reservation:
    """A reservation on the scheme: MAC and IP share their last byte."""
    return Reservation(
        ip=f"192.168.{200 + index}.{last}",
        mac=f"52:54:00:02:{index:02x}:{last:02x}",
        name=name,
        line=line,
    )


def default_net(
    index: int,
    hosts: Sequence[Reservation] = (),
    *,
    ranges: Iterable[tuple[int, int]] = ((8, 15),),
    host: str | None = None,
) -> LibvirtNetwork:
    """A NAT network like the seed's: gateway .1, bridge MAC :01, one DHCP range."""
    name = host or f"trop{index:02d}"
    base = f"192.168.{200 + index}"
    lined = tuple(
        h if h.line is not None else Reservation(h.ip, h.mac, h.name, FIRST_HOST_LINE + i)
        for i, h in enumerate(hosts)
    )
    ip = NetworkIP(
        address=f"{base}.1",
        netmask="255.255.255.0",
        has_dhcp=True,
        line=11,
        ranges=tuple(DhcpRange(f"{base}.{a}", f"{base}.{b}", 13) for a, b in ranges),
        hosts=lined,
    )
    return LibvirtNetwork(
        name="default",
        forward_mode="nat",
        bridge="virbr0",
        mac=f"52:54:00:02:{index:02x}:01",
        ips=(ip,),
        path=net_path(name),
    )


def bridged_net(host: str) -> LibvirtNetwork:
    return LibvirtNetwork(
        name="bridged", forward_mode="bridge", bridge="br0", path=net_path(host, "bridged")
    )


def host(
    index: int, hosts: Sequence[Reservation] = (), *, ranges: Iterable[tuple[int, int]] = ((8, 15),)
) -> HostConfig:
    name = f"trop{index:02d}"
    return HostConfig(
        name=name,
        index=index,
        interfaces=None,
        networks=(bridged_net(name), default_net(index, hosts, ranges=ranges)),
    )


def fleet(*hosts: HostConfig) -> FleetConfig:
    return FleetConfig(repo="/repo", hosts=hosts)


def seed_fleet() -> FleetConfig:
    """trop01..trop04; trop01 and trop02 hold two VMs each, trop03/04 none."""
    return fleet(
        host(1, [res(1, 8, "Calenwyth"), res(1, 9, "Miriondel")]),
        host(2, [res(2, 8, "Araybwyn"), res(2, 9, "Lothigometh")]),
        host(3),
        host(4),
    )
