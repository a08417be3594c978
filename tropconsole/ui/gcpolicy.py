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

It is interpreter-wide, so only the console's own process installs it (``run_console``
and the benchmarks that measure the console as it runs); tests do not.
"""

from __future__ import annotations

import gc

MIN_ROWS = 2_000
YOUNG = 10_000


class GcPolicy:
    def __init__(self) -> None:
        self.frozen_at_rows = 0
        self.freezes = 0

    def starting(self) -> None:
        """Start-up begins: no collections until ``started`` (or ``stopped``)."""
        gc.disable()

    def started(self) -> None:
        """Start-up is over (the first frame is painted): freeze what it built."""
        gen0, gen1, gen2 = gc.get_threshold()
        gc.set_threshold(max(gen0, YOUNG), gen1, gen2)
        self._freeze()
        gc.enable()

    def stopped(self) -> None:
        """The console is gone (or never started): collect as usual again."""
        gc.enable()

    def rows_held(self, rows: int) -> None:
        """The console's tables now show ``rows`` rows in all."""
        if rows >= max(MIN_ROWS, 2 * self.frozen_at_rows):
            self.frozen_at_rows = rows
            self._freeze()

    def _freeze(self) -> None:
        gc.collect(1)  # the young generations first: their garbage is not frozen
        gc.freeze()
        self.freezes += 1
