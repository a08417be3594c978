"""The VMs view (6) and the History view (7): keys, the form from a NIC, undo with u."""

from __future__ import annotations

import pytest
from textual.widgets import Input, TabbedContent
from uikit import form_checked, notices, settle, until

from tropconsole.ui.screens.main import MainScreen
from tropconsole.ui.screens.reservation_form import ReservationForm
from tropconsole.ui.screens.revert_confirm import RevertConfirm


def rows(table) -> list[str]:
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


def detail(main, view: str) -> str:
    return str(main.query_one(f"#{view}-view .view-detail").render())


def summary(main, view: str) -> str:
    return str(main.query_one(f"#{view}-view .view-summary").render())


@pytest.mark.asyncio
async def test_6_shows_every_domain_nic_with_its_verdict(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        main = app.main
        assert main.query_one(TabbedContent).active == "vms"
        table = main.table()
        assert app.focused is table
        shown = rows(table)
        print("\n".join(shown[:12]))
        print(detail(main, "vms"))
        assert 0
