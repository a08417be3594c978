"""The modals the main screen's write keys open, and the request each one posts.

Each opener checks what the modal needs (the config read, a reservation under the
cursor, a sync that resolves), pushes the modal, and when it is dismissed with an order
posts the matching request (``ReservationRequested``, ``RemovalRequested``,
``SyncRequested``, ``ExportRequested``) to the app, which does the work. Read-only mode is
refused by the main screen before any of these.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from tropconsole.core.errors import TropError
from tropconsole.core.findings import Action, Finding
from tropconsole.core.models import ReservationRequest
from tropconsole.core.sync import resolve_sync
from tropconsole.ui.console import console_of
from tropconsole.ui.messages import (
    ExportRequested,
    RemovalRequested,
    ReservationRequested,
    RevertRequested,
    SyncRequested,
)
from tropconsole.ui.screens.export_leases import ExportLeases, default_export_path
from tropconsole.ui.screens.remove_confirm import RemovalOrder, RemoveConfirm
from tropconsole.ui.screens.reservation_form import ReservationForm, ReservationOrder
from tropconsole.ui.screens.revert_confirm import RevertConfirm, RevertOrder
from tropconsole.ui.screens.sync_confirm import SyncConfirm, SyncOrder
from tropconsole.view.common import (
    CommitItem,
    LeaseItem,
    NicItem,
    ReservationItem,
    RowTarget,
    View,
)


def open_reservation_form(screen: Screen[Any], target: RowTarget | None) -> None:
    """The form, defaulting from the cursor row; a lease row fills it from the lease."""
    if console_of(screen).config is None:
        screen.notify(
            "the config repo has not been read yet (or cannot be); reservations need it",
            severity="warning",
        )
        return
    prefill: ReservationRequest | None = None
    item = target.item if target is not None else None
    if isinstance(item, LeaseItem) and item.reserved is None:
        lease = item.lease
        prefill = ReservationRequest(
            host=lease.host,
            network=lease.network,
            name=lease.hostname,
            mac=lease.mac,
            ip=lease.ip,
        )
    title = None
    if isinstance(item, NicItem) and item.nic is not None:
        nic = item.nic  # a VMs row: its MAC and the domain's name (the IP: next free)
        network = nic.network if nic.dhcp and nic.network else ""  # "": the form picks
        prefill = ReservationRequest(host=nic.host, network=network, name=nic.domain, mac=nic.mac)
        title = f"Reserve {nic.domain}'s NIC"
    form = ReservationForm(
        host=target.host if target else None,
        network=target.network if target else None,
        prefill=prefill,
        title=title,
    )

    def done(result: object) -> None:
        if isinstance(result, ReservationOrder):
            screen.app.post_message(ReservationRequested(result.request, result.apply_live))

    screen.app.push_screen(form, done)


def open_remove(screen: Screen[Any], item: ReservationItem) -> None:
    """The confirmation for removing the reservation ``item`` (it must be in git)."""
    if not item.in_config:
        screen.notify(
            f"{item.host}/{item.network}: {item.reservation.ip} is live only, not "
            "in git; there is no line to remove",
            severity="warning",
        )
        return

    def done(result: object) -> None:
        if isinstance(result, RemovalOrder):
            screen.app.post_message(
                RemovalRequested(result.host, result.network, result.reservation, result.apply_live)
            )

    screen.app.push_screen(RemoveConfirm(item), done)


def open_revert(screen: Screen[Any], target: RowTarget | None) -> None:
    """The confirmation for undoing the reservation commit under the cursor (History),
    with the undo's diff."""
    item = target.item if target is not None else None
    if not isinstance(item, CommitItem):
        screen.notify(
            "u undoes a reservation commit: go to History (7) and put the cursor on it",
            severity="warning",
        )
        return

    def done(result: object) -> None:
        if isinstance(result, RevertOrder):
            screen.app.post_message(RevertRequested(result.commit, result.apply_live))

    screen.app.push_screen(RevertConfirm(item), done)


def open_sync(screen: Screen[Any], host: str, network: str) -> None:
    """The sync confirmation for one host's network, planned from the two sides now."""
    console = console_of(screen)
    config, snapshot = console.config, console.snapshot
    if config is None or snapshot is None:
        screen.notify("the config repo has not been read yet (or cannot be)", severity="warning")
        return
    try:
        git_net, live_net = resolve_sync(config, snapshot, host, network)
    except TropError as err:
        screen.notify(err.message, title="Cannot sync", severity="error", timeout=10)
        return

    def done(result: object) -> None:
        if isinstance(result, SyncOrder):
            screen.app.post_message(
                SyncRequested(result.host, result.network, result.git_net, result.live_net)
            )

    screen.app.push_screen(
        SyncConfirm(SyncOrder(host, network, git_net, live_net), config.head), done
    )


def open_export(screen: Screen[Any]) -> None:
    """Ask where to write the leases as CSV."""
    console = console_of(screen)
    if console.snapshot is None:
        screen.notify("no leases yet: wait for the first refresh", severity="warning")
        return
    modal = ExportLeases(default_export_path(console.clock()), len(console.snapshot.leases))

    def done(result: object) -> None:
        if isinstance(result, str):
            screen.app.post_message(ExportRequested(result))

    screen.app.push_screen(modal, done)


def remove_at(screen: Screen[Any], view: View, target: RowTarget | None) -> None:
    """``d``: the removal confirmation for the reservation under the cursor."""
    item = target.item if target else None
    if view is not View.RESERVATIONS or not isinstance(item, ReservationItem):
        screen.notify(
            "go to Reservations (4) and put the cursor on the one to remove", severity="warning"
        )
        return
    open_remove(screen, item)


def fix_finding(screen: Screen[Any], finding: Finding | None, target: RowTarget | None) -> None:
    """``f`` on a drift finding: the sync confirmation, the reservation form prefilled from
    the lease (the drift row carries it), or the fix's text."""
    if finding is None:
        screen.notify("no finding under the cursor", severity="warning", timeout=3)
    elif finding.action is Action.SYNC_NETWORK:
        open_sync(screen, finding.host, finding.network or "")
    elif finding.action is Action.RESERVE_LEASE:
        open_reservation_form(screen, target)
    else:
        screen.notify(finding.fix, title=f"Fix for {finding.host}: {finding.kind.value}")
