"""The tracker's memory of unchanged hosts gives the alerts a fresh judgement gives."""

from __future__ import annotations

import dataclasses

from tropconsole.core.alerts import AlertPolicy, AlertTracker
from tropconsole.core.live import FleetSnapshot, HostSnapshot, HostState, HostStatus
from tropconsole.core.models import Lease

T0 = 1_800_000_000.0


def fleet(now: float, leases: tuple[Lease, ...]) -> FleetSnapshot:
    # New, equal objects every refresh, as the poller hands them over.
    leases = tuple(dataclasses.replace(lease) for lease in leases)
    snap = HostSnapshot(host="trop02", taken_at=now, leases=leases)
    return FleetSnapshot(now, (HostStatus("trop02", HostState.OK, snap, None, now),))


def test_unchanged_leases_alert_as_a_fresh_judgement_would_as_time_passes() -> None:
    leases = tuple(
        Lease("trop02", "default", mac, f"192.168.202.{10 + i}", f"g{i}", expiry=expiry)
        for i, (mac, expiry) in enumerate(
            [
                ("52:54:00:02:02:0a", int(T0) + 120),  # inside the 10 min window
                ("52:54:00:02:02:0b", int(T0) + 900),  # enters it after 5 min
                ("52:54:00:02:01:0c", int(T0) + 3600),  # trop01's prefix: foreign
                ("52:54:00:02:02:0d", None),  # no expiry: never
                ("52:54:00:02:02:0e", int(T0) - 60),  # already past
            ]
        )
    )
    remembering = AlertTracker(AlertPolicy())
    judging = AlertTracker(AlertPolicy())
    for step in range(8):
        now = T0 + 120 * step
        judging._memo.clear()  # every refresh judged from nothing
        fresh = judging.update(fleet(now, leases))
        kept = remembering.update(fleet(now, leases))
        assert kept == fresh, step
        assert [a.key for a in remembering.new] == [a.key for a in judging.new]
    expiring = {a.subject for a in remembering.active if a.kind.value == "lease-expiring"}
    assert expiring == {"52:54:00:02:02:0a", "52:54:00:02:02:0b", "52:54:00:02:02:0e"}
    assert any(a.kind.value == "lease-foreign-mac" for a in remembering.active)


def test_a_renewed_lease_stops_alerting_with_the_memory() -> None:
    lease = Lease(
        "trop02", "default", "52:54:00:02:02:0a", "192.168.202.10", "g", expiry=int(T0) + 60
    )
    tracker = AlertTracker(AlertPolicy())
    assert [a.kind.value for a in tracker.update(fleet(T0, (lease,)))] == ["lease-expiring"]
    assert tracker.update(fleet(T0 + 5, (lease,)))  # unchanged: still alerting
    renewed = dataclasses.replace(lease, expiry=int(T0) + 3600)
    assert tracker.update(fleet(T0 + 10, (renewed,))) == ()
