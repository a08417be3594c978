"""Alerts and pool stats (core.alerts): the numbers an operator reads on the Networks view
and the warnings that reach the console, ``status`` and Prometheus."""

from __future__ import annotations

from pathlib import Path

import pytest

from tropconsole.core.alerts import (
    AlertKind,
    AlertPolicy,
    AlertTracker,
    fleet_pool_stats,
    pool_stats,
)
from tropconsole.core.errors import ConfigError
from tropconsole.core.findings import Severity
from tropconsole.core.live import FleetSnapshot, HostSnapshot, HostState, HostStatus, LiveNetwork
from tropconsole.core.models import DhcpRange, Lease, LibvirtNetwork, NetworkIP, Reservation
from tropconsole.remote.inventory import load_inventory

NOW = 1_800_000_000.0


def network(
    name: str = "default",
    ranges: tuple[tuple[str, str], ...] = (("192.168.201.10", "192.168.201.19"),),
    hosts: tuple[tuple[str, str], ...] = (),
) -> LibvirtNetwork:
    ip = NetworkIP(
        address="192.168.201.1",
        prefix=24,
        ranges=tuple(DhcpRange(a, b) for a, b in ranges),
        hosts=tuple(Reservation(ip=i, mac=m) for m, i in hosts),
        has_dhcp=True,
    )
    return LibvirtNetwork(name=name, bridge="virbr0", ips=(ip,))


def live(net: LibvirtNetwork, *, active: bool = True, persistent: LibvirtNetwork | None = None):
    return LiveNetwork(
        name=net.name,
        active=active,
        autostart=True,
        persistent=True,
        bridge=net.bridge,
        running_xml="",
        persistent_xml="",
        running=net,
        persistent_def=persistent or net,
    )


def lease(mac: str, ip: str, expiry: float | None = NOW + 3600, host: str = "trop01") -> Lease:
    return Lease(
        host=host,
        network="default",
        mac=mac,
        ip=ip,
        expiry=None if expiry is None else int(expiry),
    )


def host(name: str = "trop01", nets=(), leases=(), state=HostState.OK) -> HostStatus:
    snap = HostSnapshot(host=name, taken_at=NOW, networks=tuple(nets), leases=tuple(leases))
    if state is HostState.OK:
        return HostStatus(host=name, state=state, snapshot=snap, last_ok=NOW)
    return HostStatus(host=name, state=state, error="connection refused")


def fleet(*hosts: HostStatus, at: float = NOW) -> FleetSnapshot:
    return FleetSnapshot(taken_at=at, hosts=hosts)


RESERVED = (
    ("52:54:00:02:01:0a", "192.168.201.10"),
    ("52:54:00:02:01:0b", "192.168.201.11"),
    ("52:54:00:02:01:0c", "192.168.201.12"),
    ("52:54:00:02:01:05", "192.168.201.5"),  # outside the range: not a range address
)


def test_free_is_in_the_range_neither_reserved_nor_leased() -> None:
    net = network(hosts=RESERVED)
    leases = (
        lease("52:54:00:02:01:0a", "192.168.201.10"),  # on its reservation: counted once
        lease("52:54:00:02:01:e3", "192.168.201.19"),  # unreserved, in the range
        lease("52:54:00:02:01:05", "192.168.201.5"),  # outside the range
    )
    (stats,) = pool_stats(HostSnapshot("trop01", NOW, networks=(live(net),), leases=leases))
    assert (stats.size, stats.reserved_in_range, stats.leased_in_range) == (10, 3, 2)
    assert stats.free == 10 - 4  # .10 .11 .12 reserved, .19 leased
    assert (stats.reservations, stats.leases) == (4, 3)
    assert stats.used_percent == pytest.approx(40.0)


def test_overlapping_ranges_count_each_address_once_and_non_dhcp_networks_are_skipped() -> None:
    net = network(
        ranges=(("192.168.201.10", "192.168.201.19"), ("192.168.201.15", "192.168.201.24"))
    )
    bridged = LibvirtNetwork(name="bridged", forward_mode="bridge", bridge="br0")
    stats = pool_stats(HostSnapshot("trop01", NOW, networks=(live(net), live(bridged))))
    assert [(s.network, s.size, s.free) for s in stats] == [("default", 15, 15)]


def test_an_inactive_network_is_counted_from_its_persistent_definition() -> None:
    running = network(hosts=())
    persistent = network(hosts=RESERVED)
    (stats,) = pool_stats(
        HostSnapshot("trop01", NOW, networks=(live(running, active=False, persistent=persistent),))
    )
    assert stats.reserved_in_range == 3


def test_pool_nearly_full_warns_at_the_threshold_and_full_is_an_error() -> None:
    nine = tuple((f"52:54:00:02:01:{i:02x}", f"192.168.201.{i}") for i in range(10, 19))
    tracker = AlertTracker(AlertPolicy(pool_warn_percent=90))
    (alert,) = tracker.update(fleet(host(nets=[live(network(hosts=nine))])))
    assert (alert.kind, alert.severity, alert.network) == (
        AlertKind.POOL_NEARLY_FULL,
        Severity.WARNING,
        "default",
    )
    assert "1 of 10 range addresses free" in alert.detail
    leased = [lease("52:54:00:02:01:e3", "192.168.201.19")]
    (full,) = tracker.update(fleet(host(nets=[live(network(hosts=nine))], leases=leased)))
    assert (full.kind, full.severity) == (AlertKind.POOL_FULL, Severity.ERROR)
    assert [a.key for a in tracker.new] == [full.key]  # full is news even after nearly full
    assert (
        AlertTracker(AlertPolicy(pool_warn_percent=95)).update(
            fleet(host(nets=[live(network(hosts=nine))]))
        )
        == ()
    )


def test_the_key_is_stable_while_the_numbers_move_so_the_console_notifies_once() -> None:
    tracker = AlertTracker(AlertPolicy(pool_warn_percent=50))
    for used in (6, 7, 8):
        hosts = tuple((f"52:54:00:02:01:{i:02x}", f"192.168.201.{i}") for i in range(10, 10 + used))
        (alert,) = tracker.update(fleet(host(nets=[live(network(hosts=hosts))])))
        assert tracker.new == ((alert,) if used == 6 else ())
    assert alert.key == "trop01|pool-nearly-full|default|default"
    assert tracker.update(fleet(host(nets=[live(network())]))) == ()


def test_a_lease_from_another_hosts_prefix_names_that_host() -> None:
    leases = [
        lease("52:54:00:02:02:33", "192.168.201.17"),  # trop02's prefix
        lease("00:16:3e:aa:bb:cc", "192.168.201.18"),  # nobody's
        lease("52:54:00:02:01:e3", "192.168.201.19"),  # its own
    ]
    alerts = AlertTracker().update(
        fleet(host(nets=[live(network())], leases=leases), host("trop02"))
    )
    foreign = {a.mac: a for a in alerts if a.kind is AlertKind.LEASE_FOREIGN_MAC}
    assert set(foreign) == {"52:54:00:02:02:33", "00:16:3e:aa:bb:cc"}
    assert "trop02's prefix" in foreign["52:54:00:02:02:33"].detail
    assert "outside trop01's 52:54:00:02:01:xx" in foreign["00:16:3e:aa:bb:cc"].detail
    assert all(a.host == "trop01" and a.ip for a in foreign.values())


def test_a_host_alerts_after_n_unanswered_refreshes_and_clears_when_it_answers() -> None:
    tracker = AlertTracker(AlertPolicy(unreachable_refreshes=3))
    up = host("trop02", nets=[live(network())])
    down = host("trop02", state=HostState.STALE)
    assert tracker.update(fleet(up)) == ()
    assert tracker.update(fleet(down)) == ()
    assert tracker.update(fleet(down)) == ()
    (alert,) = tracker.update(fleet(down))
    assert (alert.kind, alert.severity, alert.subject) == (
        AlertKind.HOST_UNREACHABLE,
        Severity.ERROR,
        "trop02",
    )
    assert "no answer for 3 refreshes" in alert.detail and "connection refused" in alert.detail
    assert tracker.new == (alert,)
    again = tracker.update(fleet(down))
    assert [a.key for a in again] == [alert.key] and "4 refreshes" in again[0].detail
    assert tracker.new == ()
    assert tracker.update(fleet(up)) == ()
    assert tracker.down_for["trop02"] == 0


def test_a_lease_close_to_expiry_alerts_unless_it_was_renewed() -> None:
    policy = AlertPolicy(lease_expiry_minutes=10)
    tracker = AlertTracker(policy)
    mac = "52:54:00:02:01:e3"
    nets = [live(network())]
    # first refresh: an hour left, nothing to say
    assert (
        tracker.update(fleet(host(nets=nets, leases=[lease(mac, "192.168.201.19", NOW + 3600)])))
        == ()
    )
    # 55 minutes later the expiry has not moved: 5 minutes left, no renewal
    later = NOW + 55 * 60
    (alert,) = tracker.update(
        fleet(host(nets=nets, leases=[lease(mac, "192.168.201.19", NOW + 3600)]), at=later)
    )
    assert (alert.kind, alert.mac, alert.ip) == (AlertKind.LEASE_EXPIRING, mac, "192.168.201.19")
    assert "expires in 5 min" in alert.detail
    # renewed: the expiry moved, even to a short lease inside the window
    renewed = lease(mac, "192.168.201.19", later + 8 * 60)
    assert tracker.update(fleet(host(nets=nets, leases=[renewed]), at=later + 1)) == ()
    # a lease without expiry never alerts
    forever = lease(mac, "192.168.201.19", None)
    assert AlertTracker(policy).update(fleet(host(nets=nets, leases=[forever]))) == ()


def test_a_lease_seen_first_inside_the_window_counts_as_unrenewed() -> None:
    """``status`` makes one refresh: a lease that close to its end has missed its renewal
    (DHCP clients renew at half the lease time)."""
    nets = [live(network())]
    (alert,) = AlertTracker().update(
        fleet(host(nets=nets, leases=[lease("52:54:00:02:01:e3", "192.168.201.19", NOW + 120)]))
    )
    assert alert.kind is AlertKind.LEASE_EXPIRING and "in 2 min" in alert.detail


def test_pool_stats_leave_out_hosts_that_did_not_answer() -> None:
    snap = fleet(host("trop01", nets=[live(network())]), host("trop02", state=HostState.DOWN))
    assert [s.host for s in fleet_pool_stats(snap)] == ["trop01"]


def write_inventory(tmp_path: Path, alerts: str) -> Path:
    path = tmp_path / "inventory.toml"
    path.write_text(f'[hosts.trop01]\nssh_host = "198.18.1.2"\n\n[alerts]\n{alerts}\n')
    return path


def test_the_inventory_sets_the_thresholds(tmp_path: Path) -> None:
    inv = load_inventory(
        write_inventory(
            tmp_path,
            "pool_warn_percent = 80\nunreachable_refreshes = 5\nlease_expiry_minutes = 2.5",
        )
    )
    assert inv.alerts == AlertPolicy(80.0, 5, 2.5)
    default = load_inventory(write_inventory(tmp_path, ""))
    assert default.alerts == AlertPolicy(90.0, 3, 10.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pool_warn_percent = 0", "alerts.pool_warn_percent: expected a percentage 0 < p <= 100"),
        ("pool_warn_percent = 101", "alerts.pool_warn_percent"),
        ('pool_warn_percent = "90"', "alerts.pool_warn_percent"),
        ("unreachable_refreshes = 0", "alerts.unreachable_refreshes: expected a whole number"),
        ("unreachable_refreshes = 2.5", "alerts.unreachable_refreshes"),
        ("lease_expiry_minutes = -1", "alerts.lease_expiry_minutes: expected a number of minutes"),
        ("pool_warn = 90", "alerts.pool_warn: unknown key"),
    ],
)
def test_bad_thresholds_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_inventory(write_inventory(tmp_path, text))
    assert message in err.value.message and "inventory.toml" in err.value.message
