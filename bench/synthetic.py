"""Synthetic fleets for the UI sections: many leases without many hosts.

Built from the core's own frozen models, so the console's real row builders, keyed diff
and DataTable do the work; only the data is made up (marked ``source="bench"``).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from tropconsole.core.live import FleetSnapshot, HostSnapshot, HostState, HostStatus
from tropconsole.core.models import Lease


def leases_for(host: str, count: int, index: int, expiry: int) -> tuple[Lease, ...]:
    return tuple(
        Lease(
            host=host,
            network="bench",
            mac=f"52:54:{index:02x}:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}",
            ip=f"10.{index}.{i // 250}.{i % 250 + 2}",
            hostname=f"guest-{index:02d}-{i:04d}",
            expiry=expiry,
            source="bench",
        )
        for i in range(count)
    )


def fleet(hosts: int, total: int, now: float) -> FleetSnapshot:
    per = total // hosts
    expiry = int(now) + 3600
    statuses = []
    for k in range(1, hosts + 1):
        name = f"trop{k:02d}"
        count = per + (1 if k <= total - per * hosts else 0)
        snap = HostSnapshot(host=name, taken_at=now, leases=leases_for(name, count, k, expiry))
        statuses.append(
            HostStatus(host=name, state=HostState.OK, snapshot=snap, last_ok=now, last_attempt=now)
        )
    return FleetSnapshot(taken_at=now, hosts=tuple(statuses))


def rename_leases(fleet_snap: FleetSnapshot, count: int, tag: str) -> FleetSnapshot:
    """The same fleet with ``count`` leases (spread evenly) given a new host name: in the
    Leases view that is exactly ``count`` changed cells."""
    total = len(fleet_snap.leases)
    step = max(1, total // count)
    picked = set(range(0, step * count, step))
    pos = 0
    hosts = []
    for h in fleet_snap.hosts:
        assert h.snapshot is not None
        leases = []
        for lease in h.snapshot.leases:
            if pos in picked:
                lease = dataclasses.replace(lease, hostname=f"{lease.hostname}-{tag}")
            leases.append(lease)
            pos += 1
        hosts.append(
            dataclasses.replace(h, snapshot=dataclasses.replace(h.snapshot, leases=tuple(leases)))
        )
    return dataclasses.replace(fleet_snap, hosts=tuple(hosts))


def readdress_leases(fleet_snap: FleetSnapshot, count: int) -> FleetSnapshot:
    """The same fleet with ``count`` leases (spread evenly) on new, shorter addresses
    (``10.<host>.9.<n>``): ``count`` changed cells, most of them narrower than the widest
    address in the column, as when leases move."""
    total = len(fleet_snap.leases)
    step = max(1, total // count)
    picked = set(range(0, step * count, step))
    pos = 0
    hosts = []
    for k, h in enumerate(fleet_snap.hosts, 1):
        assert h.snapshot is not None
        leases = []
        for lease in h.snapshot.leases:
            if pos in picked:
                lease = dataclasses.replace(lease, ip=f"10.{k}.9.{pos % 200 + 1}")
            leases.append(lease)
            pos += 1
        hosts.append(
            dataclasses.replace(h, snapshot=dataclasses.replace(h.snapshot, leases=tuple(leases)))
        )
    return dataclasses.replace(fleet_snap, hosts=tuple(hosts))


class StaticSource:
    """A ``FleetSource`` that hands out the snapshot it was last given, instantly."""

    read_only = True

    def __init__(self, snap: FleetSnapshot) -> None:
        self.snapshot = snap
        self.polls = 0

    @property
    def host_names(self) -> tuple[str, ...]:
        return tuple(h.host for h in self.snapshot.hosts)

    def poll(self) -> FleetSnapshot:
        self.polls += 1
        return self.snapshot

    def applier(self) -> Any:
        return None

    def sync_applier(self) -> Any:
        return None

    def close(self) -> None:
        pass


class PaddedSource:
    """The real poller, its snapshots padded with synthetic leases up to ``total`` rows, and
    each ``poll()`` timed (the scale section reads ``polls`` afterwards)."""

    read_only = True

    def __init__(self, poller: Any, total: int) -> None:
        self.poller = poller
        names = poller.host_names
        expiry = int(time.time()) + 3600
        per = max(0, total // len(names))
        self._pad = {n: leases_for(n, per, k, expiry) for k, n in enumerate(names, 1)}
        self.polls: list[dict[str, Any]] = []

    @property
    def host_names(self) -> tuple[str, ...]:
        return tuple(self.poller.host_names)

    def poll(self) -> FleetSnapshot:
        t0 = time.monotonic()
        snap = self.poller.poll()
        t1 = time.monotonic()
        hosts = []
        for h in snap.hosts:
            if h.snapshot is not None:
                h = dataclasses.replace(
                    h,
                    snapshot=dataclasses.replace(
                        h.snapshot, leases=h.snapshot.leases + self._pad[h.host]
                    ),
                )
            hosts.append(h)
        self.polls.append(
            {
                "start": t0,
                "seconds": t1 - t0,
                "states": {h.host: h.state.value for h in snap.hosts},
                "taken_at": {
                    h.host: h.snapshot.taken_at if h.snapshot else None for h in snap.hosts
                },
            }
        )
        return dataclasses.replace(snap, hosts=tuple(hosts))

    def applier(self) -> Any:
        return None

    def sync_applier(self) -> Any:
        return None

    def close(self) -> None:
        self.poller.close()
