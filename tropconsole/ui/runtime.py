"""The console process's performance devices, in one opt-in place.

``run_console`` (``tropconsole.cli.console``) installs a ``ConsoleRuntime`` before Textual
is imported and hands it to the app (``ConsoleOptions.runtime``); the app calls its hooks
(first frame, keys, rows shown). Tests and embedders that pass none get CPython's and
Textual's defaults. Both devices are interpreter-wide, which is why they are opt-in. The
figures that keep them are in bench/README.md ("Performance devices").

Frame rate
----------
The console's frame rate: a key is painted within one 60 Hz frame, not two.

Textual paints from a timer that runs while something is dirty and pauses when nothing
is. The first change after a pause is painted at once, but its timer then skips ahead to
the grid point after next: a second change (a key pressed just after the host cards'
tick or a snapshot were painted) waits one to two timer periods. At Textual's default of
60 frames a second that is 17-33 ms; measured headless on 16 host cards, a cursor move
0-12 ms after a paint was painted 19 ms later (median), up to 29 ms.

With the timer at 120 a second the same wait is one to two 8.3 ms periods: median 7.5 ms,
at most 16.4 ms, inside one 60 Hz frame. Frames are only painted when something changed,
so an idle console costs nothing more; a key held down repaints its cursor at most 120
times a second (~1.5 ms each). An operator's own ``TEXTUAL_FPS`` wins.

Garbage collector
-----------------
The console's garbage-collector policy: keep full collections off the keys' path.

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
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # this module runs before Textual is imported: annotations only
    from textual.app import App

FPS = 120


def set_frame_rate(environ: MutableMapping[str, str] = os.environ) -> str:
    """Ask Textual for ``FPS`` frames a second unless ``TEXTUAL_FPS`` is set already; returns
    the ``TEXTUAL_FPS`` Textual gets. Textual reads it once, when ``textual.constants`` is
    first imported: called later (a program that embeds the console and imported Textual
    first), this changes nothing and returns the rate already in force."""
    constants = sys.modules.get("textual.constants")
    if constants is not None:
        return str(constants.MAX_FPS)
    return environ.setdefault("TEXTUAL_FPS", str(FPS))


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


# Seconds after the first frame before the garbage-collector policy freezes what start-up
# built: the freeze (a young collection over ~200 000 objects) holds the interpreter for
# 5-10 ms, so it waits until the first frame has been written out and settled, and it
# still comes before the first poll (``MainScreen`` starts it 0.05 s after that frame).
GC_FREEZE_DELAY = 0.03
# How often the runtime offers the garbage-collector policy a full collection (it runs one
# only when due and no key came for a while: ``GcPolicy.idle``).
GC_IDLE_CHECK = 1.0


class Collector(Protocol):
    """What the runtime asks of a garbage-collector policy (``GcPolicy``)."""

    def started(self) -> None: ...
    def idle(self, last_key: float) -> bool: ...
    def rows_held(self, rows: int) -> None: ...


class ConsoleRuntime:
    """The devices above, installed by the console's entry point and driven by the app."""

    def __init__(self, policy: Collector | None = None) -> None:
        self.policy: Collector = policy if policy is not None else GcPolicy()
        self.last_key = time.monotonic()  # when the operator last pressed a key
        self.fps: str | None = None

    def install(self) -> None:
        """Before Textual is imported: the frame rate, and no collections until the first
        frame (``GcPolicy.starting``)."""
        self.fps = set_frame_rate()
        if isinstance(self.policy, GcPolicy):
            self.policy.starting()

    def uninstall(self) -> None:
        """The console is gone: CPython's own collector policy again."""
        if isinstance(self.policy, GcPolicy):
            self.policy.stopped()

    def mounted(self, app: App[Any]) -> None:
        """The app is mounted: freeze start-up after the first frame, then offer a full
        collection once a second."""
        app.call_after_refresh(app.set_timer, GC_FREEZE_DELAY, self.policy.started)
        app.set_interval(GC_IDLE_CHECK, self._collect_when_idle)

    def key_pressed(self) -> None:
        self.last_key = time.monotonic()

    def rows_shown(self, rows: int) -> None:
        """A snapshot arrived; the console's tables show ``rows`` rows in all."""
        self.policy.rows_held(rows)

    def _collect_when_idle(self) -> None:
        self.policy.idle(self.last_key)
