"""Confirmation before a sync: the exact steps that will make libvirt hold git's entries.

The plan is ``core.drift.plan_sync`` on the same git and live copies the sync will run
from, listed in the order ``run_sync`` applies them (removals first), each with the
``virsh`` command that does it by hand. Git is not changed by a sync, and the modal says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Label, Static

from tropconsole.core.drift import SyncPlan, SyncStep, plan_sync
from tropconsole.core.live import LiveNetwork
from tropconsole.core.models import LibvirtNetwork
from tropconsole.core.sync import virsh_command
from tropconsole.ui.screens.confirm import ConfirmModal


@dataclass(frozen=True, slots=True)
class SyncOrder:
    host: str
    network: str
    git_net: LibvirtNetwork
    live_net: LiveNetwork


@dataclass
class SyncPlanned(Message):
    plan: SyncPlan | None
    error: str | None = None


def plan_text(plan: SyncPlan, network: str) -> Text:
    """One line per step, removals first as they run: '-' red, '+' green, then by hand."""
    text = Text(no_wrap=True)
    if plan.empty:
        text.append("nothing to do: running and persistent already hold git's reservations")
        return text
    sides: tuple[tuple[Literal["add", "remove"], tuple[SyncStep, ...], str], ...] = (
        ("remove", plan.to_remove, "red"),
        ("add", plan.to_add, "green"),
    )
    for op, steps, style in sides:
        for step in steps:
            mark = "-" if op == "remove" else "+"
            text.append(f"{mark} {op:<6} {step.describe()}\n", style=style)
            text.append(f"    by hand: {virsh_command(op, network, step)}\n", style="dim")
    return text


class SyncConfirm(ConfirmModal[SyncOrder]):
    BINDINGS = [
        Binding("y", "confirm", "Yes, sync", id="sync.confirm"),
        Binding("ctrl+s", "confirm", "Yes, sync", show=False, id="sync.confirm2"),
        Binding("n,escape", "cancel", "No", id="sync.cancel"),
    ]

    def __init__(self, order: SyncOrder, head: str | None = None) -> None:
        super().__init__()
        self.order = order
        self.head = head
        self.plan: SyncPlan | None = None

    def compose(self) -> ComposeResult:
        where = f"{self.order.host}/{self.order.network}"
        with Vertical(id="sync-box"):
            yield Label(f"Apply git's reservations to {where}?", id="sync-title")
            yield Label(
                f"git {self.head or '(no commit)'} is the truth; git itself is not changed. "
                "y syncs · n / esc cancels",
                classes="hint",
            )
            with VerticalScroll(id="sync-plan-box"):
                yield Static(Text("planning…", style="dim"), id="sync-plan")
            with Horizontal(id="sync-buttons"):
                yield Button("Sync  y", id="confirm", variant="warning", compact=True)
                yield Button("Cancel  n", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()
        self._plan()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync-plan")
    def _plan(self) -> None:
        try:
            plan = plan_sync(self.order.git_net, self.order.live_net, self.order.host)
        except Exception as err:  # a malformed live XML must not kill the console
            self.post_message(SyncPlanned(None, f"{type(err).__name__}: {err}"))
            return
        self.post_message(SyncPlanned(plan))

    def on_sync_planned(self, message: SyncPlanned) -> None:
        self.plan = message.plan
        if message.plan is None:
            body = Text(f"✖ error  {message.error}", style="bold red")
        else:
            body = plan_text(message.plan, self.order.network)
        self.query_one("#sync-plan", Static).update(body)

    def action_confirm(self) -> None:
        if self.console.read_only:
            self.console.refuse(f"sync of {self.order.host}/{self.order.network}")
            return
        if self.plan is None:
            self.notify("the plan is not ready yet", severity="warning", timeout=3)
            return
        self.dismiss(None if self.plan.empty else self.order)
