"""Confirmation before removing a reservation, showing the exact diff of the commit."""

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
from tropconsole.core.models import Reservation
from tropconsole.ui.screens.confirm import ConfirmModal
from tropconsole.ui.screens.reservation_form import diff_text
from tropconsole.view.common import ReservationItem


@dataclass(frozen=True, slots=True)
class RemovalOrder:
    host: str
    network: str
    reservation: Reservation
    apply_live: bool


@dataclass
class RemovalPlanned(Message):
    diff: str | None
    error: str | None = None


class RemoveConfirm(ConfirmModal[RemovalOrder]):
    BINDINGS = [
        Binding("y", "confirm", "Yes, remove", id="remove.confirm"),
        Binding("ctrl+s", "confirm", "Yes, remove", show=False, id="remove.confirm2"),
        Binding("n,escape", "cancel", "No", id="remove.cancel"),
    ]

    def __init__(self, item: ReservationItem) -> None:
        super().__init__()
        self.item = item
        self._planned = False

    def compose(self) -> ComposeResult:
        res = self.item.reservation
        who = " ".join(p for p in (res.name or "(no name)", res.mac, res.ip) if p)
        live = False
        snapshot = self.console.snapshot
        status = snapshot.host(self.item.host) if snapshot else None
        if status is not None and status.state is HostState.OK and not self.console.read_only:
            live = True
        with Vertical(id="confirm-box"):
            yield Label(
                f"Remove {who} from {self.item.host}/{self.item.network}?", id="confirm-title"
            )
            yield Label("y removes and commits · n / esc keeps it", classes="hint")
            yield Checkbox("Remove it live too", value=live, compact=True, id="apply")
            with VerticalScroll(id="diff-box"):
                yield Static(Text("computing the diff…", style="dim"), id="diff")
            with Horizontal(id="form-buttons"):
                yield Button("Remove  y", id="confirm", variant="error", compact=True)
                yield Button("Keep  n", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()
        self._plan()

    @work(thread=True, exclusive=True, exit_on_error=False, group="remove-plan")
    def _plan(self) -> None:
        service = self.console.service
        res = self.item.reservation
        if service is None:
            self.post_message(RemovalPlanned(None, "no config repo"))
            return
        try:
            plan = service.plan_remove(
                self.item.host, self.item.network, name=res.name, mac=res.mac, ip=res.ip
            )
        except TropError as err:
            self.post_message(RemovalPlanned(None, err.message))
            return
        self.post_message(RemovalPlanned(plan.diff))

    def on_removal_planned(self, message: RemovalPlanned) -> None:
        self._planned = message.diff is not None
        body = (
            diff_text(message.diff)
            if message.diff
            else Text(f"✖ error  {message.error}", style="bold red")
        )
        self.query_one("#diff", Static).update(body)

    def action_confirm(self) -> None:
        if self.console.read_only:
            self.console.refuse("removing a reservation")
            return
        self.dismiss(
            RemovalOrder(
                self.item.host,
                self.item.network,
                self.item.reservation,
                self.query_one("#apply", Checkbox).value,
            )
        )
