"""The main screen: host panel, four keyed views across all hosts, filters, bindings.

Write actions (add, remove) are hidden from the footer and the palette in read-only mode
by ``check_action``; pressing their key anyway lands on a hidden twin binding that says
why nothing happens, and calling the action directly is refused by the action itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, TabbedContent, TabPane

from tropconsole.core.models import ReservationRequest
from tropconsole.ui.drift import drift_rows
from tropconsole.ui.drift_actions import DriftScreenActions
from tropconsole.ui.messages import RemovalRequested, ReservationRequested
from tropconsole.ui.rows import (
    COLUMNS,
    LeaseItem,
    ReservationItem,
    RowTarget,
    View,
    ViewRows,
    build_all,
)
from tropconsole.ui.widgets.host_panel import HostPanel
from tropconsole.ui.widgets.keyed_table import KeyedTable

if TYPE_CHECKING:
    from textual.widget import AwaitMount

    from tropconsole.ui.app import TropConsole
    from tropconsole.ui.widgets.drift_view import DriftView

# Actions that write; read-only mode hides and refuses them. Value: words for the notice.
WRITE_ACTIONS: dict[str, str] = {
    "add_reservation": "adding a reservation",
    "remove_reservation": "removing a reservation",
    "fix_drift": "applying a drift fix",
}

INITIAL_VIEW = View.BRIDGES

VIEW_TITLES = {
    View.BRIDGES: "1 Bridges",
    View.NETWORKS: "2 Networks",
    View.LEASES: "3 Leases",
    View.RESERVATIONS: "4 Reservations",
    View.DRIFT: "5 Drift",
}


class MainScreen(DriftScreenActions, Screen[None]):
    # Focus the table as soon as the screen is composed, not the tabs first and the table
    # a moment later: each focus change recomposes the footer before the first frame.
    AUTO_FOCUS = "KeyedTable"
    BINDINGS = [
        # The tab labels show 1-5, so the footer keeps its room for the other keys.
        Binding("1", "view('bridges')", "Bridges view", show=False, id="view.bridges"),
        Binding("2", "view('networks')", "Networks view", show=False, id="view.networks"),
        Binding("3", "view('leases')", "Leases view", show=False, id="view.leases"),
        Binding(
            "4", "view('reservations')", "Reservations view", show=False, id="view.reservations"
        ),
        Binding("5", "view('drift')", "Drift view", show=False, id="view.drift"),
        Binding(
            "h",
            "cycle_host",
            "Host",
            tooltip="Filter to one host (cycles all, trop01, …)",
            id="host_filter",
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            tooltip="Filter rows as you type",
            id="filter",
        ),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            show=False,
            tooltip="Clear the row filter",
            id="clear_filter",
        ),
        Binding("r", "refresh", "Refresh", tooltip="Refresh every host now", id="refresh"),
        Binding("p", "pause", "Pause", tooltip="Pause or resume live refresh", id="pause"),
        Binding(
            "a",
            "add_reservation",
            "Add",
            tooltip="Add a reservation (on an unreserved lease: reserve that lease)",
            id="add_reservation",
        ),
        Binding(
            "d",
            "remove_reservation",
            "Remove",
            tooltip="Remove the reservation under the cursor",
            id="remove_reservation",
        ),
        Binding(
            "f",
            "fix_drift",
            "Fix",
            tooltip="Fix the drift finding under the cursor (sync git→live, reserve, or how)",
            id="fix_drift",
        ),
        Binding(
            "e",
            "export_leases",
            "Export",
            tooltip="Export the leases as CSV to a file (asks where)",
            id="export_leases",
        ),
        # Twins of the write keys, reached only when check_action hides the real ones.
        Binding("a", "refused('add_reservation')", show=False, id="refused.add"),
        Binding("d", "refused('remove_reservation')", show=False, id="refused.remove"),
        Binding("f", "refused('fix_drift')", show=False, id="refused.fix"),
        # And the greyed-out remove key still says where it works.
        Binding("d", "not_here", show=False, id="remove.elsewhere"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.host_filter: str | None = None
        self.text_filter = ""
        self._rows: dict[View, ViewRows] = {}
        self._tables: dict[View, KeyedTable] = {}
        self._behind: set[View] = set()  # views whose table has not had the latest rows
        self._mounting: AwaitMount | None = None
        self._status = ""

    def compose(self) -> ComposeResult:
        app = self.console
        with Horizontal(id="topbar"):
            yield Label("tropconsole", id="title")
            if app.read_only:
                yield Label(" READ-ONLY ", id="badge-readonly", classes="badge")
            if app.demo:
                yield Label(" DEMO FLEET ", id="badge-demo", classes="badge")
            yield Label("", id="status")
        yield HostPanel(app.source.host_names, id="hosts")
        # Only the first view's widgets are built before the first frame; the others
        # when they are first shown (``_view_widget``), so start-up composes one table.
        with TabbedContent(id="views", initial=INITIAL_VIEW.value):
            for view in View:
                with TabPane(VIEW_TITLES[view], id=view.value):
                    if view is INITIAL_VIEW:
                        yield self._view_widget(view)
        yield Footer(compact=True)

    def _view_widget(self, view: View) -> KeyedTable | DriftView:
        if view is View.DRIFT:
            from tropconsole.ui.widgets.drift_view import DriftView

            drift = DriftView(id="drift-view")  # holds #table-drift
            self._tables[view] = drift.table
            return drift
        table = KeyedTable(COLUMNS[view], id=f"table-{view.value}")
        self._tables[view] = table
        return table

    def _ensure_view(self, view: View) -> KeyedTable:
        """The view's table, built and mounted into its pane on first use (it takes rows
        at once; it is in the DOM at once, and mounted a moment later)."""
        table = self._tables.get(view)
        if table is None:
            widget = self._view_widget(view)
            self._mounting = self.query_one(f"TabPane#{view.value}", TabPane).mount(widget)
            table = self._tables[view]
        return table

    async def _view_ready(self, view: View) -> KeyedTable:
        table = self._ensure_view(view)
        if not table.is_mounted and self._mounting is not None:
            await self._mounting
        return table

    def on_mount(self) -> None:
        if self.focused is None:
            self.table().focus()
        self.show_status()
        # The first poll starts once the first frame is painted: building the fleet source
        # (libvirt, paramiko) in a thread would otherwise compete with that frame.
        self.call_after_refresh(self.set_timer, 0.05, self.console.refresh_now)
        # Ages on the host cards keep counting between polls (and while paused).
        self.set_interval(1.0, self._tick_ages, name="ages")

    def filter_box(self) -> Input:
        """The filter input, mounted the first time it is needed (it starts hidden)."""
        try:
            return self.query_one("#filter", Input)
        except NoMatches:
            box = Input(
                placeholder="filter rows: type to narrow, enter to keep, esc to clear",
                id="filter",
            )
            box.display = False
            box.cursor_blink = self.console.cursor_blink
            self.mount(box, before=self.query_one(Footer))
            return box

    def _tick_ages(self) -> None:
        snapshot = self.console.snapshot
        if snapshot is not None:
            self.query_one(HostPanel).show(snapshot.hosts, self.console.clock(), self.console.drift)

    @property
    def console(self) -> TropConsole:
        return cast("TropConsole", self.app)

    # --- showing data --------------------------------------------------------------------

    @property
    def view(self) -> View:
        return View(self.query_one(TabbedContent).active or INITIAL_VIEW.value)

    def table(self, view: View | None = None) -> KeyedTable:
        return self._ensure_view(view or self.view)

    def show_fleet(self, rows: dict[View, ViewRows] | None = None) -> None:
        """Show the app's latest snapshot: ``rows`` as built by the poll worker (or built
        here when not given). Only the visible view's table is brought up to date now (a
        keyed diff); the others when they are shown."""
        app = self.console
        snapshot = app.snapshot
        if snapshot is None or not self.is_mounted:
            return
        now = app.clock()
        try:
            panel = self.query_one(HostPanel)
        except NoMatches:
            return  # the screen is being torn down (quitting)
        panel.show(snapshot.hosts, now, app.drift)
        if rows is None:
            rows = build_all(snapshot, app.config, now)
        self._rows.update(rows)
        if View.DRIFT not in rows:
            self._rows[View.DRIFT] = drift_rows(app.drift, snapshot, read_only=app.read_only)
        self._apply_filters()
        self.show_status()

    @property
    def rows_shown(self) -> int:
        """Rows held by the views' tables (for the garbage-collector policy)."""
        return sum(len(table.shown) for table in self._tables.values())

    def _apply_filters(self) -> None:
        """Every view is now behind; the visible one catches up at once."""
        self._behind = set(self._rows)
        self._catch_up(self.view)

    def _catch_up(self, view: View) -> None:
        if view not in self._behind:
            return
        self._behind.discard(view)
        rows = self._rows[view].filtered(self.host_filter, self.text_filter).rows
        self.table(view).apply(rows)
        if view is View.DRIFT:
            app = self.console
            self.drift_view().show(app.drift, read_only=app.read_only)

    def show_status(self) -> None:
        app = self.console
        parts = []
        if app.paused:
            parts.append("PAUSED (p resumes)")
        else:
            parts.append(f"every {app.refresh_interval:g}s")
        parts.append(f"host: {self.host_filter or 'all'}")
        if self.text_filter:
            parts.append(f"filter: {self.text_filter!r}")
        if app.config_error:
            parts.append("CONFIG REPO UNREADABLE")
        text = "  ·  ".join(parts)
        status = self.query_one("#status", Label)
        if text != self._status:
            self._status = text
            status.update(text, layout=False)  # 1fr wide, one line: its size never changes
        status.set_class(app.paused, "-paused")

    def cursor_target(self) -> RowTarget | None:
        key = self.table().cursor_key
        rows = self._rows.get(self.view)
        if key is None or rows is None:
            return None
        return rows.targets.get(key)

    # --- bindings --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        read_only = self.console.read_only
        if action == "refused":
            return read_only
        if action == "not_here":
            return not read_only and self.view is not View.RESERVATIONS
        if action in WRITE_ACTIONS:
            if read_only:
                return False
            if action == "remove_reservation" and self.view is not View.RESERVATIONS:
                return None  # shown, greyed: it only makes sense on a reservation row
            if action == "fix_drift" and self.view is not View.DRIFT:
                return None  # shown, greyed: it works on a drift finding
        return True

    async def attempt(self, action: str) -> None:
        """Run an action as the palette does: refused with a notice when read-only."""
        if self.console.read_only and action in WRITE_ACTIONS:
            self.action_refused(action)
            return
        await self.run_action(action)

    def action_refused(self, action: str) -> None:
        self.console.refuse(WRITE_ACTIONS.get(action, action))

    def action_not_here(self) -> None:
        self.notify(
            "remove works on a reservation: go to Reservations (4) and put the "
            "cursor on the one to remove",
            severity="warning",
        )

    async def action_view(self, name: str) -> None:
        table = self._ensure_view(View(name))
        self.query_one(TabbedContent).active = name
        self._catch_up(View(name))
        await self._view_ready(View(name))
        table.focus()

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self._ensure_view(self.view)  # a tab clicked with the mouse
        self._catch_up(self.view)
        self.refresh_bindings()

    def action_cycle_host(self) -> None:
        hosts = list(self.console.source.host_names)
        order: list[str | None] = [None, *hosts]
        index = order.index(self.host_filter) if self.host_filter in order else 0
        self.set_host_filter(order[(index + 1) % len(order)])

    def set_host_filter(self, host: str | None) -> None:
        self.host_filter = host
        self._apply_filters()
        self.show_status()

    def action_filter(self) -> None:
        box = self.filter_box()
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.text_filter = event.value
        self._apply_filters()
        self.show_status()

    @on(Input.Submitted, "#filter")
    def _filter_kept(self) -> None:
        box = self.filter_box()
        box.display = bool(self.text_filter)
        self.table().focus()

    def action_clear_filter(self) -> None:
        if not self.text_filter and not self.query("#filter"):
            return  # never opened: nothing to clear (and no box to build for it)
        box = self.filter_box()
        if not box.display and not self.text_filter:
            return
        box.value = ""
        self.text_filter = ""
        box.display = False
        self._apply_filters()
        self.show_status()
        self.table().focus()

    def action_refresh(self) -> None:
        if not self.console.refresh_now():
            self.notify("a refresh is already running", timeout=2)

    def action_pause(self) -> None:
        paused = self.console.toggle_pause()
        self.notify("refresh PAUSED (p resumes)" if paused else "refresh resumed", timeout=2)

    # --- writes (through the app, to the service) -----------------------------------

    def action_add_reservation(self) -> None:
        """Open the form, defaulting from the cursor row; a lease row fills it from the lease."""
        app = self.console
        if app.read_only:
            self.action_refused("add_reservation")
            return
        if app.config is None:
            self.notify(
                "the config repo has not been read yet (or cannot be); reservations need it",
                severity="warning",
            )
            return
        from tropconsole.ui.screens.reservation_form import ReservationForm

        target = self.cursor_target()
        host = target.host if target else None
        network = target.network if target else None
        prefill: ReservationRequest | None = None
        item = target.item if target is not None else None
        if isinstance(item, LeaseItem) and item.reserved is None:
            lease = item.lease
            prefill = ReservationRequest(
                host=lease.host,
                network=lease.network,
                name=lease.hostname,
                mac=lease.mac,
                ip=lease.ip,
            )
        form = ReservationForm(host=host, network=network, prefill=prefill)
        self.app.push_screen(form, self._form_done)

    def _form_done(self, result: object) -> None:
        from tropconsole.ui.screens.reservation_form import ReservationOrder

        if isinstance(result, ReservationOrder):
            self.app.post_message(ReservationRequested(result.request, result.apply_live))

    def action_remove_reservation(self) -> None:
        app = self.console
        if app.read_only:
            self.action_refused("remove_reservation")
            return
        target = self.cursor_target()
        item = target.item if target else None
        if self.view is not View.RESERVATIONS or not isinstance(item, ReservationItem):
            self.notify(
                "go to Reservations (4) and put the cursor on the one to remove", severity="warning"
            )
            return
        if not item.in_config:
            self.notify(
                f"{item.host}/{item.network}: {item.reservation.ip} is live only, not "
                "in git; there is no line to remove",
                severity="warning",
            )
            return
        from tropconsole.ui.screens.remove_confirm import RemoveConfirm

        self.app.push_screen(RemoveConfirm(item), self._remove_done)

    def _remove_done(self, result: object) -> None:
        from tropconsole.ui.screens.remove_confirm import RemovalOrder

        if isinstance(result, RemovalOrder):
            self.app.post_message(
                RemovalRequested(result.host, result.network, result.reservation, result.apply_live)
            )
