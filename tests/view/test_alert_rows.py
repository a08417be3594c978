"""The Alerts view's rows, the Pool cells and the host cards' fragments (no Textual)."""

from __future__ import annotations

from tropconsole.core.alerts import (
    Alert,
    AlertKind,
    AlertPolicy,
    AlertTracker,
    PoolStats,
)
from tropconsole.core.findings import Severity
from tropconsole.core.live import FleetSnapshot, HostState, HostStatus
from tropconsole.view.alerts import (
    AlertState,
    alert_rows,
    alert_state,
    config_host,
    host_alert_text,
    host_pool_text,
    pool_cell,
)


def stats(free: int, size: int = 8, reserved: int = 4, leased: int = 3) -> PoolStats:
    return PoolStats("trop01", "default", size, reserved, leased, free, reserved, leased)


def pool_alert(kind: AlertKind) -> Alert:
    sev = Severity.ERROR if kind is AlertKind.POOL_FULL else Severity.WARNING
    return Alert("trop01", kind, sev, "default", "…", network="default")


def test_pool_cell_says_reserved_leased_free_and_low_or_full_in_words() -> None:
    assert pool_cell(stats(3), None) == "4r 3l 3/8 free"
    assert pool_cell(stats(1), pool_alert(AlertKind.POOL_NEARLY_FULL)) == (
        "4r 3l 1/8 LOW",
        "yellow",
    )
    assert pool_cell(stats(0), pool_alert(AlertKind.POOL_FULL)) == ("4r 3l 0/8 FULL", "bold red")
    assert pool_cell(None, None) == "" and pool_cell(stats(0, size=0), None) == ""


def test_config_warnings_name_their_host_when_they_can() -> None:
    hosts = ("trop01", "trop03")
    assert config_host("trop03: no network file default.xml (expected …)", hosts) == "trop03"
    link = "/repo/src/cfg/tropo/trop01/etc/libvirt/qemu/networks/x.xml: read through a link"
    assert config_host(link, hosts) == "trop01"
    assert config_host("something else: entirely", hosts) == ""


def test_rows_are_keyed_by_alert_key_worst_first_with_config_rows() -> None:
    warn = Alert("trop02", AlertKind.LEASE_EXPIRING, Severity.WARNING, "52:54:00:02:02:0a", "x")
    full = pool_alert(AlertKind.POOL_FULL)
    state = AlertState(active=(warn, full), config=("trop02: no network file default.xml",))
    rows = alert_rows(state, ("trop01", "trop02"))
    assert list(rows.rows) == [
        full.key,
        "config|trop02: no network file default.xml",
        warn.key,
    ]
    assert rows.rows[full.key][:3] == (("■ ERROR", "bold red"), "trop01", "pool-full")
    assert rows.filtered("trop02", "").rows.keys() == {warn.key, *list(rows.rows)[1:2]}
    assert state.summary() == "3 alerts: 1 error, 1 warning, 1 config"
    assert alert_rows(None).rows == {}


def test_alert_state_feeds_the_tracker_and_indexes_pools_and_hosts() -> None:
    tracker = AlertTracker(AlertPolicy(unreachable_refreshes=1))
    down = FleetSnapshot(1.0, (HostStatus("trop09", HostState.DOWN, None, "refused", None),))
    state = alert_state(tracker, down, None)
    assert [a.kind for a in state.active] == [AlertKind.HOST_UNREACHABLE]
    assert state.new == state.active and state.pools == {}
    assert host_alert_text(state, "trop09") == ("■1 alert", "bold red")
    assert host_pool_text(state, "trop09") is None
    again = alert_state(tracker, down, None)
    assert again.new == () and [a.key for a in again.active] == [a.key for a in state.active]


def test_host_pool_text_highlights_an_alerting_pool() -> None:
    from tropconsole.view.alerts import HostAlerts

    calm = AlertState(hosts={"trop01": HostAlerts(pool=stats(3))})
    assert host_pool_text(calm, "trop01") == ("pool 3 free", "dim")
    low = AlertState(
        hosts={
            "trop01": HostAlerts(
                1, Severity.WARNING, stats(1), pool_alert(AlertKind.POOL_NEARLY_FULL)
            )
        }
    )
    assert host_pool_text(low, "trop01") == ("pool 1 free", "yellow")
    assert host_alert_text(low, "trop01") == ("▲1 alert", "yellow")
