"""Where to write the lease export: a typed modal that returns a path, or None.

The file is written by the app in a worker through ``core.export.leases_csv`` (the same
rows as ``tropconsole leases --format csv``). Exporting reads the fleet and writes a local
file only, so it is offered in read-only mode too.
"""

from __future__ import annotations

import time
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.validation import Function
from textual.widgets import Button, Input, Label

from tropconsole.core.export import COLUMNS
from tropconsole.ui.screens.confirm import ConfirmModal


def default_export_path(now: float) -> str:
    """./leases-<UTC date>.csv, relative to where the console was started."""
    return f"./leases-{time.strftime('%Y-%m-%d', time.gmtime(now))}.csv"


def path_problem(text: str) -> str | None:
    """Why ``text`` cannot be written to, in words; None when it can."""
    if not text.strip():
        return "type a file path"
    path = Path(text.strip()).expanduser()
    if path.is_dir():
        return f"{path} is a directory: add a file name"
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return f"{parent} does not exist"
    return None


class ExportLeases(ConfirmModal[str]):
    BINDINGS = [
        Binding("ctrl+s", "confirm", "Write CSV", id="export.confirm"),
        Binding("escape", "cancel", "Cancel", id="export.cancel"),
    ]

    def __init__(self, default: str, leases: int) -> None:
        super().__init__()
        self.default = default
        self.leases = leases

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Label(f"Export {self.leases} leases as CSV", id="export-title")
            yield Label(f"columns: {', '.join(COLUMNS)}", classes="hint")
            yield Label("enter writes the file · esc cancels", classes="hint")
            with Horizontal(classes="field"):
                yield Label("File", classes="field-label")
                yield Input(
                    self.default,
                    id="export-path",
                    compact=True,
                    validators=[Function(lambda v: path_problem(v) is None)],
                )
            yield Label("", id="export-problem")
            with Horizontal(id="export-buttons"):
                yield Button("Write  enter", id="confirm", variant="primary", compact=True)
                yield Button("Cancel  esc", id="cancel", compact=True)

    def on_mount(self) -> None:
        box = self.query_one("#export-path", Input)
        box.cursor_blink = self.console.cursor_blink
        box.focus()
        self._show_problem(box.value)

    @on(Input.Changed, "#export-path")
    def _changed(self, event: Input.Changed) -> None:
        self._show_problem(event.value)

    def _show_problem(self, value: str) -> None:
        problem = path_problem(value)
        if problem is None and Path(value.strip()).expanduser().exists():
            problem = "exists: it will be overwritten"
        label = self.query_one("#export-problem", Label)
        label.update(f"▲ {problem}" if problem else "")

    @on(Input.Submitted, "#export-path")
    def _submitted(self) -> None:
        self.action_confirm()

    def action_confirm(self) -> None:
        value = self.query_one("#export-path", Input).value.strip()
        problem = path_problem(value)
        if problem is not None:
            self.notify(problem, title="Cannot export there", severity="error")
            return
        self.dismiss(value)
