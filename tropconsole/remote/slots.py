"""How many warm host refreshes run at once: a few, never enough to stall anyone.

A warm refresh of a host on the same network is CPU work in this process, not waiting:
paramiko's transport thread decrypts every packet, the libvirt tunnel's thread copies
every RPC, the worker parses what comes back, all under one interpreter lock. Started all
at once, sixteen of them put some fifty threads in the run queue and on the lock together;
the console's event loop is one more contender, and a key pressed then waited behind them
(``bench/scale.py``: with 16 lab hosts on 2 cores, the event loop waited up to 31 ms
for a core and keys up to 45 ms to be painted). Started a few at a time the same work takes
about as long (it was CPU-bound anyway) and the loop finds a core and the lock at once.

So a refresh takes a slot first, at most ``slots`` of them at once (the inventory's
``refresh_slots``, default two per core this process may run on; a fleet far away, whose
refreshes mostly wait on the network, wants more). A refresh never waits more than
``wait`` seconds for one: after that it runs without a slot. A host that hangs therefore
holds only its own slot, and even when every slot is held by hung hosts the others are
delayed by ``wait``, not stalled. Connecting (the first refresh, a reconnect) does not
take a slot: the cold fleet snapshot is wanted as fast as the machine allows.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

SLOT_WAIT = 0.25  # seconds a refresh waits for a slot before running anyway


def default_slots() -> int:
    """Two per core this process may run on (its CPU affinity, not the machine's count)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(2, 2 * cores)


class RefreshSlots:
    """A semaphore whose wait is bounded, with counters for tests and benchmarks."""

    def __init__(self, slots: int | None = None, wait: float = SLOT_WAIT) -> None:
        self.slots = default_slots() if slots is None else slots
        if self.slots < 1:
            raise ValueError(f"refresh slots must be at least 1, got {self.slots}")
        self.wait = wait
        self._free = threading.BoundedSemaphore(self.slots)
        self._lock = threading.Lock()
        self.running = 0  # refreshes inside, with or without a slot
        self.held = 0  # of which holding a slot
        self.peak = 0  # most ever inside at once
        self.overflows = 0  # refreshes that waited ``wait`` and ran without a slot

    @contextlib.contextmanager
    def slot(self) -> Iterator[bool]:
        """Hold a slot for the ``with`` body; yields False if it runs without one."""
        got = self._free.acquire(timeout=self.wait)
        with self._lock:
            self.running += 1
            self.held += got
            self.peak = max(self.peak, self.running)
            if not got:
                self.overflows += 1
        try:
            yield got
        finally:
            with self._lock:
                self.running -= 1
                self.held -= got
            if got:
                self._free.release()
