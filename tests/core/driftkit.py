"""A clean host built from the sample repo's own texts, and its matching live snapshot.

Drift tests start from "git and the host agree" and change one thing, so each test
shows exactly which difference produces which finding.
"""

from __future__ import annotations

import dataclasses

from tropconsole.core.interfaces import parse_interfaces
from tropconsole.core.live import (
    FleetSnapshot,
    HostSnapshot,
    HostState,
    HostStatus,
    LiveAddress,
    LiveLink,
    LiveNetwork,
)
from tropconsole.core.models import FleetConfig, HostConfig, Lease, LibvirtNetwork, Reservation
from tropconsole.core.netxml import parse_network
from tropconsole.core.sample import render_bridged_xml, render_default_xml, render_interfaces

NOW = 1_800_000_000.0


def root(index: int) -> str:
    return f"/repo/src/cfg/tropo/trop{index:02d}"


def git_host(index: int = 2, default_xml: str | None = None) -> HostConfig:
    base = root(index)
    return HostConfig(
        name=f"trop{index:02d}",
        index=index,
        interfaces=parse_interfaces(render_interfaces(index), f"{base}/etc/network/interfaces"),
        networks=(
            parse_network(
                render_bridged_xml(index), f"{base}/etc/libvirt/qemu/networks/bridged.xml"
            ),
            parse_network(
                default_xml or render_default_xml(index),
                f"{base}/etc/libvirt/qemu/networks/default.xml",
            ),
        ),
        root=base,
    )


def live(
    net: LibvirtNetwork,
    *,
    running: LibvirtNetwork | None = None,
    persistent: LibvirtNetwork | None = None,
    active: bool = True,
    is_persistent: bool = True,
) -> LiveNetwork:
    """A live network whose sides are ``net`` unless given; no XML text (already parsed)."""
    run = running or net
    return LiveNetwork(
        name=net.name,
        active=active,
        autostart=True,
        persistent=is_persistent,
        bridge=run.bridge or "virbr0",
        running_xml="",
        persistent_xml="" if is_persistent else None,
        running=run,
        persistent_def=(persistent or net) if is_persistent else None,
    )


def links(index: int) -> tuple[LiveLink, ...]:
    return (
        LiveLink("lo", kind=None, addresses=(LiveAddress("inet", "127.0.0.1", 8),)),
        LiveLink("eth0", kind="veth", master="br0", state="UP"),
        LiveLink("eth1", kind="dummy", master="br1", state="UP"),
        LiveLink(
            "br0",
            kind="bridge",
            state="UP",
            ports=("eth0",),
            addresses=(LiveAddress("inet", f"129.215.175.{95 + index}", 24),),
        ),
        LiveLink(
            "br1",
            kind="bridge",
            state="UP",
            ports=("eth1",),
            addresses=(LiveAddress("inet", f"192.168.137.{231 + index}", 24),),
        ),
        LiveLink(
            "virbr0",
            kind="bridge",
            state="UP",
            addresses=(LiveAddress("inet", f"192.168.{200 + index}.1", 24),),
        ),
    )


def lease(host: HostConfig, res: Reservation, ip: str | None = None) -> Lease:
    return Lease(
        host=host.name,
        network="default",
        mac=res.mac or "",
        ip=ip or res.ip,
        hostname=res.name,
        expiry=int(NOW) + 3600,
    )


def clean_snapshot(host: HostConfig, **changes: object) -> HostSnapshot:
    """What the host reports when it matches git: every network on both sides, bridges
    with their ports and addresses, and a lease for the first two reservations."""
    default = host.network("default")
    assert default is not None
    snap = HostSnapshot(
        host=host.name,
        taken_at=NOW,
        links=links(host.index or 0),
        networks=tuple(live(n) for n in host.networks),
        leases=tuple(lease(host, r) for r in default.reservations[:2]),
    )
    return dataclasses.replace(snap, **changes)  # type: ignore[arg-type]


def with_network(snap: HostSnapshot, net: LiveNetwork) -> HostSnapshot:
    return dataclasses.replace(
        snap, networks=tuple(net if n.name == net.name else n for n in snap.networks)
    )


def with_reservations(net: LibvirtNetwork, hosts: tuple[Reservation, ...]) -> LibvirtNetwork:
    """``net`` with the DHCP ``<ip>``'s reservations replaced."""
    ips = tuple(dataclasses.replace(ip, hosts=hosts) if ip.has_dhcp else ip for ip in net.ips)
    return dataclasses.replace(net, ips=ips)


def fleet_of(*hosts: HostConfig) -> FleetConfig:
    return FleetConfig(repo="/repo", hosts=hosts, head="0" * 40)


def fleet_snapshot(*snaps: HostSnapshot) -> FleetSnapshot:
    return FleetSnapshot(
        taken_at=NOW,
        hosts=tuple(
            HostStatus(s.host, HostState.OK, snapshot=s, last_ok=s.taken_at) for s in snaps
        ),
    )
