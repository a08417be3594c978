"""The Alerts view (8): a summary line, a keyed table of alerts and config warnings, and
under it the cursor row's detail in full (the Detail column is cut on a narrow terminal).

The rows come from ``view.alerts`` (built in the poll worker); this widget only shows the
summary of the poll's ``AlertState`` and the words of the row under the cursor.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from tropconsole.ui.widgets.keyed_table import KeyedTable
from tropconsole.view.common import COLUMNS, View
from tropconsole.view.tablediff import Row, cell_text

NO_ROW = "no alert under the cursor"


def alert_detail(row: Row | None) -> Text:
    """'■ ERROR trop02 pool-full default' on one line, then the detail in full."""
    if row is None:
        return Text(NO_ROW, style="dim")
    cells = [cell_text(c) for c in row]
    text = Text(no_wrap=False)
    text.append(" ".join(c for c in cells[:4] if c), style="bold")
    text.append("\n" + cells[4])
    return text


class AlertsView(Vertical):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._summary = "alerts not computed yet"
        self._shown: tuple[str, Text] | None = None  # (summary, detail) last put on screen
        # Built here, not in compose, so the main screen can fill it before it is mounted.
        self.table = KeyedTable(COLUMNS[View.ALERTS], id="table-alerts")

    def compose(self) -> ComposeResult:
        yield Label(self._summary, id="alerts-summary")
        yield self.table
        yield Static(Text(NO_ROW, style="dim"), id="alerts-detail")

    def show(self, summary: str) -> None:
        """Called after the main screen gave the table its rows."""
        self._summary = summary
        if self.is_mounted:
            self._show()

    def on_mount(self) -> None:
        self._show()

    def on_keyed_table_row_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        if event.table is self.table:
            self._show()

    def _show(self) -> None:
        key = self.table.cursor_key
        detail = alert_detail(self.table.shown.get(key) if key is not None else None)
        if self._shown is None or self._shown[0] != self._summary:
            self.query_one("#alerts-summary", Label).update(self._summary)
        if self._shown is None or self._shown[1] != detail:
            self.query_one("#alerts-detail", Static).update(detail)
        self._shown = (self._summary, detail)
