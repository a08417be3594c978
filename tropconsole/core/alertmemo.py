"""What ``core.alerts.AlertTracker`` remembers of each host between refreshes.

A host whose leases and networks equal the last refresh's (the poller re-reads them every
time: equal, not the same objects) and whose MAC schemes did not change keeps its pool
stats and the alerts that need no clock; only its expiring leases are looked at again,
found by bisection in the leases sorted by expiry. At 10 000 leases that is one equality
check instead of parsing every address again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tropconsole.core.alerts import Alert, PoolStats
    from tropconsole.core.live import HostSnapshot
    from tropconsole.core.scheme import HostScheme


class HostMemo:
    """One host's last refresh as the tracker judged it: its leases and networks (compared
    by equality: the poller re-reads them every refresh), the schemes, the pool stats and
    the alerts that need no clock, and the leases in order of expiry."""

    def __init__(
        self,
        snap: HostSnapshot,
        schemes: Mapping[str, HostScheme],
        stats: tuple[PoolStats, ...],
        alerts: tuple[Alert, ...],
    ) -> None:
        self.leases, self.networks, self.schemes = snap.leases, snap.networks, dict(schemes)
        self.stats, self.alerts = stats, alerts
        timed = sorted(
            (lease.expiry, i) for i, lease in enumerate(snap.leases) if lease.expiry is not None
        )
        self.expiries = [float(e) for e, _ in timed]
        self.by_expiry = [i for _, i in timed]

    def holds(self, snap: HostSnapshot, schemes: Mapping[str, HostScheme]) -> bool:
        return (
            self.leases == snap.leases
            and self.networks == snap.networks
            and self.schemes == schemes
        )
