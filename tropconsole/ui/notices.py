"""Notifications the console raises by itself: new alerts, config warnings, a writer waiting.

Each new alert (a key the previous poll did not have: ``AlertTracker.new``) and each
config repo warning is notified once; the Alerts view (``8``) keeps listing them while
they last. A burst (a fleet's first poll, a pool of expiring leases) shows the first few
and one line for the rest, and one alert on many hosts (or many leases) is one notice
naming them, so the screen is not buried. ``WriterWaiting`` is the
``on_wait`` the console gives its ``ReservationService``: the write runs in a worker
thread, so the notice is handed to the event loop with ``call_from_thread``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel

    from tropconsole.core.alerts import Alert
    from tropconsole.view.alerts import AlertState

MAX_NOTICES = 4  # per poll; the rest are counted in one more notice

# core.findings.Severity values in Textual's words (not imported: start-up stays light).
NOTIFY_SEVERITY: dict[str, SeverityLevel] = {
    "error": "error",
    "warning": "warning",
    "info": "information",
}


class AlertNotices:
    """Remembers the config warnings already told (alerts: the tracker knows what is new)."""

    def __init__(self, app: App[int]) -> None:
        self._app = app
        self._told_config: set[str] = set()

    def show(self, state: AlertState | None) -> None:
        if state is None:
            return
        app = self._app
        config = [w for w in state.config if w not in self._told_config]
        self._told_config = set(state.config)  # a warning that goes and comes back is new
        shown = 0
        for warning in config:  # first: rare, and nothing else says them
            if shown == MAX_NOTICES:
                break
            app.notify(warning, title="Config repo warning", severity="warning", timeout=10)
            shown += 1
        rest = 0
        for group in _by_kind(state.new):
            if shown == MAX_NOTICES:
                rest += len(group)
                continue
            first = group[0]
            severity = NOTIFY_SEVERITY.get(first.severity.value, "warning")
            if len(group) == 1:
                title, text = f"{first.host}: {first.kind.value}", first.detail
            else:  # the same alert on many hosts (or leases): one notice names them
                title = f"{first.kind.value}: {len(group)} alerts"
                names = ", ".join(dict.fromkeys(f"{a.host} {a.subject}" for a in group[:6]))
                more = f" and {len(group) - 6} more" if len(group) > 6 else ""
                text = f"{names}{more}: see Alerts (8)"
            app.notify(text, title=title, severity=severity, timeout=10)
            shown += 1
        rest += len(config) - min(len(config), MAX_NOTICES)
        if rest > 0:
            app.notify(
                f"and {rest} more new alert{'s' if rest > 1 else ''}: see Alerts (8)",
                severity="warning",
                timeout=10,
            )


def _by_kind(alerts: tuple[Alert, ...]) -> list[list[Alert]]:
    """New alerts grouped by kind, in the tracker's order (worst first)."""
    groups: dict[str, list[Alert]] = {}
    for alert in alerts:
        groups.setdefault(alert.kind.value, []).append(alert)
    return list(groups.values())


class WriterWaiting:
    """``ReservationService.on_wait`` for the console: one notice when a write waits for
    another tropconsole's repo lock. Safe from the write's worker thread."""

    def __init__(self, app: App[int]) -> None:
        self._app = app

    def __call__(self, line: str) -> None:
        app = self._app
        if threading.get_ident() == app._thread_id:  # the event loop's own thread
            app.notify(line, title="Repo busy", severity="warning", timeout=10)
        else:
            app.call_from_thread(
                app.notify, line, title="Repo busy", severity="warning", timeout=10
            )
