"""The VMs (6) and History (7) views as a sysadmin sees them, at 120x36 and 80x24.

Demo fleet, frozen clock; the History view's commits are made with fixed authors and
dates (``historykit``), so their hashes and dates are the same on every run.
"""

from __future__ import annotations

import pytest
from historykit import make_history
from uikit import settle, until

SIZES = [(120, 36), (80, 24)]


@pytest.mark.parametrize("size", SIZES, ids=["120x36", "80x24"])
def test_vms_view(snap_compare, make_console, size) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("6", "down")  # trop01's edge guest: seen on br0
        await settle(pilot)

    assert snap_compare(make_console().app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["120x36", "80x24"])
def test_history_view(snap_compare, make_console, size) -> None:
    console = make_console()
    make_history(console.repo)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        await until(pilot, lambda: pilot.app.main.table().row_count > 0)
        await pilot.press("down")  # the removal of Ganwen: revertible
        await settle(pilot)

    assert snap_compare(console.app, terminal_size=size, run_before=run_before)
