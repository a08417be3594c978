"""The console's frame rate: a key is painted within one 60 Hz frame, not two.

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
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

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
