"""Prometheus metrics of the live fleet: the read-only monitoring mode, for Prometheus.

A ``MetricsExporter`` owns a ``FleetPoller`` opened read-only (libvirt's read-only socket,
no applier: nothing here can write) and refreshes it in a thread at the inventory's
``refresh_interval``. Each refresh becomes one immutable ``MetricsState`` (snapshot, pool
stats, drift counts, alerts); the ``FleetCollector`` only reads the latest one, so a
scrape never waits for a host and never touches SSH or libvirt.

Metrics (gauges unless said otherwise; names follow Prometheus conventions):
  tropconsole_host_up{host}                                1 when the last refresh answered
  tropconsole_host_unanswered_refreshes{host}              refreshes in a row without answer
  tropconsole_host_last_success_timestamp_seconds{host}    time of the last good refresh
  tropconsole_host_rtt_seconds{host}                       round trip of the cheapest call
  tropconsole_network_leases{host,network}                 leases on a DHCP network
  tropconsole_network_reservations{host,network}           reservations (<host> entries)
  tropconsole_network_pool_addresses{host,network}         addresses in the DHCP range(s)
  tropconsole_network_pool_reserved_addresses{host,network}  of those: reserved
  tropconsole_network_pool_leased_addresses{host,network}  of those: leased
  tropconsole_network_pool_free_addresses{host,network}    of those: neither reserved nor leased
  tropconsole_drift_findings{host,kind,severity}           drift findings (needs the repo)
  tropconsole_alerts{host,kind,severity}                   active alerts (core.alerts)
  tropconsole_refresh_duration_seconds                     wall time of the last refresh
  tropconsole_last_refresh_timestamp_seconds               when the last refresh finished
  tropconsole_refreshes_total (counter)                    refreshes since start
Network series exist only for hosts that answered the last refresh: a stale value would
look current; ``host_up`` says why they are gone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from tropconsole.core.alerts import Alert, AlertTracker, PoolStats, count_by_kind
from tropconsole.core.errors import TropError
from tropconsole.core.live import FleetSnapshot, HostState
from tropconsole.core.ports import FleetSource
from tropconsole.remote.inventory import Inventory

PREFIX = "tropconsole_"


@dataclass(frozen=True, slots=True)
class MetricsState:
    """Everything one refresh produced; replaced whole, read without locks."""

    snapshot: FleetSnapshot | None = None
    duration: float | None = None  # seconds the refresh took
    refreshes: int = 0
    pools: tuple[PoolStats, ...] = ()
    alerts: tuple[Alert, ...] = ()
    down_for: Mapping[str, int] = field(default_factory=dict)
    drift: Mapping[tuple[str, str, str], int] | None = None  # None: no repo, or unreadable
    drift_error: str | None = None


class FleetCollector(Collector):
    """Reads the exporter's latest state at scrape time; never blocks on the fleet."""

    def __init__(self, state: Callable[[], MetricsState]) -> None:
        self._state = state

    def describe(self) -> list[Metric]:
        return []  # names depend on the fleet; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        st = self._state()
        yield CounterMetricFamily(
            PREFIX + "refreshes", "Fleet refreshes since the exporter started", st.refreshes
        )
        snap = st.snapshot
        if snap is None:
            return
        yield GaugeMetricFamily(
            PREFIX + "refresh_duration_seconds",
            "Wall time of the last fleet refresh (every host in parallel)",
            st.duration or 0.0,
        )
        yield GaugeMetricFamily(
            PREFIX + "last_refresh_timestamp_seconds",
            "Unix time the last fleet refresh finished",
            snap.taken_at,
        )
        up = _gauge("host_up", "1 when the host answered the last refresh, else 0", ["host"])
        down = _gauge(
            "host_unanswered_refreshes",
            "Refreshes in a row the host did not answer (0 when it answered the last one)",
            ["host"],
        )
        last = _gauge(
            "host_last_success_timestamp_seconds",
            "Unix time of the host's last successful refresh",
            ["host"],
        )
        rtt = _gauge("host_rtt_seconds", "Round trip of the host's cheapest call", ["host"])
        for h in snap.hosts:
            ok = h.state is HostState.OK
            up.add_metric([h.host], 1.0 if ok else 0.0)
            down.add_metric([h.host], float(st.down_for.get(h.host, 0)))
            if h.last_ok is not None:
                last.add_metric([h.host], h.last_ok)
            if ok and h.snapshot is not None and h.snapshot.rtt_ms is not None:
                rtt.add_metric([h.host], h.snapshot.rtt_ms / 1000.0)
        yield from (up, down, last, rtt)
        labels = ["host", "network"]
        nets: dict[str, tuple[str, Callable[[PoolStats], int]]] = {
            "network_leases": ("DHCP leases on the network", lambda p: p.leases),
            "network_reservations": ("DHCP reservations on the network", lambda p: p.reservations),
            "network_pool_addresses": ("Addresses in the DHCP range(s)", lambda p: p.size),
            "network_pool_reserved_addresses": (
                "Addresses in the DHCP range that a reservation names",
                lambda p: p.reserved_in_range,
            ),
            "network_pool_leased_addresses": (
                "Addresses in the DHCP range that a lease holds",
                lambda p: p.leased_in_range,
            ),
            "network_pool_free_addresses": (
                "Addresses in the DHCP range neither reserved nor leased",
                lambda p: p.free,
            ),
        }
        for name, (doc, value) in nets.items():
            g = _gauge(name, doc, labels)
            for p in st.pools:
                g.add_metric([p.host, p.network], float(value(p)))
            yield g
        if st.drift is not None:
            g = _gauge(
                "drift_findings",
                "Drift findings (git vs the hosts) by kind and severity",
                ["host", "kind", "severity"],
            )
            for (host, kind, sev), n in sorted(st.drift.items()):
                g.add_metric([host, kind, sev], float(n))
            yield g
        g = _gauge("alerts", "Active alerts by kind and severity", ["host", "kind", "severity"])
        for (host, kind, sev), n in sorted(count_by_kind(st.alerts).items()):
            g.add_metric([host, kind, sev], float(n))
        yield g


def _gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, doc, labels=labels)


class MetricsExporter:
    """Polls ``source`` (read-only) and keeps the latest ``MetricsState`` for scrapes."""

    def __init__(
        self,
        inventory: Inventory,
        *,
        repo: Path | None = None,
        source: FleetSource | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        if source is None:
            from tropconsole.remote.poller import FleetPoller

            source = FleetPoller(inventory, read_only=True)
        if not source.read_only:
            raise TropError("metrics: refusing a fleet source that is not read-only")
        self.source = source
        self.inventory = inventory
        self.repo = repo
        self.tracker = AlertTracker(inventory.alerts)
        self.state = MetricsState()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(FleetCollector(lambda: self.state))
        self._on_error = on_error
        self._last_error: str | None = None
        self.refreshed = threading.Condition()

    def refresh(self) -> MetricsState:
        """One refresh of the fleet; the new state replaces the old one at once."""
        started = time.monotonic()
        snap = self.source.poll()
        duration = time.monotonic() - started
        drift, error = self._drift(snap)
        alerts = self.tracker.update(snap)
        if error != self._last_error and error is not None and self._on_error is not None:
            self._on_error(error)
        self._last_error = error
        state = MetricsState(
            snapshot=snap,
            duration=duration,
            refreshes=self.state.refreshes + 1,
            pools=self.tracker.pools,
            alerts=alerts,
            down_for=dict(self.tracker.down_for),
            drift=drift,
            drift_error=error,
        )
        with self.refreshed:
            self.state = state
            self.refreshed.notify_all()
        return state

    def _drift(
        self, snap: FleetSnapshot
    ) -> tuple[dict[tuple[str, str, str], int] | None, str | None]:
        if self.repo is None:
            return None, None
        from tropconsole.core.configrepo import load_fleet
        from tropconsole.core.drift import fleet_drift

        try:
            fleet = load_fleet(self.repo)
        except TropError as err:
            return None, f"drift unknown: {err.message}"
        self.tracker.fleet = fleet
        counts: dict[tuple[str, str, str], int] = {}
        for f in fleet_drift(fleet, snap):
            k = (f.host, f.kind.value, f.severity.value)
            counts[k] = counts.get(k, 0) + 1
        return counts, None

    def run(self, stop: threading.Event) -> None:
        """Refresh every ``refresh_interval`` seconds until ``stop`` is set. A refresh
        that raises (a bug, not a host: hosts fail inside the snapshot) is reported and
        the loop goes on, so the exporter keeps serving."""
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.refresh()
            except Exception as err:  # keep serving; the next refresh may succeed
                if self._on_error is not None:
                    self._on_error(f"refresh failed: {type(err).__name__}: {err}")
            wait = self.inventory.refresh_interval - (time.monotonic() - started)
            stop.wait(max(0.0, wait))

    def close(self) -> None:
        self.source.close()
