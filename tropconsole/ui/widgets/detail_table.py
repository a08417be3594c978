"""A keyed table with a line over it (what the view holds) and the cursor row's detail
under it: the VMs and History views (the Drift view has its own, ``drift_view``).

The table is a ``KeyedTable`` with the id ``table-<view>``, so the main screen treats it
like every other view's; the words under the table are the cursor row's
``RowTarget.detail``, made with the rows in the view's row module (Textual-free), several
lines here where the other views' ``DetailLine`` holds one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from tropconsole.ui.widgets.keyed_table import KeyedTable
from tropconsole.view.common import COLUMNS, RowTarget, View

Summarize = Callable[[Mapping[str, RowTarget]], str]


class DetailTable(Vertical):
    def __init__(
        self,
        columns: tuple[str, ...],
        name: str,
        empty: str,
        summarize: Summarize | None = None,
        summary: str = "",
    ) -> None:
        super().__init__(id=f"{name}-view", classes="detail-table")
        self._empty = empty  # the words when no row is under the cursor
        self._summarize = summarize
        self._targets: Mapping[str, RowTarget] = {}
        self._summary = summary
        self._detail = ""
        self.table = KeyedTable(columns, id=f"table-{name}")

    def compose(self) -> ComposeResult:
        yield Label(self._summary, classes="view-summary")
        yield self.table
        yield Static(Text(self._empty, style="dim"), classes="view-detail")

    @property
    def current(self) -> RowTarget | None:
        key = self.table.cursor_key
        return self._targets.get(key) if key is not None else None

    def show(self, targets: Mapping[str, RowTarget], summary: str | None = None) -> None:
        """Called after the main screen gave the table its rows; the line over the table
        is ``summary``, else what ``summarize`` says of the rows shown."""
        self._targets = targets
        if summary is None and self._summarize is not None:
            summary = self._summarize(targets)
        if summary is not None:
            self._summary = summary
        if self.is_mounted:
            self._show()

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        self.query_one(".view-summary", Label).update(self._summary)
        self._show_detail()

    def on_keyed_table_row_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        if event.table is self.table:
            self._show_detail()

    def _show_detail(self) -> None:
        current = self.current
        detail = current.detail if current is not None else self._empty
        if detail != self._detail:
            self._detail = detail
            text = Text(detail, style="" if current is not None else "dim")
            self.query_one(".view-detail", Static).update(text)


def view_detail_table(view: View) -> DetailTable:
    """The VMs or the History view's widget; their row modules are imported now, when
    the view is first shown."""
    if view is View.VMS:
        from tropconsole.view.vms import NO_DOMAIN, vms_summary

        return DetailTable(COLUMNS[view], view.value, NO_DOMAIN, vms_summary)
    from tropconsole.view.history import NO_COMMIT

    return DetailTable(COLUMNS[view], view.value, NO_COMMIT)
