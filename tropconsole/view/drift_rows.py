"""The Drift view's rows: one per finding, worst first, each targeting what its fix opens.

Runs in the poll worker (through ``tropconsole.view.build``): rows come in the order the
table's own keyed re-sort keeps after a refresh.
"""

from __future__ import annotations

from tropconsole.core.drift import fleet_drift
from tropconsole.core.findings import Action, Finding, count_by_host, sort_findings
from tropconsole.core.live import FleetSnapshot
from tropconsole.core.models import FleetConfig, Lease
from tropconsole.core.scheme import norm_mac
from tropconsole.view.common import LeaseItem, RowTarget, ViewRows
from tropconsole.view.drift import DRIFT_SORT_COLUMNS, SEVERITY_CELLS, DriftState, fix_words


def compute_drift(config: FleetConfig | None, snapshot: FleetSnapshot) -> DriftState:
    """The findings of ``snapshot`` against ``config``. Not free (XML parsing, set algebra):
    called in the poll worker, never on the event loop. A failure here must not cost the
    console its snapshot, so it becomes an unknown drift that says why."""
    if config is None:
        return DriftState(None)
    try:
        findings = sort_findings(fleet_drift(config, snapshot))
    except Exception as err:  # a bug in one comparison must not stop the refresh
        return DriftState(None, error=f"{type(err).__name__}: {err}")
    hosts = [h.name for h in config.hosts]
    return DriftState(findings, {f.key: f for f in findings}, count_by_host(findings, hosts))


def _lease_for(snapshot: FleetSnapshot | None, finding: Finding) -> Lease | None:
    """The lease a reserve-lease finding is about, so the form fills in from it."""
    status = snapshot.host(finding.host) if snapshot is not None else None
    snap = status.snapshot if status is not None else None
    mac = norm_mac(finding.mac) if finding.mac else None
    for lease in snap.leases if snap is not None else ():
        if lease.network == finding.network and norm_mac(lease.mac) == mac:
            return lease
    return None


def drift_target(finding: Finding, snapshot: FleetSnapshot | None) -> RowTarget:
    """A reserve-lease row carries its lease as a ``LeaseItem``: the Leases view's
    lease→reservation shortcut then opens the same prefilled form from this row. Its
    detail is the finding's text (the Drift view shows it, and the fix, in its own pane)."""
    item = None
    if finding.action is Action.RESERVE_LEASE:
        lease = _lease_for(snapshot, finding)
        if lease is None and finding.mac and finding.network:
            # A domain NIC with no lease yet: the form picks the next free IP for it.
            lease = Lease(finding.host, finding.network, finding.mac, "", None)
        if lease is not None:
            item = LeaseItem(lease, None)
    return RowTarget(finding.host, finding.network, item, finding.detail)


def drift_rows(
    state: DriftState | None, snapshot: FleetSnapshot | None, *, read_only: bool = False
) -> ViewRows:
    out = ViewRows()
    for finding in state.findings or () if state is not None else ():
        row = (
            SEVERITY_CELLS[finding.severity],
            finding.host,
            finding.network or "",
            finding.kind.value,
            finding.subject,
            finding.where,
            fix_words(finding, read_only=read_only),
        )
        out.add(finding.key, row, drift_target(finding, snapshot))
    return out.sorted(DRIFT_SORT_COLUMNS)
