"""An 80x24 terminal: every verdict is on screen, whole; its detail is the line under the table.

The verdict cells (``VERDICT_COLUMNS``: Bridges' State, Leases' Reservation, Reservations'
Live, Drift's Severity and Kind) are read back from the screen as the terminal shows it,
at the place their column starts, for every row on screen, with every host answering and
with one host stale (its host cell, "trop04 stale <1m", is the widest the Host column
gets).
"""

from __future__ import annotations

import pytest
from uikit import detail_line, screen_lines, settle

from tropconsole.ui.screens.main import MainScreen
from tropconsole.ui.screens.main_bindings import MAIN_BINDINGS
from tropconsole.ui.widgets.keyed_table import PADDING, KeyedTable
from tropconsole.view.common import COLUMNS, VERDICT_COLUMNS, View, ViewRows
from tropconsole.view.drift import DRIFT_COLUMNS

NARROW = (80, 24)
# The key of each view, as the user presses it: a view added to VERDICT_COLUMNS is
# checked here with no change to this file.
KEYS = {
    b.id.removeprefix("view."): b.key for b in MAIN_BINDINGS if (b.id or "").startswith("view.")
}
WRONG_IP = "trop01/default/52:54:00:02:01:0d"  # the demo's lease on the wrong IP


def columns(view: View) -> tuple[str, ...]:
    return DRIFT_COLUMNS if view is View.DRIFT else COLUMNS[view]


def verdicts_on_screen(app, view: View) -> list[str]:
    """The verdict cells of the rows on screen, each checked to be there whole; returns
    their texts (so a test can tell which verdicts it saw)."""
    main: MainScreen = app.main
    table: KeyedTable = main.table(view)
    lines = screen_lines(app)
    names = columns(view)
    width = table.scrollable_content_region.width
    region = table.scrollable_content_region  # the scrollbars not counted
    assert table.scroll_x == 0
    header = lines[region.y]
    seen = []
    for name in VERDICT_COLUMNS[view]:
        col = names.index(name)
        start = sum(table.column_width(n) + 2 * PADDING for n in names[:col]) + PADDING
        end = start + table.column_width(name)
        # The column fits, for every row the table holds (a column is as wide as its
        # widest cell), not only the ones on screen.
        assert end + PADDING <= width, f"{view.value}: {name} ends at {end}, width {width}"
        x = region.x + start
        assert header[x : x + len(name)] == name, (name, header)
        top = int(table.scroll_y)
        for index in range(top, min(table.row_count, top + region.height - 1)):
            text = str(table.get_row_at(index)[col])
            line = lines[region.y + 1 + index - top]
            assert line[x : x + len(text)] == text, f"{view.value} {name}: {text!r} in {line!r}"
            assert line[x + len(text) : end].strip() == "", line  # nothing after it: whole
            seen.append(text)
    return seen


async def show(pilot, view: View) -> None:
    await pilot.press(KEYS[view.value])
    await settle(pilot)


@pytest.mark.asyncio
async def test_every_verdict_is_whole_at_80_columns(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        seen: dict[View, set[str]] = {}
        for view in VERDICT_COLUMNS:
            await show(pilot, view)
            seen[view] = set(verdicts_on_screen(app, view))
        # The demo's verdicts, each seen on screen (not only tables that said "ok").
        assert seen[View.BRIDGES] == {"UP"}
        assert {"ok", "none", "WRONG IP"} <= seen[View.LEASES]
        assert "live" in seen[View.RESERVATIONS]
        assert {"▲ WARNING", "lease-wrong-ip"} <= seen[View.DRIFT]
        assert {"active", "8r 5l 0/8 FULL"} <= seen[View.NETWORKS]
        assert seen[View.ALERTS] == {"■ ERROR", "pool-full"}


@pytest.mark.asyncio
async def test_verdicts_stay_whole_with_a_stale_host(make_console) -> None:
    app = make_console(failing=("trop04",)).app
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        app.refresh_now()  # trop04 fails this poll: its rows say "trop04 stale <1m"
        await settle(pilot)
        await pilot.press("h", "h", "h", "h")  # trop04's rows only (columns never shrink)
        for view in VERDICT_COLUMNS:
            if view in (View.DRIFT, View.ALERTS):
                continue  # findings and alerts name their host plainly; a stale host has none new
            await show(pilot, view)
            table = app.main.table(view)
            assert table.row_count and "stale" in str(table.get_row_at(0)[0])
            assert verdicts_on_screen(app, view)


@pytest.mark.asyncio
async def test_the_detail_line_follows_the_cursor(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert detail_line(app) == "UP: bridge br0, ports eth0, addresses 129.215.175.96/24"
        await show(pilot, View.LEASES)
        table = app.main.table()
        assert detail_line(app) == "ok: reserved in git at this IP (Calenwyth)"
        await pilot.press(*["down"] * table.get_row_index(WRONG_IP))
        assert table.cursor_key == WRONG_IP
        # The short word in the row, the long form under the table, on screen.
        assert str(table.get_row(WRONG_IP)[4]) == "WRONG IP"
        detail = "WRONG IP: git reserves 192.168.201.13 (Thalorien) for this MAC"
        assert detail_line(app) == detail
        assert detail in screen_lines(app)[-2]
        await pilot.press("up")
        assert detail_line(app) == "none: no reservation in git holds this MAC"
        await show(pilot, View.RESERVATIONS)
        assert detail_line(app) == "live: trop01 runs it as git has it"
        # The Drift view has its own pane for the finding: no second line there.
        await show(pilot, View.DRIFT)
        assert not app.main.query_one("#detail").display
        await show(pilot, View.LEASES)  # back: the line, for the row the cursor is on
        assert detail_line(app) == "none: no reservation in git holds this MAC"


@pytest.mark.asyncio
async def test_a_cursor_move_only_sets_the_line(make_console, monkeypatch) -> None:
    """The cursor path looks the detail up: no rows are filtered, diffed or rebuilt."""
    app = make_console().app
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await show(pilot, View.LEASES)
        calls: list[str] = []

        def counted(name, method):
            def wrapper(*args, **kwargs):
                calls.append(name)
                return method(*args, **kwargs)

            return wrapper

        monkeypatch.setattr(KeyedTable, "apply", counted("apply", KeyedTable.apply))
        monkeypatch.setattr(ViewRows, "filtered", counted("filtered", ViewRows.filtered))
        details = []
        for key in ["down"] * 8 + ["up"] * 3:
            await pilot.press(key)
            details.append(detail_line(app))
        assert calls == []
        assert len(set(details)) >= 3  # ok, none, WRONG IP: it followed the cursor
