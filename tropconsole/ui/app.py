"""The console application: polling, the one place workers start, and write plumbing.

The app owns the fleet source and the reservation service; screens only ask it for
things. Every blocking call (a poll, a config read, a commit) runs in a thread worker
whose result comes back as a message. Polls never overlap: the next one is armed with
``set_timer`` when the previous one ends, and a tick that finds a modal open re-arms
without polling, so the table under a form does not move.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.command import Provider
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from tropconsole.core.errors import ReadOnlyError, TropError
from tropconsole.ui.drift_actions import DriftAppWork
from tropconsole.ui.messages import (
    PollFailed,
    RemovalRequested,
    ReservationRemoved,
    ReservationRequested,
    ReservationSaved,
    SnapshotReady,
    WriteFailed,
)
from tropconsole.ui.rows import RowBuilder, View

if TYPE_CHECKING:
    from tropconsole.core.live import FleetSnapshot
    from tropconsole.core.models import FleetConfig
    from tropconsole.core.ports import FleetSource
    from tropconsole.core.service import ReservationService, WriteResult
    from tropconsole.ui.drift import DriftState
    from tropconsole.ui.gcpolicy import GcPolicy
    from tropconsole.ui.screens.main import MainScreen

DEFAULT_REFRESH = 5.0

# Seconds after the first frame before the garbage-collector policy freezes what start-up
# built: the freeze (a young collection over ~200 000 objects) holds the interpreter for
# 5-10 ms, so it waits until the first frame has been written out and settled, and it
# still comes before the first poll (``MainScreen`` starts it 0.05 s after that frame).
GC_FREEZE_DELAY = 0.03
# How often the app offers the garbage-collector policy a full collection (it runs one
# only when due and no key came for a while: ``GcPolicy.idle``).
GC_IDLE_CHECK = 1.0

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
    from tropconsole.ui.commands import ConsoleCommands

    return ConsoleCommands


class TropConsole(DriftAppWork, App[int]):
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
        *,
        read_only: bool,
        refresh_interval: float = DEFAULT_REFRESH,
        clock: Callable[[], float] = time.time,
        demo: bool = False,
        cursor_blink: bool = True,
        autopoll: bool = True,
        gc_policy: GcPolicy | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.read_only = read_only
        self._service: ReservationService | None = None
        self._service_factory: ServiceFactory | None = None
        if callable(service):
            self._service_factory = service
        elif service is not None:
            self._service = self._checked(service)
        self._service_lock = threading.Lock()
        self._rows = RowBuilder()  # used by the poll worker only
        self.gc_policy = gc_policy
        self.last_key = time.monotonic()  # when the operator last pressed a key
        self.refresh_interval = refresh_interval
        self.clock = clock
        self.demo = demo
        self.cursor_blink = cursor_blink
        self.autopoll = autopoll
        self.paused = False
        self.polling = False
        self.polls = 0
        self.snapshot: FleetSnapshot | None = None
        self.config: FleetConfig | None = None
        self.config_error: str | None = None
        self.drift: DriftState | None = None
        self._timer: Timer | None = None

    # --- lifecycle -------------------------------------------------------------------

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
        return service

    def on_mount(self) -> None:
        from tropconsole.ui.screens.main import MainScreen

        self.push_screen(MainScreen())  # its on_mount starts the first poll
        if self.gc_policy is not None:
            self.call_after_refresh(self.set_timer, GC_FREEZE_DELAY, self.gc_policy.started)
            self.set_interval(GC_IDLE_CHECK, self._collect_when_idle)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.last_key = time.monotonic()
        await super().on_event(event)

    def _collect_when_idle(self) -> None:
        if self.gc_policy is not None:
            self.gc_policy.idle(self.last_key)

    def on_unmount(self) -> None:
        with contextlib.suppress(Exception):  # closing on the way out must not mask the exit
            self.source.close()

    @property
    def main(self) -> MainScreen | None:
        from tropconsole.ui.screens.main import MainScreen

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    # --- polling ---------------------------------------------------------------------

    def refresh_now(self) -> bool:
        """Start a poll unless one is running (polls never overlap). True if started."""
        if self.polling:
            return False
        self._cancel_timer()
        self.polling = True
        self._poll()
        return True

    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        if self.paused:
            self._cancel_timer()
        else:
            self.refresh_now()
        if self.main is not None:
            self.main.show_status()
        return self.paused

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll")
    def _poll(self) -> None:
        from tropconsole.ui.drift import DriftState, drift_rows

        snapshot = self.source.poll()
        config: FleetConfig | None = None
        error: str | None = None
        service = self.service
        if service is not None:
            try:
                config = service.load()
            except TropError as err:
                error = err.message
        drift = DriftState.compute(config or self.config, snapshot)
        rows = self._rows.build(snapshot, config or self.config, self.clock())
        rows[View.DRIFT] = drift_rows(drift, snapshot, read_only=self.read_only)
        self.post_message(SnapshotReady(snapshot, config, error, drift, rows))

    def _arm(self) -> None:
        self._cancel_timer()
        if not self.paused and self.autopoll:
            self._timer = self.set_timer(self.refresh_interval, self._tick, name="poll")

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        self._timer = None
        if self.paused or not self.screen_stack:  # paused, or the console is closing
            return
        if isinstance(self.screen, ModalScreen):
            self._arm()  # a form is open: keep the rows under it still
            return
        self.refresh_now()

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if self.gc_policy is not None and self.main is not None:
            # The rows on screen now: their cells were made by earlier snapshots (and by
            # filling a view when it was first shown) and will mostly outlive this one.
            self.gc_policy.rows_held(self.main.rows_shown)
        self.polls += 1
        self.snapshot = message.snapshot
        if message.config is not None or message.config_error is not None:
            if message.config_error and message.config_error != self.config_error:
                self.notify(message.config_error, title="Config repo", severity="error")
            self.config = message.config or self.config
            self.config_error = message.config_error
        self.drift = message.drift
        if self.main is not None:
            self.main.show_fleet(message.rows)
        self._poll_ended()

    def _poll_ended(self) -> None:
        """A poll ends when its result is shown (or it failed): only then is the next one
        armed. The worker's SUCCESS state can be seen before the snapshot it posted from
        its thread, so SUCCESS alone does not end a poll."""
        self.polling = False
        self._arm()

    def on_poll_failed(self, message: PollFailed) -> None:
        self.notify(message.error, title="Refresh failed", severity="error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if worker.group == "poll" and event.state is not WorkerState.SUCCESS:
            self._poll_ended()
        if event.state is WorkerState.ERROR:
            err = worker.error
            text = err.message if isinstance(err, TropError) else f"{type(err).__name__}: {err}"
            if worker.group == "poll":
                self.post_message(PollFailed(text))
            elif worker.group == "write":
                self.post_message(WriteFailed(worker.name or "write", text))

    # --- writes: the one door ------------------------------------------------------

    def refuse(self, action: str) -> None:
        """Say no to a write in read-only mode, with the core's own words."""
        self.notify(ReadOnlyError(action).message, title="READ-ONLY", severity="warning")

    def on_reservation_requested(self, message: ReservationRequested) -> None:
        if self.read_only or self.service is None:  # builds the service if need be
            self.refuse("adding a reservation") if self.read_only else self.notify(
                "no config repo: reservations cannot be written", severity="error"
            )
            return
        self._save(message)

    def on_removal_requested(self, message: RemovalRequested) -> None:
        if self.read_only or self.service is None:
            self.refuse("removing a reservation") if self.read_only else self.notify(
                "no config repo: reservations cannot be written", severity="error"
            )
            return
        self._remove(message)

    @work(thread=True, exit_on_error=False, group="write", name="add reservation")
    def _save(self, message: ReservationRequested) -> None:
        assert self.service is not None
        try:
            result = self.service.add(message.request, apply=message.apply_live)
        except TropError as err:
            self.post_message(WriteFailed("add reservation", err.message))
            return
        self.post_message(ReservationSaved(_summary(result), result))

    @work(thread=True, exit_on_error=False, group="write", name="remove reservation")
    def _remove(self, message: RemovalRequested) -> None:
        res = message.reservation
        assert self.service is not None
        try:
            result = self.service.remove(
                message.host,
                message.network,
                name=res.name,
                mac=res.mac,
                ip=res.ip,
                apply=message.apply_live,
            )
        except TropError as err:
            self.post_message(WriteFailed("remove reservation", err.message))
            return
        self.post_message(ReservationRemoved(_summary(result), result))

    def on_reservation_saved(self, message: ReservationSaved) -> None:
        self.notify(message.summary, title="Reservation committed", timeout=10)
        self.refresh_now()

    def on_reservation_removed(self, message: ReservationRemoved) -> None:
        self.notify(message.summary, title="Reservation removed", timeout=10)
        self.refresh_now()

    def on_write_failed(self, message: WriteFailed) -> None:
        self.notify(
            message.error, title=f"Could not {message.action}", severity="error", timeout=15
        )

    # --- app-wide actions --------------------------------------------------------------

    def action_help(self) -> None:
        from tropconsole.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))


def _summary(result: WriteResult) -> str:
    """Three lines: the commit id, what it did, and what happened live."""
    live = result.live if result.live is not None else "not applied (apply live was off)"
    parts = [f"commit {result.short}", result.plan.subject, f"live: {live}"]
    if result.push_error:
        parts.append(f"push FAILED: {result.push_error}")
    return "\n".join(parts)


def create_app(
    source: FleetSource,
    service: ReservationService | ServiceFactory | None,
    *,
    read_only: bool,
    refresh_interval: float = DEFAULT_REFRESH,
    clock: Callable[[], float] = time.time,
    demo: bool = False,
    cursor_blink: bool = True,
    autopoll: bool = True,
    gc_policy: GcPolicy | None = None,
) -> TropConsole:
    """Build the console; tests pass a frozen ``clock``, ``cursor_blink=False`` and
    ``autopoll=False`` (only explicit refreshes) so screens are stable.

    ``service`` may be a factory: it is then called on first use, off the event loop.
    Either way a read-only console refuses a writable service (``ValueError``).
    ``gc_policy`` tunes the process's garbage collector (``tropconsole.ui.gcpolicy``): the
    console's own process passes one, tests do not (it is interpreter-wide)."""
    return TropConsole(
        source,
        service,
        read_only=read_only,
        refresh_interval=refresh_interval,
        clock=clock,
        demo=demo,
        cursor_blink=cursor_blink,
        autopoll=autopoll,
        gc_policy=gc_policy,
    )
