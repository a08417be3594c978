"""Refresh slots: a few warm refreshes at a time, and nobody waits more than the slot wait."""

from __future__ import annotations

import dataclasses
import os
import threading
import time

import pytest

from tropconsole.remote.slots import RefreshSlots, default_slots


def run_all(slots: RefreshSlots, n: int, hold: threading.Event | float) -> list[bool]:
    got: list[bool] = []

    def one() -> None:
        with slots.slot() as ok:
            got.append(ok)
            if isinstance(hold, threading.Event):
                hold.wait(10)
            else:
                time.sleep(hold)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return got


def test_no_more_than_the_slots_run_at_once() -> None:
    slots = RefreshSlots(2, wait=10.0)
    got = run_all(slots, 8, 0.05)
    assert got == [True] * 8
    assert slots.peak == 2 and slots.overflows == 0 and slots.running == 0


def test_a_refresh_behind_hung_ones_runs_anyway_after_the_wait() -> None:
    slots = RefreshSlots(1, wait=0.2)
    hung = threading.Event()
    holder = threading.Thread(target=run_all, args=(slots, 1, hung))
    holder.start()
    while slots.running == 0:
        time.sleep(0.01)
    start = time.monotonic()
    with slots.slot() as ok:
        waited = time.monotonic() - start
        assert ok is False  # ran without a slot
        assert slots.running == 2 and slots.held == 1
    assert 0.15 <= waited < 5
    assert slots.overflows == 1
    hung.set()
    holder.join(10)
    # the hung refresh gave its slot back; the next one gets it at once
    with slots.slot() as ok:
        assert ok is True
    assert slots.running == 0 and slots.held == 0 and slots.peak == 2


def test_slots_default_to_two_per_usable_core_and_must_be_positive() -> None:
    cores = len(os.sched_getaffinity(0))
    assert default_slots() == max(2, 2 * cores)
    assert RefreshSlots().slots == default_slots()
    with pytest.raises(ValueError, match="at least 1"):
        RefreshSlots(0)


def test_the_poller_takes_its_slots_from_the_inventory_unless_told() -> None:
    from tropconsole.remote.inventory import HostEntry, Inventory
    from tropconsole.remote.poller import FleetPoller

    inv = Inventory(path="", hosts=(HostEntry("a", "198.18.0.1"),), refresh_slots=7)
    # nothing connects until the first poll
    with FleetPoller(inv) as poller:
        assert poller.slots.slots == 7
    with FleetPoller(inv, refresh_slots=2) as poller:
        assert poller.slots.slots == 2
    with FleetPoller(dataclasses.replace(inv, refresh_slots=None), timeout=0.4) as poller:
        assert poller.slots.slots == default_slots()
        assert poller.slots.wait == 0.1  # a quarter of a short timeout
