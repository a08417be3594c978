"""core.vms: one row per domain, one verdict per NIC, from git and a snapshot alone."""

from __future__ import annotations

import dataclasses

from driftkit import NOW, clean_snapshot, fleet_of, fleet_snapshot, git_host

from tropconsole.core.live import Domain, DomainNic, Neighbour
from tropconsole.core.vms import Verdict, vm_rows

T2, T3 = git_host(2), git_host(3)
DEFAULT2 = T2.network("default")
assert DEFAULT2 is not None
R0, R1, R2 = DEFAULT2.reservations[:3]
OTHER = T3.network("default").reservations[4]  # type: ignore[union-attr]


def nic(domain: str, mac: str, **kw: object) -> DomainNic:
    return DomainNic(domain=domain, mac=mac, **kw)  # type: ignore[arg-type]


def domain(name: str, *nics: DomainNic, state: str = "running") -> Domain:
    return Domain(name=name, state=state, vcpus=2, memory_kib=524288, nics=nics)


def rows_for(*domains: Domain, neighbours: tuple[Neighbour, ...] = ()):  # type: ignore[no-untyped-def]
    snap = clean_snapshot(T2, domains=domains, neighbours=neighbours)
    return vm_rows(fleet_of(T2, T3), fleet_snapshot(snap, clean_snapshot(T3)))


def test_each_verdict_from_git_and_the_snapshot() -> None:
    rows = rows_for(
        domain(
            "web",
            nic("web", R0.mac or "", network="default", model="virtio"),
            nic("web", "52:54:00:02:02:b1", network="bridged", model="virtio"),
        ),
        domain("new", nic("new", "52:54:00:02:02:d1", network="default")),
        domain("moved", nic("moved", OTHER.mac or "", network="default")),
        domain("odd", nic("odd", "52:54:00:aa:00:01", kind="bridge", bridge="br0")),
    )
    verdicts = {(r.name, n.mac): n.verdict for r in rows for n in r.nics}
    assert verdicts == {
        ("moved", OTHER.mac): Verdict.RESERVED_ELSEWHERE,
        ("new", "52:54:00:02:02:d1"): Verdict.NO_RESERVATION,
        ("odd", "52:54:00:aa:00:01"): Verdict.OUTSIDE_RANGE,
        ("web", R0.mac): Verdict.OK,
        ("web", "52:54:00:02:02:b1"): Verdict.NO_DHCP,
    }
    by = {r.name: r for r in rows}
    assert [r.name for r in rows] == ["moved", "new", "odd", "web"]  # only trop02 has domains
    web_default, web_bridged = by["web"].nics
    # the clean snapshot leases the first two reservations: the lease and git both show
    assert (web_default.lease_ip, web_default.reserved_ip) == (R0.ip, R0.ip)
    assert (web_default.network, web_default.bridge, web_default.model) == (
        "default",
        "virbr0",
        "virtio",
    )
    assert (web_bridged.network, web_bridged.bridge, web_bridged.dhcp) == ("bridged", "br0", False)
    moved = by["moved"].nics[0]
    assert [(p.host, p.network, p.reservation.ip) for p in moved.elsewhere] == [
        ("trop03", "default", OTHER.ip)
    ]
    assert "trop03/default" in moved.detail
    # a bridge NIC is placed on the libvirt network of that bridge
    assert by["odd"].nics[0].network == "bridged"
    assert "52:54:00:02:02:xx" in by["odd"].nics[0].detail
    assert by["odd"].verdict is Verdict.OUTSIDE_RANGE and by["web"].verdict is Verdict.OK


def test_addresses_seen_on_the_bridge_for_the_nics_mac() -> None:
    mac = "52:54:00:02:02:b1"
    neigh = (
        Neighbour("129.215.175.200", "br0", mac, ("REACHABLE",), used=3, confirmed=2, updated=2),
        Neighbour("fe80::1", "br0", mac, ("STALE",), updated=50),
        Neighbour("10.0.0.9", "br1", mac, ("REACHABLE",)),  # another bridge: not this NIC
        Neighbour("129.215.175.201", "br0", None, ("FAILED",)),  # unresolved
        Neighbour("129.215.175.202", "br0", "52:54:00:02:02:b2", ("STALE",)),
    )
    [row] = rows_for(domain("web", nic("web", mac, network="bridged")), neighbours=neigh)
    [n] = row.nics
    assert [(s.ip, s.state, s.age) for s in n.seen] == [
        ("129.215.175.200", "REACHABLE", 2),
        ("fe80::1", "STALE", 50),
    ]


def test_a_lease_on_another_network_is_not_the_nics_and_unknown_hosts_still_list() -> None:
    snap = clean_snapshot(T2, domains=(domain("x", nic("x", R1.mac or "", network="bridged")),))
    [row] = vm_rows(fleet_of(T3), fleet_snapshot(snap))  # trop02 is not in git
    [n] = row.nics
    assert n.lease is None  # R1's lease is on default, the NIC on bridged
    assert n.verdict is Verdict.NO_DHCP  # no git, no scheme: the running network decides


def test_rows_are_only_for_the_host_asked_and_carry_state_and_size() -> None:
    snap2 = clean_snapshot(T2, domains=(domain("a", state="shut off"),))
    snap3 = clean_snapshot(T3, domains=(domain("b"),))
    fleet = fleet_of(T2, T3)
    [row] = vm_rows(fleet, fleet_snapshot(snap2, snap3), "trop03")
    assert (row.key, row.state, row.vcpus, row.memory_kib, row.nics) == (
        "trop03|b",
        "running",
        2,
        524288,
        (),
    )
    assert dataclasses.replace(snap2, taken_at=NOW).domains[0].active is False


def test_a_nic_leased_another_address_than_its_reservation_says_wrong_ip() -> None:
    # R1 is reserved on trop02/default; the guest holds a lease for another address
    base = clean_snapshot(T2)
    moved = tuple(
        dataclasses.replace(lease, ip="192.168.202.66") if lease.mac == R1.mac else lease
        for lease in base.leases
    )
    snap = dataclasses.replace(
        base, leases=moved, domains=(domain("db", nic("db", R1.mac or "", network="default")),)
    )
    (row,) = vm_rows(fleet_of(T2, T3), fleet_snapshot(snap, clean_snapshot(T3)))
    (n,) = row.nics
    assert n.verdict is Verdict.WRONG_IP and n.verdict.bad and row.verdict is Verdict.WRONG_IP
    assert (n.lease_ip, n.reserved_ip) == ("192.168.202.66", R1.ip)
    assert f"reserved {R1.ip} on default, but leased 192.168.202.66" in n.detail
