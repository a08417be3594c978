"""Removing a reservation after seeing its diff; a lease becoming a reservation in 2 keys."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from uikit import detail_line, form_text, notices, open_form, settle

from tropconsole.ui.screens.main import MainScreen
from tropconsole.ui.screens.remove_confirm import RemoveConfirm
from tropconsole.ui.screens.reservation_form import ReservationForm
from tropconsole.view.common import COLUMNS, View

RESERVATION = COLUMNS[View.LEASES].index("Reservation")


async def open_remove(pilot, host_presses: int = 2, down: int = 2) -> RemoveConfirm:
    await settle(pilot)
    await pilot.press("4", *["h"] * host_presses, *["down"] * down)
    await pilot.pause()
    await pilot.press("d")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RemoveConfirm)
    return screen


@pytest.mark.asyncio
async def test_remove_shows_the_diff_and_y_commits_and_unapplies(make_console) -> None:
    console = make_console()
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        confirm = await open_remove(pilot)  # trop02, third row: Ulov
        assert "Remove Ulov 52:54:00:02:02:0a 192.168.202.10 from trop02/default?" in str(
            confirm.query_one("#confirm-title").render()
        )
        diff = form_text(confirm, "#diff")
        assert "-      <host mac='52:54:00:02:02:0A' ip='192.168.202.10' name='Ulov'/>" in diff
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert console.log()[0].startswith("trop02/default: unreserve Ulov")
        assert "live: applied" in notices(app)[-1]
        live = app.snapshot.host("trop02").snapshot.network("default").running
        assert not any(r.name == "Ulov" for r in live.reservations)
        keys = list(app.main.table().shown)
        assert not any("02:02:0a" in key for key in keys)


@pytest.mark.asyncio
async def test_remove_n_keeps_everything(make_console) -> None:
    console = make_console()
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await open_remove(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert len(console.log()) == 1


@pytest.mark.asyncio
async def test_remove_is_not_offered_outside_reservations(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("d")  # Bridges view: shown greyed, explains where to go
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "go to Reservations" in notices(app)[-1]


@pytest.mark.asyncio
async def test_a_lease_becomes_a_reservation_in_two_keystrokes(make_console) -> None:
    console = make_console()
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("3", "h", "h")  # Leases of trop02
        await pilot.pause()
        table = app.main.table()
        row = next(i for i in range(table.row_count) if "scratch2a" in str(table.get_row_at(i)))
        table.move_cursor(row=row)
        await pilot.pause()
        assert str(table.get_row_at(row)[RESERVATION]) == "none"  # no reservation yet
        assert detail_line(app) == "none: no reservation in git holds this MAC"
        await open_form(pilot)  # keystroke 1: a
        form = app.screen
        assert isinstance(form, ReservationForm)
        assert form.query_one("#name", Input).value == "scratch2a"
        assert form.query_one("#mac", Input).value == "52:54:00:02:02:40"
        assert form.query_one("#ip", Input).value == "192.168.202.64"
        await pilot.press("ctrl+s")  # keystroke 2
        await settle(pilot)
        assert console.log()[0] == (
            "trop02/default: reserve scratch2a 52:54:00:02:02:40 192.168.202.64"
        )
        table = app.main.table()
        assert (
            str(
                table.get_row_at(table.get_row_index("trop02/default/52:54:00:02:02:40"))[
                    RESERVATION
                ]
            )
            == "ok"
        )
        assert table.cursor_key == "trop02/default/52:54:00:02:02:40"  # cursor stayed put
        # The row changed under a cursor that did not move: its detail line follows.
        assert detail_line(app) == "ok: reserved in git at this IP (scratch2a)"
