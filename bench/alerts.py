"""The console's alert tracker on the scale fleet: ``python -m bench.alerts``.

``AlertTracker.update`` runs in the console's poll worker on every refresh. This times it
on ``bench.synthetic``'s 16 hosts / 10 000 leases, cold (first refresh) and warm (equal,
new objects every refresh, as the poller hands them over), twice: the synthetic MACs as
they are (outside every host's scheme: each lease is a ``lease-foreign-mac`` alert) and
rewritten into each host's prefix (nothing alerts). Prints one line each.
"""

from __future__ import annotations

import dataclasses
import statistics
import time

from bench.synthetic import fleet
from tropconsole.core.alerts import AlertTracker, host_schemes
from tropconsole.core.live import FleetSnapshot

NOW = 1_800_000_000.0


def renewed(snap: FleetSnapshot) -> FleetSnapshot:
    """Equal snapshot, new objects."""
    hosts = []
    for h in snap.hosts:
        assert h.snapshot is not None
        leases = tuple(dataclasses.replace(lease) for lease in h.snapshot.leases)
        hosts.append(
            dataclasses.replace(h, snapshot=dataclasses.replace(h.snapshot, leases=leases))
        )
    return dataclasses.replace(snap, hosts=tuple(hosts))


def in_scheme(snap: FleetSnapshot) -> FleetSnapshot:
    schemes = host_schemes(snap)
    hosts = []
    for h in snap.hosts:
        assert h.snapshot is not None
        pre = schemes[h.host].mac_prefix
        leases = tuple(
            dataclasses.replace(lease, mac=f"{pre}:{i & 255:02x}")
            for i, lease in enumerate(h.snapshot.leases)
        )
        hosts.append(
            dataclasses.replace(h, snapshot=dataclasses.replace(h.snapshot, leases=leases))
        )
    return dataclasses.replace(snap, hosts=tuple(hosts))


def measure(label: str, base: FleetSnapshot, rounds: int = 12) -> str:
    snaps = [renewed(base) for _ in range(rounds)]
    cold = []
    for snap in snaps[:5]:
        tracker = AlertTracker()
        start = time.perf_counter()
        tracker.update(snap)
        cold.append((time.perf_counter() - start) * 1000)
    tracker = AlertTracker()
    tracker.update(snaps[0])
    warm = []
    for snap in snaps[1:]:
        start = time.perf_counter()
        tracker.update(snap)
        warm.append((time.perf_counter() - start) * 1000)
    return (
        f"{label}: cold {statistics.median(cold):.1f} ms, warm {statistics.median(warm):.1f} ms"
        f" (min {min(warm):.1f}), {len(tracker.active)} alerts"
    )


def main() -> None:
    snap = fleet(16, 10_000, NOW)
    print(measure("16 hosts, 10 000 leases, every MAC foreign", snap))
    print(measure("16 hosts, 10 000 leases, MACs in scheme", in_scheme(snap)))


if __name__ == "__main__":
    main()
