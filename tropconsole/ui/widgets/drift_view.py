"""The Drift view: a keyed table of findings and, under it, the cursor row's detail and fix.

The table is a ``KeyedTable`` with the id ``table-drift``, so the main screen treats it
like the other views (filters, cursor, focus); this widget adds the summary line and the
detail pane, which follow the cursor and the latest findings.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from tropconsole.core.findings import Finding
from tropconsole.ui.widgets.keyed_table import KeyedTable
from tropconsole.view.drift import (
    DRIFT_COLUMNS,
    SEVERITY_CELLS,
    WRITE_FIXES,
    DriftState,
    fix_words,
)

NO_ROW = "no finding under the cursor"


def detail_text(finding: Finding | None, *, read_only: bool = False) -> Text:
    """What the finding is, where, and the fix: the words the CLI prints, laid out."""
    if finding is None:
        return Text(NO_ROW, style="dim")
    label, style = SEVERITY_CELLS[finding.severity]
    text = Text(no_wrap=False)
    text.append(label, style=style)
    text.append(f"  {finding.host}", style="bold")
    if finding.network:
        text.append(f"/{finding.network}", style="bold")
    text.append(f"  {finding.kind.value} [{finding.where}]\n")
    text.append(finding.detail + "\n")
    text.append("fix: ", style="bold")
    text.append(finding.fix + "\n")
    if read_only and finding.action in WRITE_FIXES:
        text.append("read-only: the console will not apply this fix", style="bold yellow")
    elif not read_only:
        text.append(fix_words(finding), style="dim")
    return text


class DriftView(Vertical):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._state: DriftState | None = None
        self._read_only = False
        self._shown: tuple[str, Text] | None = None  # (summary, detail) last put on screen
        # Built here, not in compose, so the main screen can fill it before it is mounted.
        self.table = KeyedTable(DRIFT_COLUMNS, id="table-drift")

    def compose(self) -> ComposeResult:
        yield Label("drift not computed yet", id="drift-summary")
        yield self.table
        with VerticalScroll(id="drift-detail-box"):
            yield Static(Text(NO_ROW, style="dim"), id="drift-detail")

    @property
    def current(self) -> Finding | None:
        """The finding under the cursor (None on an empty or filtered-out table)."""
        key = self.table.cursor_key
        if key is None or self._state is None:
            return None
        return self._state.by_key.get(key)

    def show(self, state: DriftState | None, *, read_only: bool = False) -> None:
        """Called after the main screen gave the table its rows: summary and detail."""
        self._state = state
        self._read_only = read_only
        if self.is_mounted:
            self._show()

    def on_mount(self) -> None:
        self._show()  # what show() was given before there were labels to put it in

    def _show(self) -> None:
        state = self._state
        summary = state.summary() if state is not None else "drift not computed yet"
        if state is not None and state.findings:
            summary += (
                "  ·  read-only: fixes are shown, not applied"
                if self._read_only
                else "  ·  f opens the fix of the row under the cursor"
            )
        label = self.query_one("#drift-summary", Label)
        if self._shown is None or self._shown[0] != summary:
            label.update(summary)
        label.set_class(state is not None and bool(state.findings), "-drift")
        self._show_detail(summary)

    def on_keyed_table_row_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        if event.table is self.table:
            self._show_detail(self._shown[0] if self._shown else "")

    def _show_detail(self, summary: str) -> None:
        detail = detail_text(self.current, read_only=self._read_only)
        if self._shown is None or self._shown[1] != detail:
            self.query_one("#drift-detail", Static).update(detail)
        self._shown = (summary, detail)
