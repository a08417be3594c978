"""Screens as a sysadmin sees them, on the demo fleet with a frozen clock.

Review changes with ``pytest tests/ui/test_ui_snapshots.py --snapshot-report``; accept
them with ``--snapshot-update`` once the new pictures are right.
"""

from __future__ import annotations

from textual.widgets import Input
from uikit import form_checked, open_form, settle

SIZE = (120, 36)
NARROW = (80, 24)  # every verdict whole (tests/ui/screens/test_narrow.py reads them back)


def view(key: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)

    return run_before


def test_bridges_view(snap_compare, make_console) -> None:
    assert snap_compare(make_console().app, terminal_size=SIZE, run_before=view("1"))


def test_networks_view(snap_compare, make_console) -> None:
    assert snap_compare(make_console().app, terminal_size=SIZE, run_before=view("2"))


def test_leases_view(snap_compare, make_console) -> None:
    assert snap_compare(make_console().app, terminal_size=SIZE, run_before=view("3"))


def test_reservations_view(snap_compare, make_console) -> None:
    assert snap_compare(make_console().app, terminal_size=SIZE, run_before=view("4"))


def test_bridges_view_80x24(snap_compare, make_console) -> None:
    assert snap_compare(make_console().app, terminal_size=NARROW, run_before=view("1"))


def test_leases_view_80x24(snap_compare, make_console) -> None:
    """The cursor on the lease with the wrong IP: "WRONG IP" in the row, git's IP under it."""

    async def run_before(pilot) -> None:
        await view("3")(pilot)
        await pilot.press(*["down"] * 7)
        await settle(pilot)

    assert snap_compare(make_console().app, terminal_size=NARROW, run_before=run_before)


def test_reservations_view_80x24(snap_compare, make_console) -> None:
    assert snap_compare(make_console().app, terminal_size=NARROW, run_before=view("4"))


def test_drift_view_80x24(snap_compare, make_console) -> None:
    assert snap_compare(make_console().app, terminal_size=NARROW, run_before=view("5"))


def test_form_with_a_duplicate_mac(snap_compare, make_console) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("h", "h")
        pilot.app.clear_notifications()  # the first poll's alerts: not this picture's subject
        await open_form(pilot)
        form = pilot.app.screen
        form.query_one("#name", Input).value = "web01"
        form.query_one("#mac", Input).value = "52:54:00:02:02:0a"
        await form_checked(pilot)

    assert snap_compare(make_console().app, terminal_size=SIZE, run_before=run_before)


def test_read_only_main_screen(snap_compare, make_console) -> None:
    assert snap_compare(make_console(read_only=True).app, terminal_size=SIZE, run_before=view("4"))


def test_stale_host_is_dimmed_and_says_why(snap_compare, make_console) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.refresh_now()
        await settle(pilot)

    assert snap_compare(
        make_console(failing=("trop04",)).app, terminal_size=SIZE, run_before=run_before
    )


def test_small_terminal_form(snap_compare, make_console) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("3", "down", "down", "down", "down", "down")
        pilot.app.clear_notifications()  # the first poll's alerts: not this picture's subject
        await open_form(pilot)

    assert snap_compare(make_console().app, terminal_size=(80, 24), run_before=run_before)
