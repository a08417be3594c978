"""Bridges vs the interfaces file, and leases vs reservations vs domains vs the scheme."""

from __future__ import annotations

import dataclasses

from driftkit import (
    NOW,
    clean_snapshot,
    fleet_of,
    git_host,
    lease,
    live,
    with_network,
    with_reservations,
)

from tropconsole.core.drift import (
    Action,
    Kind,
    Severity,
    at_least,
    bridge_drift,
    count_by_host,
    fleet_drift,
    lease_findings,
    sort_findings,
)
from tropconsole.core.live import DomainNic, LiveAddress, LiveLink
from tropconsole.core.models import Lease, Reservation


def kinds(findings) -> list[Kind]:
    return [f.kind for f in findings]


def relink(snap, *links: LiveLink, drop: tuple[str, ...] = ()):
    names = {link.name for link in links} | set(drop)
    kept = tuple(link for link in snap.links if link.name not in names)
    return dataclasses.replace(snap, links=kept + links)


# ---- bridges ---------------------------------------------------------------------------


def test_bridge_that_lost_its_uplink_port() -> None:
    host = git_host()
    snap = relink(
        clean_snapshot(host),
        LiveLink("eth0", kind="veth", state="UP"),
        LiveLink("br0", kind="bridge", addresses=(LiveAddress("inet", "129.215.175.97", 24),)),
    )
    [f] = bridge_drift(host, snap)
    assert (f.kind, f.subject, f.severity) == (Kind.BRIDGE_PORT_MISSING, "br0/eth0", Severity.ERROR)
    assert "lost its uplink port eth0" in f.detail and "master: none" in f.detail
    assert "interfaces:" in f.detail and "ip link set eth0 master br0" in f.fix


def test_port_that_no_longer_exists() -> None:
    host = git_host()
    snap = relink(
        clean_snapshot(host),
        LiveLink("br1", kind="bridge", addresses=(LiveAddress("inet", "192.168.137.233", 24),)),
        drop=("eth1",),
    )
    [f] = bridge_drift(host, snap)
    assert f.kind is Kind.BRIDGE_PORT_MISSING and "eth1 does not exist" in f.detail


def test_address_differs_and_bridge_missing() -> None:
    host = git_host()
    snap = relink(
        clean_snapshot(host),
        LiveLink(
            "br0",
            kind="bridge",
            ports=("eth0",),
            addresses=(LiveAddress("inet", "129.215.175.98", 24),),
        ),
        drop=("br1",),
    )
    found = {f.kind: f for f in bridge_drift(host, snap)}
    assert set(found) == {Kind.BRIDGE_ADDRESS, Kind.BRIDGE_MISSING}  # no port noise for br1
    assert "git 129.215.175.97/24" in found[Kind.BRIDGE_ADDRESS].detail
    assert "live 129.215.175.98/24" in found[Kind.BRIDGE_ADDRESS].detail
    assert found[Kind.BRIDGE_MISSING].subject == "br1"


def test_unexpected_bridges_and_the_ones_that_belong_to_someone_else() -> None:
    host = git_host()
    snap = relink(
        clean_snapshot(host),
        LiveLink("br7", kind="bridge"),
        LiveLink("docker0", kind="bridge"),
        LiveLink("br-0123456789ab", kind="bridge"),
        LiveLink("virbr5", kind="bridge"),
        LiveLink("vnet3", kind="tun", master="br0"),
        LiveLink("veth9", kind="veth", master="br0"),
    )
    found = bridge_drift(host, snap)
    assert [(f.kind, f.subject) for f in found] == [
        (Kind.BRIDGE_PORT_EXTRA, "br0/veth9"),
        (Kind.BRIDGE_UNEXPECTED, "br7"),
    ]
    assert found[0].severity is Severity.INFO


def test_no_links_means_bridge_drift_unknown_not_everything_missing() -> None:
    host = git_host()
    assert bridge_drift(host, clean_snapshot(host, links=())) == ()


# ---- leases --------------------------------------------------------------------------


def test_reserved_mac_holding_a_lease_on_another_ip() -> None:
    host = git_host()
    first = host.network("default").reservations[0]
    snap = clean_snapshot(host, leases=(lease(host, first, ip="192.168.202.14"),))
    [f] = lease_findings(fleet_of(host), host, snap)
    assert (f.kind, f.mac, f.ip, f.action) == (
        Kind.LEASE_WRONG_IP,
        first.mac,
        "192.168.202.14",
        Action.RENEW_LEASE,
    )
    assert "reserved 192.168.202.8" in f.detail and "stale until the guest renews" in f.detail


def test_stale_lease_is_judged_against_the_running_reservations() -> None:
    host = git_host()
    git = host.network("default")
    moved = Reservation("192.168.202.40", git.reservations[0].mac, "Araybwyn")
    running = with_reservations(git, (moved, *git.reservations[1:]))
    snap = with_network(clean_snapshot(host), live(git, running=running))
    [f] = lease_findings(fleet_of(host), host, snap)
    assert f.kind is Kind.LEASE_WRONG_IP and "reserved 192.168.202.40" in f.detail


def test_lease_with_no_reservation_and_a_guest_that_moved() -> None:
    host, other = git_host(2), git_host(3)
    stranger = Lease(
        "trop02", "default", "52:54:00:99:00:01", "192.168.202.60", "scratch", expiry=int(NOW)
    )
    mover = Lease("trop02", "default", "52:54:00:02:03:08", "192.168.202.61", None)
    snap = clean_snapshot(host, leases=(stranger, mover))
    found = lease_findings(fleet_of(host, other), host, snap)
    assert kinds(found) == [Kind.LEASE_UNRESERVED, Kind.LEASE_UNRESERVED]
    assert found[0].severity is Severity.INFO and found[0].action is Action.RESERVE_LEASE
    assert "2027-01-15T08:00:00Z" in found[0].detail
    assert "reserved on trop03 (guest moved?)" in found[1].detail


def test_reservation_unused_only_when_domains_were_seen() -> None:
    host = git_host()
    macs = [r.mac for r in host.network("default").reservations]
    assert lease_findings(fleet_of(host), host, clean_snapshot(host)) == ()
    nics = tuple(DomainNic(f"vm{i}", m, network="default") for i, m in enumerate(macs[1:]))
    [f] = lease_findings(fleet_of(host), host, clean_snapshot(host, nics=nics))
    assert (f.kind, f.mac, f.severity) == (Kind.RESERVATION_UNUSED, macs[0], Severity.INFO)
    assert "no domain on trop02 uses it" in f.detail


def test_domain_nic_on_the_dhcp_network_without_reservation() -> None:
    host = git_host()
    macs = [r.mac for r in host.network("default").reservations]
    nics = (
        *(DomainNic(f"vm{i}", m, network="default") for i, m in enumerate(macs)),
        DomainNic("stray", "52:54:00:02:02:77", network="default"),
        DomainNic("public", "52:54:00:02:02:78", network="bridged"),
    )
    [f] = lease_findings(fleet_of(host), host, clean_snapshot(host, nics=nics))
    assert (f.kind, f.mac, f.action) == (
        Kind.NIC_UNRESERVED,
        "52:54:00:02:02:77",
        Action.RESERVE_LEASE,
    )
    assert "domain stray" in f.detail


def test_reservations_breaking_the_scheme() -> None:
    git = git_host(2).network("default")
    foreign = Reservation("192.168.203.9", "52:54:00:02:03:09", "Intruder")
    odd = Reservation("10.9.9.9", "52:54:00:aa:00:01", "Odd")
    xml_host = dataclasses.replace(
        git_host(2), networks=(with_reservations(git, (*git.reservations, foreign, odd)),)
    )
    found = {
        f.mac: f
        for f in lease_findings(
            fleet_of(xml_host, git_host(3)), xml_host, clean_snapshot(xml_host, leases=())
        )
    }
    assert found["52:54:00:02:03:09"].severity is Severity.ERROR
    assert "trop03's prefix" in found["52:54:00:02:03:09"].detail
    assert "trop03's subnet" in found["52:54:00:02:03:09"].detail
    assert found["52:54:00:aa:00:01"].severity is Severity.WARNING
    assert all(f.kind is Kind.SCHEME_VIOLATION for f in found.values())


# ---- counting --------------------------------------------------------------------------


def test_counts_per_host_levels_and_order() -> None:
    hosts = (git_host(1), git_host(2))
    snaps = [
        clean_snapshot(hosts[0], links=()),
        relink(
            clean_snapshot(
                hosts[1],
                leases=(Lease("trop02", "default", "52:54:00:02:02:55", "192.168.202.55"),),
            ),
            LiveLink("br7", kind="bridge"),
        ),
    ]
    from driftkit import fleet_snapshot

    findings = fleet_drift(fleet_of(*hosts), fleet_snapshot(*snaps))
    counts = count_by_host(findings, ["trop01", "trop02"])
    assert counts["trop01"].total == 0 and counts["trop01"].worst is None
    assert (counts["trop02"].warning, counts["trop02"].info) == (1, 1)
    assert counts["trop02"].worst is Severity.WARNING
    assert kinds(at_least(findings, Severity.WARNING)) == [Kind.BRIDGE_UNEXPECTED]
    assert kinds(sort_findings(reversed(findings)))[0] is Kind.BRIDGE_UNEXPECTED
