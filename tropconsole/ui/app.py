"""The console application: it owns the state, and handles what screens and workers post.

The app holds the fleet source, the reservation service (built on first use), the last
snapshot, config and drift. Screens read them through ``ui.console.Console`` and ask for
work with messages (``ui.messages``); the app starts it: polls through the poll controller
(``ui.polling``), writes through ``ui.workers.run_write`` with the work in ``ui.writes``.
Every blocking call runs in a thread worker whose result comes back as a message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.command import Provider
from textual.worker import Worker, WorkerState

from tropconsole.core.errors import ReadOnlyError, TropError
from tropconsole.ui import writes
from tropconsole.ui.messages import (
    CommitReverted,
    ExportRequested,
    LeasesExported,
    NetworkSynced,
    PauseRequested,
    PollFailed,
    RefreshRequested,
    RemovalRequested,
    ReservationRemoved,
    ReservationRequested,
    ReservationSaved,
    RevertRequested,
    SnapshotReady,
    SyncRequested,
    WriteFailed,
)
from tropconsole.ui.notices import AlertNotices, WriterWaiting
from tropconsole.ui.options import ConsoleOptions
from tropconsole.ui.polling import POLL_GROUP, PollController
from tropconsole.ui.screens.main import MainScreen
from tropconsole.ui.workers import WRITE_GROUP, run_write

if TYPE_CHECKING:
    from tropconsole.core.live import FleetSnapshot
    from tropconsole.core.models import FleetConfig
    from tropconsole.core.ports import FleetSource
    from tropconsole.core.service import ReservationService
    from tropconsole.view.alerts import AlertState
    from tropconsole.view.drift import DriftState

__all__ = ["ConsoleOptions", "ServiceFactory", "TropConsole", "create_app"]

# Builds the reservation service when it is first needed (the first poll reads the config
# repo through it, in the poll worker): importing and building it is not start-up work.
ServiceFactory = Callable[[], "ReservationService"]


def load_css() -> str:
    """Every ``*.tcss`` of the installed ``tropconsole.styles`` package, in name order, so
    an installed wheel is styled like a checkout. Read from the package's directory:
    importlib.resources (and the zipfile module it brings) is only needed for a zipped
    install, and costs start-up time otherwise."""
    import tropconsole.styles as styles

    folder = Path(next(iter(styles.__path__), ""))
    if folder.is_dir():
        files = sorted(folder.glob("*.tcss"))
        return "\n".join(f.read_text(encoding="utf-8") for f in files)
    from importlib import resources

    package = resources.files("tropconsole.styles")
    names = sorted(p.name for p in package.iterdir() if p.name.endswith(".tcss"))
    return "\n".join(package.joinpath(name).read_text(encoding="utf-8") for name in names)


def _console_commands() -> type[Provider]:
    from tropconsole.ui.commands import ConsoleCommands  # the palette: when first opened

    return ConsoleCommands


class TropConsole(App[int]):
    TITLE = "tropconsole"
    COMMANDS = App.COMMANDS | {_console_commands}
    CSS = load_css()
    BINDINGS = [
        Binding("q", "quit", "Quit", tooltip="Quit tropconsole", id="quit"),
        Binding(
            "question_mark",
            "help",
            "Help",
            key_display="?",
            tooltip="Help: every key on this screen",
            id="help",
        ),
    ]

    def __init__(
        self,
        source: FleetSource,
        service: ReservationService | ServiceFactory | None,
        options: ConsoleOptions | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.options = options if options is not None else ConsoleOptions()
        self._service: ReservationService | None = None
        self._service_factory: ServiceFactory | None = None
        if callable(service):
            self._service_factory = service
        elif service is not None:
            self._service = self._checked(service)
        self._service_lock = threading.Lock()
        self.poller = PollController(
            self, source, lambda: self.service, lambda: self.config, self.options
        )
        self.polls = 0
        self.snapshot: FleetSnapshot | None = None
        self.config: FleetConfig | None = None
        self.config_error: str | None = None
        self.drift: DriftState | None = None
        self.alerts: AlertState | None = None
        self._notices = AlertNotices(self)

    # --- options and state, as screens read them (``ui.console.Console``) -------------

    @property
    def read_only(self) -> bool:
        return self.options.read_only

    @property
    def demo(self) -> bool:
        return self.options.demo

    @property
    def cursor_blink(self) -> bool:
        return self.options.cursor_blink

    @property
    def refresh_interval(self) -> float:
        return self.options.refresh_interval

    @property
    def clock(self) -> Callable[[], float]:
        return self.options.clock

    @property
    def paused(self) -> bool:
        return self.poller.paused

    @property
    def polling(self) -> bool:
        return self.poller.polling

    @property
    def service(self) -> ReservationService | None:
        """The reservation service, built on first use (from any thread, once)."""
        if self._service is None and self._service_factory is not None:
            with self._service_lock:
                if self._service is None:
                    self._service = self._checked(self._service_factory())
        return self._service

    def _checked(self, service: ReservationService) -> ReservationService:
        if self.read_only and not getattr(service, "read_only", False):
            raise ValueError("a read-only console needs a read-only ReservationService")
        service.on_wait = WriterWaiting(self)  # "another tropconsole is writing…; waiting"
        return service

    # --- lifecycle -------------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(MainScreen())  # its on_mount starts the first poll
        if self.options.runtime is not None:
            self.options.runtime.mounted(self)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and self.options.runtime is not None:
            self.options.runtime.key_pressed()
        await super().on_event(event)

    def on_unmount(self) -> None:
        with contextlib.suppress(Exception):  # closing on the way out must not mask the exit
            self.source.close()

    @property
    def main(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    # --- polling ---------------------------------------------------------------------

    def refresh_now(self) -> bool:
        """Start a poll unless one is running (polls never overlap). True if started."""
        return self.poller.refresh_now()

    def toggle_pause(self) -> bool:
        paused = self.poller.toggle_pause()
        if self.main is not None:
            self.main.show_status()
        return paused

    def on_refresh_requested(self, message: RefreshRequested) -> None:
        if not self.refresh_now() and message.by_key:
            self.notify("a refresh is already running", timeout=2)

    def on_pause_requested(self, _message: PauseRequested) -> None:
        paused = self.toggle_pause()
        self.notify("refresh PAUSED (p resumes)" if paused else "refresh resumed", timeout=2)

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        main = self.main
        if self.options.runtime is not None and main is not None:
            # The rows on screen now: their cells were made by earlier snapshots (and by
            # filling a view when it was first shown) and will mostly outlive this one.
            self.options.runtime.rows_shown(main.rows_shown)
        self.polls += 1
        self.snapshot = message.snapshot
        if message.config is not None or message.config_error is not None:
            if message.config_error and message.config_error != self.config_error:
                self.notify(message.config_error, title="Config repo", severity="error")
            self.config = message.config or self.config
            self.config_error = message.config_error
        self.drift = message.drift
        self.alerts = message.alerts
        self._notices.show(message.alerts)
        if main is not None:
            main.show_fleet(message.rows)
        self.poller.ended()

    def on_poll_failed(self, message: PollFailed) -> None:
        self.notify(message.error, title="Refresh failed", severity="error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if worker.group == POLL_GROUP and event.state is not WorkerState.SUCCESS:
            self.poller.ended()
        if event.state is WorkerState.ERROR:
            err = worker.error
            text = err.message if isinstance(err, TropError) else f"{type(err).__name__}: {err}"
            if worker.group == POLL_GROUP:
                self.post_message(PollFailed(text))
            elif worker.group == WRITE_GROUP:
                self.post_message(WriteFailed(worker.name or "write", text))

    # --- writes: the one door ------------------------------------------------------

    def refuse(self, action: str) -> None:
        """Say no to a write in read-only mode, with the core's own words."""
        self.notify(ReadOnlyError(action).message, title="READ-ONLY", severity="warning")

    def _writable(self, action: str) -> ReservationService | None:
        """The service for a write, or None after saying why not."""
        if self.read_only:
            self.refuse(action)
            return None
        service = self.service  # builds it if need be
        if service is None:
            self.notify("no config repo: reservations cannot be written", severity="error")
        return service

    def on_reservation_requested(self, message: ReservationRequested) -> None:
        service = self._writable("adding a reservation")
        if service is not None:
            run_write(self, "add reservation", partial(writes.add_reservation, service, message))

    def on_removal_requested(self, message: RemovalRequested) -> None:
        service = self._writable("removing a reservation")
        if service is not None:
            work = partial(writes.remove_reservation, service, message)
            run_write(self, "remove reservation", work)

    def on_revert_requested(self, message: RevertRequested) -> None:
        service = self._writable("reverting a reservation commit")
        if service is not None:
            run_write(self, "revert commit", partial(writes.revert_commit, service, message))

    def on_sync_requested(self, message: SyncRequested) -> None:
        where = f"{message.host}/{message.network}"
        if self.read_only:
            self.refuse(f"sync of {where}")
            return
        work = partial(writes.sync_network, self.source, message, read_only=self.read_only)
        run_write(self, "sync network", work, action=f"sync {where}")

    def on_export_requested(self, message: ExportRequested) -> None:
        work = partial(writes.export_leases, self.snapshot, self.config, message)
        run_write(self, "export leases", work, group="export")

    def on_reservation_saved(self, message: ReservationSaved) -> None:
        self.notify(message.summary, title="Reservation committed", timeout=10)
        self.refresh_now()

    def on_reservation_removed(self, message: ReservationRemoved) -> None:
        self.notify(message.summary, title="Reservation removed", timeout=10)
        self.refresh_now()

    def on_commit_reverted(self, message: CommitReverted) -> None:
        self.notify(message.summary, title="Commit reverted", timeout=10)
        self.refresh_now()

    def on_network_synced(self, message: NetworkSynced) -> None:
        if message.ok:
            self.notify(message.summary, title="Network synced", timeout=10)
        else:
            self.notify(message.summary, title="Sync failed", severity="error", timeout=20)
        self.refresh_now()

    def on_leases_exported(self, message: LeasesExported) -> None:
        text = f"{message.count} leases written to {message.path}"
        self.notify(text, title="Leases exported")

    def on_write_failed(self, message: WriteFailed) -> None:
        self.notify(
            message.error, title=f"Could not {message.action}", severity="error", timeout=15
        )

    # --- app-wide actions --------------------------------------------------------------

    def action_help(self) -> None:
        from tropconsole.ui.screens.help import HelpScreen  # on demand, like the palette

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))


def create_app(
    source: FleetSource,
    service: ReservationService | ServiceFactory | None,
    options: ConsoleOptions | None = None,
    **fields: Any,
) -> TropConsole:
    """Build the console from ``options``, with any of its fields given as keywords
    (``create_app(source, service, read_only=True, autopoll=False)``).

    ``service`` may be a factory: it is then called on first use, off the event loop.
    Either way a read-only console refuses a writable service (``ValueError``)."""
    return TropConsole(source, service, dataclasses.replace(options or ConsoleOptions(), **fields))
