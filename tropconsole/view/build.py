"""Every view's rows from one poll: the poll worker's one door into the row builders.

The builders import what they need at the top (``core.scheme`` brings netaddr,
``core.drift`` the XML comparisons); the console imports this module in its poll worker
(``tropconsole.ui.polling``), never before its first frame.
"""

from __future__ import annotations

from collections.abc import Callable

from tropconsole.core.alerts import AlertPolicy, AlertTracker
from tropconsole.core.live import FleetSnapshot
from tropconsole.core.models import FleetConfig
from tropconsole.view.alerts import AlertRows, AlertState, alert_state
from tropconsole.view.bridges import bridge_rows
from tropconsole.view.common import View, ViewRows
from tropconsole.view.drift import DriftState
from tropconsole.view.drift_rows import compute_drift, drift_rows
from tropconsole.view.leases import LeaseRows, lease_rows
from tropconsole.view.networks import network_rows
from tropconsole.view.reservations import reservation_rows
from tropconsole.view.vms import vm_view_rows

Builder = Callable[[FleetSnapshot, FleetConfig | None, float], ViewRows]

BUILDERS: dict[View, Builder] = {
    View.BRIDGES: lambda fleet, _config, now: bridge_rows(fleet, now),
    View.NETWORKS: network_rows,
    View.LEASES: lease_rows,
    View.RESERVATIONS: reservation_rows,
    View.VMS: vm_view_rows,
}


def build_all(
    snapshot: FleetSnapshot, config: FleetConfig | None, now: float
) -> dict[View, ViewRows]:
    """Every table view's rows; pure, so the poll worker can build them off the event loop
    (10 000 leases take a few hundred ms, which would otherwise freeze the keys)."""
    return {view: build(snapshot, config, now) for view, build in BUILDERS.items()}


class RowBuilder(LeaseRows):
    """``build_all`` with a memory of the last Leases view (``LeaseRows``), for the poll
    worker: one per console. It holds the console's one ``AlertTracker`` too: ``build_poll``
    feeds it and leaves the poll's alerts in ``alerts`` (the Networks view's Pool column
    and the Alerts view are built from them)."""

    def __init__(self, policy: AlertPolicy | None = None) -> None:
        super().__init__()
        self.tracker = AlertTracker(policy if policy is not None else AlertPolicy())
        self.alerts: AlertState | None = None
        self._alert_rows = AlertRows()

    def build(
        self, snapshot: FleetSnapshot, config: FleetConfig | None, now: float
    ) -> dict[View, ViewRows]:
        return {
            view: self.lease_rows(snapshot, config, now)
            if view is View.LEASES
            else build(snapshot, config, now)
            for view, build in BUILDERS.items()
        }

    def build_poll(
        self, snapshot: FleetSnapshot, config: FleetConfig | None, now: float, *, read_only: bool
    ) -> tuple[DriftState, dict[View, ViewRows]]:
        """The drift of this poll and every view's rows, the Drift view's among them."""
        drift = compute_drift(config, snapshot)
        alerts = self.alerts = alert_state(self.tracker, snapshot, config)
        rows = self.build(snapshot, config, now)
        rows[View.DRIFT] = drift_rows(drift, snapshot, read_only=read_only)
        rows[View.NETWORKS] = network_rows(snapshot, config, now, alerts)  # with the pools
        hosts = tuple(h.name for h in config.hosts) if config is not None else ()
        rows[View.ALERTS] = self._alert_rows.rows(alerts, hosts)
        return drift, rows
