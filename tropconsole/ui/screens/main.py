"""The main screen: host panel, keyed views across all hosts, filters, bindings, and the
cursor row's detail line under the table (``RowTarget.detail``, made with the rows).

Write actions (add, remove) are hidden from the footer and the palette in read-only mode
by ``check_action``; pressing their key anyway lands on a hidden twin binding that says
why nothing happens, and calling the action directly is refused by the action itself.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, TabbedContent, TabPane

from tropconsole.ui.console import Console, console_of
from tropconsole.ui.messages import HistoryRead, PauseRequested, RefreshRequested
from tropconsole.ui.screens.main_bindings import (
    INITIAL_VIEW,
    MAIN_BINDINGS,
    VIEW_TITLES,
    WRITE_ACTIONS,
    action_state,
)
from tropconsole.ui.screens.main_history import HistoryReader
from tropconsole.ui.widgets.detail_line import DetailLine
from tropconsole.ui.widgets.host_panel import HostPanel
from tropconsole.ui.widgets.keyed_table import KeyedTable
from tropconsole.view.common import (
    COLUMNS,
    RowTarget,
    View,
    ViewRows,
)

if TYPE_CHECKING:
    from textual.widget import AwaitMount

    from tropconsole.ui.widgets.detail_table import DetailTable
    from tropconsole.ui.widgets.drift_view import DriftView


def _modals() -> ModuleType:
    """The write keys' modals (forms, confirmations and what they import: validation,
    netaddr, sync planning), imported when a write key is first pressed, so start-up does
    not pay for them (like the Drift view's widget, the help screen and the palette)."""
    from tropconsole.ui.screens import main_modals

    return main_modals


# Views whose widget shows the cursor row's detail itself (the Drift view's pane, the VMs
# and History views' DetailTable, several lines): the screen's one-line detail under the
# table is hidden there.
OWN_DETAIL: frozenset[View] = frozenset({View.DRIFT, View.VMS, View.HISTORY})


class MainScreen(Screen[None]):
    # Focus the table as soon as the screen is composed, not the tabs first and the table
    # a moment later: each focus change recomposes the footer before the first frame.
    AUTO_FOCUS = "KeyedTable"
    BINDINGS = MAIN_BINDINGS

    def __init__(self) -> None:
        super().__init__()
        self.host_filter: str | None = None
        self.text_filter = ""
        self._rows: dict[View, ViewRows] = {}
        self._tables: dict[View, KeyedTable] = {}
        self._behind: set[View] = set()  # views whose table has not had the latest rows
        self._mounting: AwaitMount | None = None
        self._drift: DriftView | None = None
        self._details: dict[View, DetailTable] = {}  # the VMs and History views
        self._history = HistoryReader(self)
        self._status = ""
        self._detail_line = DetailLine(shown=INITIAL_VIEW not in OWN_DETAIL)

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
        yield self._detail_line
        yield Footer(compact=True)

    def _view_widget(self, view: View) -> KeyedTable | DriftView | DetailTable:
        if view is View.DRIFT:
            # Built when the Drift view is first shown (so is the import of its widget).
            from tropconsole.ui.widgets.drift_view import DriftView

            drift = DriftView(id="drift-view")  # holds #table-drift
            self._drift = drift
            self._tables[view] = drift.table
            return drift
        if view in (View.VMS, View.HISTORY):
            from tropconsole.ui.widgets.detail_table import view_detail_table

            detail = self._details[view] = view_detail_table(view)
            self._tables[view] = detail.table
            return detail
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
        self.call_after_refresh(self.set_timer, 0.05, self._first_poll)
        # Ages on the host cards keep counting between polls (and while paused).
        self.set_interval(1.0, self._tick_ages, name="ages")

    def _first_poll(self) -> None:
        self.app.post_message(RefreshRequested(by_key=False))

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
            app = self.console
            self.query_one(HostPanel).show(snapshot.hosts, app.clock(), app.drift, app.alerts)

    @property
    def console(self) -> Console:
        return console_of(self)

    # --- showing data --------------------------------------------------------------------

    @property
    def view(self) -> View:
        return View(self.query_one(TabbedContent).active or INITIAL_VIEW.value)

    def table(self, view: View | None = None) -> KeyedTable:
        return self._ensure_view(view or self.view)

    def show_fleet(self, rows: dict[View, ViewRows] | None = None) -> None:
        """Show the app's latest snapshot: ``rows`` as built by the poll worker (None keeps
        the rows shown). Only the visible view's table is brought up to date now (a keyed
        diff); the others when they are shown."""
        app = self.console
        snapshot = app.snapshot
        if snapshot is None or not self.is_mounted:
            return
        try:
            panel = self.query_one(HostPanel)
        except NoMatches:
            return  # the screen is being torn down (quitting)
        panel.show(snapshot.hosts, app.clock(), app.drift, app.alerts)
        if rows is not None:
            self._rows.update(rows)
        head = app.config.head if app.config is not None else None
        if self.view is View.HISTORY and self._history.stale(head):
            self._history.read()  # a new commit (the console's own write, or anyone's)
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
        if view in self._behind:
            self._behind.discard(view)
            shown = self._rows[view].filtered(self.host_filter, self.text_filter)
            self.table(view).apply(shown.rows)
            detail = self._details.get(view)
            if detail is not None:
                summary = None
                if view is View.HISTORY:
                    summary = self._history.summary(read_only=self.console.read_only)
                detail.show(shown.targets, summary)
            if view is View.DRIFT:
                app = self.console
                self.drift_view().show(app.drift, read_only=app.read_only)
        self._show_detail(view)

    def _show_detail(self, view: View) -> None:
        """The line under the table (``widgets/detail_line.py``): the cursor row's detail."""
        table = self._tables.get(view)
        key = table.cursor_key if table is not None else None
        self._detail_line.show(
            key,
            self._rows[view].targets if view in self._rows else None,
            shown=view not in OWN_DETAIL,
        )

    def on_keyed_table_row_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        view = self.view
        if event.table is self._tables.get(view):
            self._show_detail(view)

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
        return action_state(action, self.view, read_only=self.console.read_only)

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
        if self.view is View.HISTORY:
            self._history.read()  # on every opening: the repo may have moved meanwhile
        self._catch_up(self.view)
        self.refresh_bindings()

    def on_history_read(self, message: HistoryRead) -> None:
        rows = self._history.answered(message)
        if rows is not None:  # None: a later read is on its way
            self._rows[View.HISTORY] = rows
            self._behind.add(View.HISTORY)
            self._catch_up(self.view)

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
        self.app.post_message(RefreshRequested())
        if self.view is View.HISTORY:
            self._history.read()

    def action_pause(self) -> None:
        self.app.post_message(PauseRequested())

    # --- writes: a modal, then a request the app carries out ----------------------------

    def drift_view(self) -> DriftView:
        self.table(View.DRIFT)  # built on first use
        assert self._drift is not None
        return self._drift

    def action_add_reservation(self) -> None:
        """Open the form, defaulting from the cursor row; a lease row fills it from the lease."""
        if self.console.read_only:
            self.action_refused("add_reservation")
            return
        _modals().open_reservation_form(self, self.cursor_target())

    def action_remove_reservation(self) -> None:
        if self.console.read_only:
            self.action_refused("remove_reservation")
            return
        _modals().remove_at(self, self.view, self.cursor_target())

    def action_fix_drift(self) -> None:
        """The fix a finding maps to (``main_modals.fix_finding``)."""
        if self.console.read_only:
            self.action_refused("fix_drift")
            return
        if self.view is not View.DRIFT:
            self.notify("the fix key works on a finding: go to Drift (5)", severity="warning")
            return
        _modals().fix_finding(self, self.drift_view().current, self.cursor_target())

    def action_revert_commit(self) -> None:
        """Undo the commit under the cursor (History), after its confirmation."""
        if self.console.read_only:
            self.action_refused("revert_commit")
            return
        _modals().open_revert(self, self.cursor_target() if self.view is View.HISTORY else None)

    def action_revert_elsewhere(self) -> None:
        self.notify(
            "u undoes a reservation commit: go to History (7) and put the cursor on it",
            severity="warning",
        )

    def action_export_leases(self) -> None:
        _modals().open_export(self)
