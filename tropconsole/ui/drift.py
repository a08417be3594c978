"""From drift findings to what the console shows: rows, host badges and the fix each opens.

Plain functions, no Textual, like ``rows``. The findings themselves come from
``core.drift.fleet_drift``, computed in the poll worker (``DriftState.compute``) so the
event loop only ever looks them up. Severity is said in words and in colour; rows come
worst first, and in the order the table's own keyed re-sort keeps after a refresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tropconsole.core.findings import (
    Action,
    DriftCounts,
    Finding,
    Severity,
    count_by_host,
    sort_findings,
)
from tropconsole.core.models import Lease
from tropconsole.ui.rows import ERROR, STALE, WARN, LeaseItem, RowTarget, ViewRows

if TYPE_CHECKING:
    from tropconsole.core.live import FleetSnapshot
    from tropconsole.core.models import FleetConfig

DRIFT_COLUMNS: tuple[str, ...] = ("Severity", "Host", "Network", "Kind", "Subject", "Where", "Fix")

# Rows sort like the other views (naturally, on these columns), and the severity cell
# sorts worst first by its first character (■ < ▲ < ○): errors lead, as in the CLI.
DRIFT_SORT_COLUMNS: tuple[int, ...] = (0, 1, 2, 4)

SEVERITY_CELLS: dict[Severity, tuple[str, str]] = {
    Severity.ERROR: ("■ ERROR", ERROR),
    Severity.WARNING: ("▲ WARNING", WARN),
    Severity.INFO: ("○ info", "cyan"),
}

# What the fix key does for each action, in the words of the Fix column; the other
# actions are done by hand, and the key shows how.
ACTION_WORDS: dict[Action, str] = {
    Action.SYNC_NETWORK: "sync git→live",
    Action.RESERVE_LEASE: "reserve lease",
}
SHOW_FIX = "show fix"
WRITE_FIXES = frozenset(ACTION_WORDS)  # refused in read-only mode


def fleet_drift(config: FleetConfig, snapshot: FleetSnapshot) -> tuple[Finding, ...]:
    """``core.drift.fleet_drift``, imported on first use: by the poll worker, not before the
    console's first frame."""
    from tropconsole.core.drift import fleet_drift as compute

    return compute(config, snapshot)


@dataclass(frozen=True, slots=True)
class DriftState:
    """The findings of one snapshot against one read of the config repo.

    ``findings`` is None when drift is unknown (no config repo, or it could not be read
    or computed): the view then says so instead of looking clean."""

    findings: tuple[Finding, ...] | None
    by_key: Mapping[str, Finding] = field(default_factory=dict)
    counts: Mapping[str, DriftCounts] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def compute(cls, config: FleetConfig | None, snapshot: FleetSnapshot) -> DriftState:
        """Not free (XML parsing, set algebra): called in the poll worker, never on the
        event loop. A failure here must not cost the console its snapshot, so it becomes
        an unknown drift that says why."""
        if config is None:
            return cls(None)
        try:
            findings = sort_findings(fleet_drift(config, snapshot))
        except Exception as err:  # a bug in one comparison must not stop the refresh
            return cls(None, error=f"{type(err).__name__}: {err}")
        hosts = [h.name for h in config.hosts]
        return cls(findings, {f.key: f for f in findings}, count_by_host(findings, hosts))

    def summary(self) -> str:
        if self.error is not None:
            return f"drift unknown: it could not be computed ({self.error})"
        if self.findings is None:
            return "drift unknown: the config repo has not been read (or cannot be)"
        if not self.findings:
            return "no drift: every host matches git"
        per = {s: sum(1 for f in self.findings if f.severity is s) for s in Severity}
        parts = [f"{n} {s.value}" for s, n in per.items() if n]
        return f"{len(self.findings)} findings: {', '.join(parts)}"


def drift_badge(state: DriftState | None, host: str) -> tuple[str, str]:
    """Text and style for a host card: the count in words, '!' when a fix is due."""
    if state is None or state.findings is None:
        return ("drift ?", STALE)
    counts = state.counts.get(host, DriftCounts())
    worst = counts.worst
    if worst is None:
        return ("no drift", "green")
    if worst is Severity.ERROR:
        return (f"drift {counts.total} ERR", ERROR)
    if worst is Severity.WARNING:
        return (f"drift {counts.total}!", WARN)
    return (f"drift {counts.total}", "cyan")


def fix_words(finding: Finding, *, read_only: bool = False) -> str:
    """'f: sync git→live'; in read-only mode a write fix says it will not be done."""
    words = ACTION_WORDS.get(finding.action, SHOW_FIX)
    if read_only:
        return f"read-only: {words}" if finding.action in WRITE_FIXES else "see the fix below"
    return f"f: {words}"


def _lease_for(snapshot: FleetSnapshot | None, finding: Finding) -> Lease | None:
    """The lease a reserve-lease finding is about, so the form fills in from it."""
    status = snapshot.host(finding.host) if snapshot is not None else None
    snap = status.snapshot if status is not None else None
    from tropconsole.core.scheme import norm_mac

    mac = norm_mac(finding.mac) if finding.mac else None
    for lease in snap.leases if snap is not None else ():
        if lease.network == finding.network and norm_mac(lease.mac) == mac:
            return lease
    return None


def drift_target(finding: Finding, snapshot: FleetSnapshot | None) -> RowTarget:
    """A reserve-lease row carries its lease as a ``LeaseItem``: the Leases view's
    lease→reservation shortcut then opens the same prefilled form from this row."""
    item = None
    if finding.action is Action.RESERVE_LEASE:
        lease = _lease_for(snapshot, finding)
        if lease is None and finding.mac and finding.network:
            # A domain NIC with no lease yet: the form picks the next free IP for it.
            lease = Lease(finding.host, finding.network, finding.mac, "", None)
        if lease is not None:
            item = LeaseItem(lease, None)
    return RowTarget(finding.host, finding.network, item)


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
