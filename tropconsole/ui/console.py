"""What screens, modals and widgets may read from the console app, and ask of it.

They see the app through this protocol (``console_of``), never through ``ui.app``: the
app imports the screens, so the screens importing the app back would make a loop. Asking
for work (a refresh, a write) is a message (``ui.messages``), posted to the app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from tropconsole.core.live import FleetSnapshot
    from tropconsole.core.models import FleetConfig
    from tropconsole.core.ports import FleetSource
    from tropconsole.core.service import ReservationService
    from tropconsole.view.alerts import AlertState
    from tropconsole.view.drift import DriftState


class Console(Protocol):
    """The app's state as the screens read it (``TropConsole`` implements it)."""

    @property
    def source(self) -> FleetSource: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def demo(self) -> bool: ...
    @property
    def cursor_blink(self) -> bool: ...
    @property
    def refresh_interval(self) -> float: ...
    @property
    def clock(self) -> Callable[[], float]: ...
    @property
    def paused(self) -> bool: ...
    @property
    def snapshot(self) -> FleetSnapshot | None: ...
    @property
    def config(self) -> FleetConfig | None: ...
    @property
    def config_error(self) -> str | None: ...
    @property
    def drift(self) -> DriftState | None: ...
    @property
    def alerts(self) -> AlertState | None: ...
    @property
    def service(self) -> ReservationService | None:
        """Built on first use: call it from a worker, not the event loop."""
        ...

    def refuse(self, action: str) -> None:
        """Say no to a write in read-only mode, with the core's own words."""
        ...


def console_of(node: DOMNode) -> Console:
    """The console app ``node`` runs in."""
    return cast("Console", node.app)
