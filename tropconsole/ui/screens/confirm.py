"""What every yes/no modal of the console shares: the typed app, the #confirm and #cancel
buttons doing what the keys do, and cancel handing back ``None``."""

from __future__ import annotations

from typing import TypeVar

from textual import on
from textual.screen import ModalScreen
from textual.widgets import Button

from tropconsole.ui.console import Console, console_of

ResultT = TypeVar("ResultT")


class ConfirmModal(ModalScreen[ResultT | None]):
    """Subclasses compose a ``#confirm`` and a ``#cancel`` button and define
    ``action_confirm``; their bindings map keys to ``confirm`` and ``cancel``."""

    @property
    def console(self) -> Console:
        return console_of(self)

    def action_confirm(self) -> None:
        raise NotImplementedError  # each modal says what "yes" does

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#confirm")
    def _confirm_pressed(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
