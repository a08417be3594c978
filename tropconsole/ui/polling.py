"""The poll controller: one poll at a time, re-armed when it ends (dolphie's shape).

The next poll is armed with ``set_timer`` when the previous one has been shown (or has
failed), not with ``set_interval``: a slow fleet delays only its own next poll, and polls
never overlap. A tick that finds a modal open re-arms without polling, so the table under
a form does not move. The poll itself runs in a thread worker: the source's ``poll()``,
the config repo read through the service, the drift, the alerts (the console's one
``AlertTracker`` lives in the worker's ``RowBuilder``) and every view's rows (through
``tropconsole.view.build``, imported there: not start-up work).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.screen import ModalScreen

from tropconsole.core.errors import TropError
from tropconsole.ui.messages import SnapshotReady

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

    from tropconsole.core.models import FleetConfig
    from tropconsole.core.ports import FleetSource
    from tropconsole.core.service import ReservationService
    from tropconsole.ui.options import ConsoleOptions
    from tropconsole.view.build import RowBuilder

POLL_GROUP = "poll"


class PollController:
    """Starts, arms and pauses the app's polls. The app tells it when a poll has ended
    (``ended``): its result shown, or its worker failed or was cancelled."""

    def __init__(
        self,
        app: App[int],
        source: FleetSource,
        service: Callable[[], ReservationService | None],
        config: Callable[[], FleetConfig | None],
        options: ConsoleOptions,
    ) -> None:
        self._app = app
        self._source = source
        self._service = service
        self._config = config  # the last config read, when this poll cannot read it
        self._options = options
        self._rows: RowBuilder | None = None  # made and used by the poll worker only
        self._timer: Timer | None = None
        self.paused = False
        self.polling = False

    def refresh_now(self) -> bool:
        """Start a poll unless one is running (polls never overlap). True if started."""
        if self.polling:
            return False
        self._cancel_timer()
        self.polling = True
        self._app.run_worker(
            self._poll, thread=True, exclusive=True, exit_on_error=False, group=POLL_GROUP
        )
        return True

    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        if self.paused:
            self._cancel_timer()
        else:
            self.refresh_now()
        return self.paused

    def ended(self) -> None:
        """A poll ends when its result is shown (or it failed): only then is the next one
        armed. The worker's SUCCESS state can be seen before the snapshot it posted from
        its thread, so SUCCESS alone does not end a poll."""
        self.polling = False
        self._arm()

    def _poll(self) -> None:
        from tropconsole.view.build import RowBuilder  # the row builders: poll-worker work

        if self._rows is None:
            self._rows = RowBuilder(self._options.alert_policy)
        snapshot = self._source.poll()
        config: FleetConfig | None = None
        error: str | None = None
        service = self._service()
        if service is not None:
            try:
                config = service.load()
            except TropError as err:
                error = err.message
        options = self._options
        drift, rows = self._rows.build_poll(
            snapshot, config or self._config(), options.clock(), read_only=options.read_only
        )
        alerts = self._rows.alerts
        self._app.post_message(SnapshotReady(snapshot, config, error, drift, rows, alerts))

    def _arm(self) -> None:
        self._cancel_timer()
        if not self.paused and self._options.autopoll:
            self._timer = self._app.set_timer(
                self._options.refresh_interval, self._tick, name="poll"
            )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        self._timer = None
        app = self._app
        if self.paused or not app.screen_stack:  # paused, or the console is closing
            return
        if isinstance(app.screen, ModalScreen):
            self._arm()  # a form is open: keep the rows under it still
            return
        self.refresh_now()
