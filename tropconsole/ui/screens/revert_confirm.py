"""Confirmation before undoing a reservation commit, showing the exact diff of the undo
(``ReservationService.plan_revert``: the same validation as the write itself)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Checkbox, Label, Static

from tropconsole.core.errors import TropError
from tropconsole.core.live import HostState
from tropconsole.ui.screens.confirm import ConfirmModal
from tropconsole.ui.screens.reservation_form import diff_text
from tropconsole.view.common import CommitItem


@dataclass(frozen=True, slots=True)
class RevertOrder:
    commit: str
    apply_live: bool


@dataclass
class RevertPlanned(Message):
    subject: str | None
    diff: str | None
    error: str | None = None


class RevertConfirm(ConfirmModal[RevertOrder]):
    BINDINGS = [
        Binding("y", "confirm", "Yes, undo it", id="revert.confirm"),
        Binding("ctrl+s", "confirm", "Yes, undo it", show=False, id="revert.confirm2"),
        Binding("n,escape", "cancel", "No", id="revert.cancel"),
    ]

    def __init__(self, item: CommitItem) -> None:
        super().__init__()
        self.item = item
        self._planned: bool | None = None  # None: the diff is still being computed

    def compose(self) -> ComposeResult:
        commit = self.item.commit
        snapshot = self.console.snapshot
        status = snapshot.host(self.item.host) if snapshot else None
        live = status is not None and status.state is HostState.OK and not self.console.read_only
        with Vertical(id="confirm-box"):
            yield Label(f"Undo commit {commit.short}: {commit.subject}?", id="confirm-title")
            yield Label("y commits the undo · n / esc keeps everything", classes="hint")
            yield Checkbox("Apply the undo live too", value=live, compact=True, id="apply")
            with VerticalScroll(id="diff-box"):
                yield Static(Text("computing the diff…", style="dim"), id="diff")
            with Horizontal(id="form-buttons"):
                yield Button("Undo  y", id="confirm", variant="error", compact=True)
                yield Button("Keep  n", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()
        self._plan()

    @work(thread=True, exclusive=True, exit_on_error=False, group="revert-plan")
    def _plan(self) -> None:
        service = self.console.service
        if service is None:
            self.post_message(RevertPlanned(None, None, "no config repo"))
            return
        try:
            plan = service.plan_revert(self.item.commit.commit)
        except TropError as err:
            self.post_message(RevertPlanned(None, None, err.message))
            return
        self.post_message(RevertPlanned(plan.subject, plan.diff))

    def on_revert_planned(self, message: RevertPlanned) -> None:
        self._planned = message.diff is not None
        if message.diff is not None:
            body = Text(f"the new commit: {message.subject}\n", style="bold")
            body.append_text(diff_text(message.diff))
        else:
            body = Text(f"✖ error  {message.error}", style="bold red")
        self.query_one("#diff", Static).update(body)

    def action_confirm(self) -> None:
        if self.console.read_only:
            self.console.refuse("reverting a reservation commit")
            return
        if not self._planned:
            why = "the diff is still being computed" if self._planned is None else "see above"
            self.notify(f"nothing to undo yet: {why}", severity="warning", timeout=4)
            return
        self.dismiss(RevertOrder(self.item.commit.commit, self.query_one("#apply", Checkbox).value))
