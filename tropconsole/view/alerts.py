"""Alerts as the console shows them: the Alerts view's rows, pool cells, host fragments.

Plain data, no Textual. ``alert_state`` feeds one poll's snapshot to the console's one
``core.alerts.AlertTracker`` (in the poll worker, like every row builder) and keeps what
the event loop needs: the active alerts (the Alerts view lists them), the new ones (the
console notifies each once), the config repo's warnings (``FleetConfig.warnings``: a file
read through a link from outside the repo, a host missing a network file; listed as
"config" rows) and, per host and per DHCP network, the pool and whether it alerts.

The tracker's work is one pass over each host's leases (pool counts, foreign MACs,
expiring leases); this module adds one pass over the alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tropconsole.core.findings import Severity
from tropconsole.view.common import ERROR, SORT_COLUMNS, STALE, WARN, RowTarget, View, ViewRows
from tropconsole.view.drift import SEVERITY_CELLS
from tropconsole.view.tablediff import Cell

if TYPE_CHECKING:  # core.alerts brings netaddr: the poll worker's import, not start-up's
    from tropconsole.core.alerts import Alert, AlertTracker, PoolStats
    from tropconsole.core.live import FleetSnapshot
    from tropconsole.core.models import FleetConfig

CONFIG_KIND = "config"  # the Kind cell of a config repo warning
POOL_FULL = "pool-full"  # core.alerts.AlertKind values (a StrEnum: equal to these)
POOL_KINDS = frozenset({POOL_FULL, "pool-nearly-full"})


@dataclass(frozen=True, slots=True)
class HostAlerts:
    """One host's alerts and its tightest DHCP pool (fewest free addresses, by share)."""

    count: int = 0
    worst: Severity | None = None
    pool: PoolStats | None = None
    pool_alert: Alert | None = None


@dataclass(frozen=True, slots=True)
class AlertState:
    """One poll's alerts, as the poll worker hands them to the event loop."""

    active: tuple[Alert, ...] = ()
    new: tuple[Alert, ...] = ()
    config: tuple[str, ...] = ()  # FleetConfig.warnings, one line each
    pools: Mapping[tuple[str, str], tuple[PoolStats, Alert | None]] = field(default_factory=dict)
    hosts: Mapping[str, HostAlerts] = field(default_factory=dict)

    def summary(self) -> str:
        if not self.active and not self.config:
            return "no alerts"
        per = {s: sum(1 for a in self.active if a.severity is s) for s in Severity}
        parts = [f"{n} {s.value}" for s, n in per.items() if n]
        if self.config:
            parts.append(f"{len(self.config)} config")
        return f"{len(self.active) + len(self.config)} alerts: {', '.join(parts)}"


def alert_state(
    tracker: AlertTracker, snapshot: FleetSnapshot, config: FleetConfig | None
) -> AlertState:
    """Feed ``snapshot`` to ``tracker`` (its one caller: the poll worker) and index the result."""
    if config is not None:
        tracker.fleet = config  # git's view of the hosts' MAC schemes, when there is one
    active = tracker.update(snapshot)
    pool_alert: dict[tuple[str, str | None], Alert] = {}
    tally: dict[str, list[int]] = {}  # host -> [count, worst severity's rank]
    for alert in active:  # one cheap pass: a fleet may have thousands (foreign MACs)
        rank = _RANKS[alert.severity]
        seen = tally.get(alert.host)
        if seen is None:
            tally[alert.host] = [1, rank]
        else:
            seen[0] += 1
            seen[1] = max(seen[1], rank)
        if alert.kind in POOL_KINDS:
            pool_alert[(alert.host, alert.network)] = alert
    pools = {(s.host, s.network): (s, pool_alert.get((s.host, s.network))) for s in tracker.pools}
    by_rank = {rank: severity for severity, rank in _RANKS.items()}
    hosts = {host: HostAlerts(n, by_rank[worst]) for host, (n, worst) in tally.items()}
    for stats, pool_alarm in pools.values():
        was = hosts.get(stats.host, HostAlerts())
        if stats.size and (was.pool is None or _tighter(stats, was.pool)):
            hosts[stats.host] = HostAlerts(was.count, was.worst, stats, pool_alarm)
    return AlertState(
        active=active,
        new=tracker.new,
        config=config.warnings if config is not None else (),
        pools=pools,
        hosts=hosts,
    )


_RANKS = {severity: severity.rank for severity in Severity}


def _tighter(a: PoolStats, b: PoolStats) -> bool:
    return a.free * b.size < b.free * a.size  # a's free share is smaller


def pool_cell(stats: PoolStats | None, alert: Alert | None) -> Cell:
    """'6r 3l 1/8 free': reserved and leased addresses in the range, free of the range;
    'LOW' instead of 'free' when the pool is nearly full, 'FULL' when nothing is free."""
    if stats is None or stats.size == 0:
        return ""
    head = f"{stats.reserved_in_range}r {stats.leased_in_range}l {stats.free}/{stats.size}"
    if alert is not None and alert.kind == POOL_FULL:
        return (f"{head} FULL", ERROR)
    if alert is not None:
        return (f"{head} LOW", WARN)
    return f"{head} free"


def pool_detail(stats: PoolStats | None, alert: Alert | None) -> str:
    """The Pool cell in words, for the line under the table."""
    if stats is None or stats.size == 0:
        return ""
    words = (
        f"DHCP pool: {stats.size} addresses in range, {stats.reserved_in_range} reserved, "
        f"{stats.leased_in_range} leased, {stats.free} free"
    )
    return f"{words} · {alert.kind}: {alert.detail}" if alert is not None else words


def host_alert_text(state: AlertState | None, host: str) -> tuple[str, str] | None:
    """A host card's alert fragment ('■2 alerts', in the worst one's colour), or None."""
    info = state.hosts.get(host) if state is not None else None
    if info is None or not info.count or info.worst is None:
        return None
    mark, style = SEVERITY_CELLS[info.worst]
    word = "alert" if info.count == 1 else "alerts"
    return (f"{mark[0]}{info.count} {word}", style)


def host_pool_text(state: AlertState | None, host: str) -> tuple[str, str] | None:
    """A host card's pool fragment: 'pool 1 free' of its tightest DHCP range, highlighted
    when that range alerts ('pool FULL' when nothing is free)."""
    info = state.hosts.get(host) if state is not None else None
    if info is None or info.pool is None:
        return None
    alert = info.pool_alert
    if alert is not None and alert.kind == POOL_FULL:
        return ("pool FULL", ERROR)
    text = f"pool {info.pool.free} free"
    return (text, WARN) if alert is not None else (text, STALE)


def config_host(warning: str, config_hosts: tuple[str, ...]) -> str:
    """The host a config warning is about ('' when none can be told), for the host filter."""
    head = warning.split(":", 1)[0]
    for host in config_hosts:
        if head == host or f"/{host}/" in head:
            return host
    return ""


def alert_rows(state: AlertState | None, hosts: tuple[str, ...] = ()) -> ViewRows:
    """The Alerts view: every active alert keyed by its key, and the config warnings."""
    out = ViewRows()
    if state is None:
        return out
    for alert in state.active:
        row: tuple[Cell, ...] = (
            SEVERITY_CELLS[alert.severity],
            alert.host,
            alert.kind.value,
            alert.subject,
            alert.detail,
        )
        out.add(alert.key, row, RowTarget(alert.host, alert.network, detail=alert.line()))
    for warning in state.config:
        host = config_host(warning, hosts)
        row = (SEVERITY_CELLS[Severity.WARNING], host, CONFIG_KIND, "repo", warning)
        out.add(f"config|{warning}", row, RowTarget(host, detail=f"config repo: {warning}"))
    return out.sorted(SORT_COLUMNS[View.ALERTS])


class AlertRows:
    """``alert_rows`` with a memory: a poll whose alerts and warnings equal the last poll's
    (the usual case) gets the same ``ViewRows`` back, with no rows rebuilt or sorted."""

    def __init__(self) -> None:
        self._last: tuple[tuple[Alert, ...], tuple[str, ...], tuple[str, ...]] | None = None
        self._rows = ViewRows()

    def rows(self, state: AlertState, hosts: tuple[str, ...]) -> ViewRows:
        inputs = (state.active, state.config, hosts)
        if inputs != self._last:
            self._last = inputs
            self._rows = alert_rows(state, hosts)
        return self._rows
