"""The console against the real lab: a lab lease shows up in the Leases view, a
reservation made from the form (apply live ticked) gives the lab client its address, and
the Drift view's sync undoes a live-only change made with virsh.

Commits go to a clone of the lab repo; the lab is put back as it was found (reservation
removed live, the client restarted on its old address). Uses trop02, which the remote
suites leave alone (they use trop01, trop03 and trop04).
"""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, Input
from uikit import form_checked, notices, open_form, settle, until

from tropconsole.core.configrepo import load_fleet
from tropconsole.core.service import ReservationService
from tropconsole.ui.app import create_app
from tropconsole.ui.screens.reservation_form import ReservationForm

AUTHOR = "tropconsole console tests <tests@lab.invalid>"
HOST = "trop02"


def free_ip(repo: Path, avoid: str | None) -> str:
    net = load_fleet(repo).host(HOST).network("default")
    rng = net.dhcp_ip.ranges[0]
    taken = {r.ip for r in net.reservations} | {avoid}
    lo, hi = int(ipaddress.IPv4Address(rng.start)), int(ipaddress.IPv4Address(rng.end))
    return next(
        str(ipaddress.IPv4Address(i))
        for i in range(lo, hi + 1)
        if str(ipaddress.IPv4Address(i)) not in taken
    )


@pytest.mark.asyncio
async def test_console_shows_a_lab_lease_and_reserving_it_moves_the_client(
    lab: Any, tmp_path: Path
) -> None:
    from tropconsole.remote.inventory import load_inventory
    from tropconsole.remote.poller import FleetPoller

    client = next(c for c in lab.clients_of(HOST) if c.reserved_ip is None)
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(lab.repo), str(repo)], check=True)
    old_ip = lab.client_ip(client)
    ip = free_ip(repo, old_ip)
    source = FleetPoller(load_inventory(lab.inventory))
    service = ReservationService(repo, applier=source.applier(), author=AUTHOR)
    app = create_app(source, service, read_only=False, autopoll=False, cursor_blink=False)
    committed = False
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("3")
            await pilot.pause()
            table = app.main.table()
            key = f"{HOST}/default/{client.mac}"
            assert key in table.shown, f"lab lease of {client.name} not shown"
            assert table.shown[key][3] == old_ip
            table.move_cursor(row=table.get_row_index(key))
            await open_form(pilot)
            form = app.screen
            assert isinstance(form, ReservationForm)
            assert form.query_one("#mac", Input).value == client.mac
            assert form.query_one("#apply", Checkbox).value is True
            form.query_one("#name", Input).value = "console-probe"
            form.query_one("#ip", Input).value = ip
            await form_checked(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            committed = True
            said = "\n".join(notices(app))
            assert "live: applied" in said, said
            assert lab.client_renew(client) == ip
    finally:
        if committed:
            service.remove(HOST, "default", mac=client.mac, apply=True)
        source.close()
        lab.attach_clients(HOST)
        restored = lab.client_restart(client)
    assert restored == old_ip


EXTRA_MAC = "52:54:00:02:02:3c"
EXTRA = f"<host mac='{EXTRA_MAC}' name='Drifter' ip='192.168.202.60'/>"
LIVE_ONLY = f"{HOST}|live-only|reservation|default|{EXTRA_MAC}|only running"


def live_has(lab: Any, mac: str, *, inactive: bool) -> bool:
    args = ["net-dumpxml", "default", *(["--inactive"] if inactive else [])]
    return mac in lab.virsh(HOST, *args).stdout.lower()


@pytest.mark.asyncio
async def test_console_sync_removes_a_live_only_reservation_from_the_lab_host(
    lab: Any, tmp_path: Path
) -> None:
    """Drift made the way an operator makes it (``virsh net-update --live``) shows in the
    Drift view; ``f`` then ``y`` puts the running network back to git's, over the
    console's own connection, and the finding goes away."""
    from tropconsole.remote.inventory import load_inventory
    from tropconsole.remote.poller import FleetPoller
    from tropconsole.ui.screens.sync_confirm import SyncConfirm
    from tropconsole.ui.widgets.drift_view import DriftView

    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(lab.repo), str(repo)], check=True)
    lab.virsh(HOST, "net-update", "default", "add-last", "ip-dhcp-host", EXTRA, "--live")
    source = FleetPoller(load_inventory(lab.inventory))
    service = ReservationService(repo, applier=source.applier(), author=AUTHOR)
    app = create_app(source, service, read_only=False, autopoll=False, cursor_blink=False)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("5")
            await pilot.pause()
            table = app.main.query_one(DriftView).table
            assert LIVE_ONLY in table.shown, f"no live-only finding; shown: {list(table.shown)}"
            table.move_cursor(row=table.get_row_index(LIVE_ONLY))
            await pilot.pause()
            await pilot.press("f")
            await until(pilot, lambda: isinstance(app.screen, SyncConfirm))
            modal = app.screen
            await until(pilot, lambda: modal.plan is not None, timeout=30)
            plan = str(modal.query_one("#sync-plan").render())
            assert f"remove <host mac='{EXTRA_MAC}'" in plan, plan
            await pilot.press("y")
            await settle(pilot)
            await until(pilot, lambda: LIVE_ONLY not in table.shown, timeout=30)
            assert not live_has(lab, EXTRA_MAC, inactive=False)  # running side put back
            assert not live_has(lab, EXTRA_MAC, inactive=True)  # persistent never had it
    finally:
        source.close()
        if live_has(lab, EXTRA_MAC, inactive=False):  # a failed sync must not drift the lab
            lab.virsh(HOST, "net-update", "default", "delete", "ip-dhcp-host", EXTRA, "--live")
