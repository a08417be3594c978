"""One sick host never stalls the fleet: a frozen sshd is abandoned at the timeout, a killed
one goes stale with its last good data, and both come back without a restart."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from typing import Any

from livekit import kill_sshd, lab_inventory, poll_until, quiet_host, sshd_frozen

from tropconsole.core.live import FleetSnapshot, HostState
from tropconsole.remote.poller import FleetPoller

TIMEOUT = 8.0  # above the inventory default: the lab machine is often busy


def healthy_others(snap: FleetSnapshot, victim: str, execs: dict[str, int]) -> None:
    """Every other host answered this poll with exactly one more exec, and no reconnect."""
    for h in snap.hosts:
        if h.host == victim:
            continue
        assert h.state == HostState.OK, f"{h.host}: {h.error}"
        assert h.counters.execs == execs[h.host] + 1
        execs[h.host] = h.counters.execs


def test_a_sick_host_goes_stale_alone_and_recovers(lab: Any) -> None:
    victim = quiet_host(lab)
    inv = lab_inventory(lab)
    with FleetPoller(inv, timeout=TIMEOUT, backoff_base=0.5, backoff_cap=2.0) as poller:
        for h in lab.hosts:  # connecting costs two handshakes: may take more than TIMEOUT
            first = poll_until(poller, h.name, HostState.OK, timeout=20)
        first = poller.poll()
        assert all(h.state == HostState.OK for h in first.hosts), first
        execs = {h.host: h.counters.execs for h in first.hosts}
        handshakes = {h.host: h.counters.handshakes for h in first.hosts}
        good = first.host(victim.name).snapshot

        # 1. frozen: TCP is up but nothing answers; poll() still returns on time
        with sshd_frozen(victim):
            start = time.monotonic()
            snap = poller.poll()
            elapsed = time.monotonic() - start
            assert elapsed < TIMEOUT + 2.0, f"poll() blocked {elapsed:.1f}s on a frozen host"
            sick = snap.host(victim.name)
            assert sick.state == HostState.STALE and "no answer" in sick.error
            assert sick.snapshot == good  # last good data kept
            healthy_others(snap, victim.name, execs)
            # the abandoned refresh is not waited for again: the others keep their pace
            start = time.monotonic()
            snap = poller.poll()
            elapsed = time.monotonic() - start
            assert elapsed < TIMEOUT / 2, f"poll() waited {elapsed:.1f}s again for {victim.name}"
            assert snap.host(victim.name).state == HostState.STALE  # still waiting, or failed
            healthy_others(snap, victim.name, execs)

        # thawed: the abandoned refresh ends on its own and the same connection serves again
        snap = poll_until(poller, victim.name, HostState.OK, timeout=10)
        assert snap.host(victim.name).counters.handshakes == handshakes[victim.name]
        good = snap.host(victim.name).snapshot
        execs = {h.host: h.counters.execs for h in snap.hosts}

        # 2. killed with its sessions: stale with the error and a growing age, others fine
        kill_sshd(lab, victim)
        try:
            deadline = time.monotonic() + 15
            while True:
                snap = poller.poll()
                healthy_others(snap, victim.name, execs)
                sick = snap.host(victim.name)
                if sick.state == HostState.STALE and "no answer" not in (sick.error or ""):
                    break
                assert time.monotonic() < deadline, sick
            assert sick.snapshot == good
            assert "ssh" in sick.error and not sick.error.startswith(victim.name)
            age = sick.age(snap.taken_at)
            time.sleep(0.5)
            later = poller.poll()
            healthy_others(later, victim.name, execs)
            assert later.host(victim.name).state == HostState.STALE
            assert later.host(victim.name).age(later.taken_at) > age
        finally:
            lab.sshd_start(victim)

        # 3. back: reconnects on its own (backoff), only the victim opened new connections
        snap = poll_until(poller, victim.name, HostState.OK, timeout=20)
        back = snap.host(victim.name)
        assert back.error is None and back.snapshot.taken_at > good.taken_at
        assert back.counters.handshakes > handshakes[victim.name]
        for h in snap.hosts:
            if h.host != victim.name:
                assert h.counters.handshakes == handshakes[h.host]


def test_a_host_hung_in_the_only_refresh_slot_delays_the_others_by_the_slot_wait_only(
    lab: Any,
) -> None:
    """Warm refreshes take a slot (remote.slots); with one slot they run one at a time, and a
    frozen host that keeps it makes the others wait the slot wait, not its timeout."""
    victim = quiet_host(lab)
    inv = lab_inventory(lab)
    first = (inv.host(victim.name),)  # submitted first, so it takes the slot before it hangs
    inv = dataclasses.replace(inv, hosts=first + tuple(e for e in inv.hosts if e not in first))
    with FleetPoller(inv, timeout=TIMEOUT, refresh_slots=1) as poller:
        for h in lab.hosts:
            poll_until(poller, h.name, HostState.OK, timeout=20)
        execs = {h.host: h.counters.execs for h in poller.poll().hosts}
        for _ in range(3):
            snap = poller.poll()
            healthy_others(snap, victim.name, execs)
            assert snap.host(victim.name).state == HostState.OK
            execs[victim.name] = snap.host(victim.name).counters.execs
        # one at a time, but for those that waited out the slot wait on a busy machine
        assert poller.slots.peak <= 1 + poller.slots.overflows
        with sshd_frozen(victim):
            # the victim's refresh starts first, takes the slot and hangs in it
            before = poller.slots.overflows
            start = time.time()  # the poller's clock: snapshots are stamped with it
            snap = poller.poll()
            healthy_others(snap, victim.name, execs)
            assert snap.host(victim.name).state == HostState.STALE
            # the others ran without the slot, a slot wait later, not a timeout later
            assert poller.slots.overflows > before
            done = max(h.snapshot.taken_at for h in snap.hosts if h.host != victim.name)
            assert done - start < TIMEOUT / 2, f"others done {done - start:.1f}s after the start"
        poll_until(poller, victim.name, HostState.OK, timeout=20)


def test_closing_does_not_wait_for_an_abandoned_refresh(lab: Any) -> None:
    """Quitting the console with a host that stopped answering is immediate: a refresh
    abandoned at its timeout (here stuck in a libvirt call: libvirtd is frozen, and only
    libvirt's keepalive will end it, ~15 s later) is not given another timeout."""
    victim = quiet_host(lab)
    inv = lab_inventory(lab)
    one = dataclasses.replace(inv, hosts=(inv.host(victim.name),))
    libvirtd = json.loads((lab.dir / "lab.json").read_text())["hosts"][victim.index - 1]
    pid = int(libvirtd["pids"]["libvirtd"])
    poller = FleetPoller(one, timeout=TIMEOUT)
    try:
        assert poll_until(poller, victim.name, HostState.OK, timeout=20)
        os.kill(pid, signal.SIGSTOP)
        try:
            snap = poller.poll()
            assert "no answer" in (snap.host(victim.name).error or "")
            start = time.monotonic()
            poller.close()
            elapsed = time.monotonic() - start
        finally:
            os.kill(pid, signal.SIGCONT)
    finally:
        poller.close()
    assert elapsed < TIMEOUT / 2, f"close() waited {elapsed:.1f}s for an abandoned refresh"
