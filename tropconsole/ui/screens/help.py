"""The help screen, generated from the live bindings of the screen it was opened on.

Nothing here is written by hand: the rows are that screen's ``active_bindings`` (what a
key press would actually do right now, after keymaps and ``check_action``), so help
cannot drift from the keys. Write keys in read-only mode show as refused, because that is
what pressing them does.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label

from tropconsole.ui.screens.main_bindings import WRITE_ACTIONS


def help_rows(screen: Screen[object]) -> list[tuple[str, str, Text]]:
    """(key, what it does, state) for every key bound on ``screen`` right now: the
    console's own keys first, then Textual's built-in ones."""
    own = [
        b
        for b in (*getattr(type(screen), "BINDINGS", ()), *type(screen.app).BINDINGS)
        if isinstance(b, Binding)
    ]
    rows: list[tuple[int, str, str, Text]] = []
    for active in screen.active_bindings.values():
        binding = active.binding
        action = binding.action
        shown = screen.app.get_key_display(binding)
        rank = 0 if any(b.id is not None and b.id == binding.id for b in own) else 1
        if action.startswith("refused("):
            inner = action[len("refused('") : -2]
            real = next((b for b in own if b.action == inner), None)
            what = (real.tooltip or real.description) if real else WRITE_ACTIONS[inner]
            state = Text("REFUSED: read-only", style="bold red")
        else:
            what = binding.tooltip or binding.description or action.replace("_", " ")
            if active.enabled:
                state = Text("available", style="green")
            else:
                state = Text("not on this view", style="dim")
        rows.append((rank, shown, what, state))
    rows.sort(key=lambda row: row[0])  # stable: keeps each group in binding order
    return [(key, what, state) for _rank, key, what, state in rows]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close help", id="help.close"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self._under = under

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label(
                "Keys on this screen — generated from the live bindings (esc, q or ? closes)",
                id="help-title",
            )
            yield DataTable(id="help-table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Key", width=10)
        table.add_column("Action", width=40)
        table.add_column("State", width=18)
        for key, what, state in help_rows(self._under):
            table.add_row(key, Text(what, overflow="ellipsis", no_wrap=True), state)
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
