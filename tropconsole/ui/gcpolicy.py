"""The console's garbage-collector policy: keep full collections off the keys' path.

CPython's cyclic collector stops every thread while it traces all the objects it tracks.
A console showing 10 000 leases holds several hundred thousand of them (each lease its
models, each row its tuple and target, and, when the tables were Textual DataTables, a
Rich ``Text`` per cell), and with the default settings a full collection came every few
refreshes and took ~0.2 s: a key pressed then waited that long (``bench/scale.py``).

Start-up is the first place it shows: importing Textual and building the screen allocate
~200 000 objects, and the collector ran ~140 times during it (one full collection of
~40 ms among them), ~80 ms of a 400 ms budget spent proving that nothing was garbage. So
the collector is off from the start of ``run_console`` until the first frame is painted.

Almost all of those objects live as long as the console: the modules, classes and
stylesheet loaded at start-up, and the rows of the tables (a refresh replaces only the
cells that changed). ``gc.freeze()`` moves every object tracked so far into the permanent
generation, which no collection traces; objects in it are still freed by reference
counting as usual. So the policy freezes

* once after the first frame (everything start-up built), and
* whenever the rows its tables show have doubled since the last freeze (from
  ``MIN_ROWS`` up; checked when a snapshot arrives), i.e. after the first big snapshots
  and views filled: a bounded number of times, about log2(rows) in a whole session.

The cost of freezing: cyclic garbage that exists at that moment is never collected. It is
a handful of objects at those few moments, not a growing leak. Collections keep running for
everything made later, and the young generation's threshold is raised from 700 to
``YOUNG`` allocations so a refresh that builds thousands of rows triggers a few
collections instead of dozens, each still a fraction of a millisecond per thousand
objects.

A full collection still traces everything made since the last freeze; with 10 000
leases refreshed every second that is ~40 ms (``bench/scale.py``), and CPython starts one
whenever enough objects have survived, in the middle of whatever the console was doing:
once in a while a key waited behind it. So once start-up is over, automatic full
collections are off (the oldest generation's threshold is out of reach) and the console
asks for one itself, from a once-a-second timer (``idle``): at most one every
``FULL_EVERY`` seconds, when no key has come for ``IDLE`` seconds, and after
``FULL_OVERDUE`` seconds one runs even while keys keep coming, so cyclic garbage that
reached the oldest generation is still freed within minutes. Young collections run as
usual.

It is interpreter-wide, so only the console's own process installs it (``run_console``
and the benchmarks that measure the console as it runs); tests do not.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

MIN_ROWS = 2_000
YOUNG = 10_000
NO_AUTO_FULL = 1_000_000_000  # the oldest generation's threshold: automatic full never comes
FULL_EVERY = 60.0  # seconds: at most one full collection a minute ...
IDLE = 2.0  # ... when no key has come for this long
FULL_OVERDUE = 600.0  # seconds: then one runs whatever the keys do


class GcPolicy:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.frozen_at_rows = 0
        self.freezes = 0
        self._clock = clock
        self._thresholds: tuple[int, int, int] | None = None  # as before ``started``
        self.last_full = 0.0

    def starting(self) -> None:
        """Start-up begins: no collections until ``started`` (or ``stopped``)."""
        gc.disable()

    def started(self) -> None:
        """Start-up is over (the first frame is painted): freeze what it built."""
        if self._thresholds is None:
            gen0, gen1, gen2 = gc.get_threshold()
            self._thresholds = (gen0, gen1, gen2)
            gc.set_threshold(max(gen0, YOUNG), gen1, NO_AUTO_FULL)
        self._freeze()
        self.last_full = self._clock()
        gc.enable()

    def stopped(self) -> None:
        """The console is gone (or never started): collect as usual again."""
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
        gc.enable()

    def idle(self, last_key: float) -> bool:
        """Called about once a second with the time of the last key (the policy's clock):
        runs the full collection when it is due and the keys are quiet, or overdue."""
        if self._thresholds is None:  # not started, or stopped: CPython's own policy
            return False
        now = self._clock()
        since = now - self.last_full
        if since >= FULL_OVERDUE or (since >= FULL_EVERY and now - last_key >= IDLE):
            gc.collect()
            self.last_full = self._clock()
            return True
        return False

    def rows_held(self, rows: int) -> None:
        """The console's tables now show ``rows`` rows in all."""
        if rows >= max(MIN_ROWS, 2 * self.frozen_at_rows):
            self.frozen_at_rows = rows
            self._freeze()

    def _freeze(self) -> None:
        gc.collect(1)  # the young generations first: their garbage is not frozen
        gc.freeze()
        self.freezes += 1
