"""How a console is built: the one set of options ``create_app`` and ``TropConsole`` share."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tropconsole.core.alerts import AlertPolicy
    from tropconsole.ui.runtime import ConsoleRuntime

DEFAULT_REFRESH = 5.0


@dataclass(slots=True)
class ConsoleOptions:
    """``read_only`` is the inventory's (or ``--read-only``); tests pass a frozen
    ``clock``, ``cursor_blink=False`` and ``autopoll=False`` (only explicit refreshes) so
    screens are stable. ``runtime`` tunes the process (garbage collector, frame rate:
    ``tropconsole.ui.runtime``): only the console's own process passes one.
    ``alert_policy`` holds the thresholds of the console's alerts (``core.alerts``)."""

    read_only: bool = False
    refresh_interval: float = DEFAULT_REFRESH
    clock: Callable[[], float] = time.time
    demo: bool = False
    cursor_blink: bool = True
    autopoll: bool = True
    runtime: ConsoleRuntime | None = None
    alert_policy: AlertPolicy | None = None  # the inventory's [alerts]; None: the defaults
