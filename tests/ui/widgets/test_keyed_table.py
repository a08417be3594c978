"""The virtual table: what it paints, how the keyboard and mouse move it, what it tells."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.strip import Strip

from tropconsole.ui.widgets.keyed_table import KeyedTable

Rows = dict[str, tuple[str, ...]]


def rows(n: int, tag: str = "") -> Rows:
    return {f"k{i:05}": (f"host{i % 4}", f"10.0.{i // 250}.{i % 250}", f"v{tag}") for i in range(n)}


class CountingTable(KeyedTable):
    painted: list[int]

    def render_line(self, y: int) -> Strip:
        self.painted.append(y)
        return super().render_line(y)


class OneTable(App[None]):
    def __init__(self, table: KeyedTable) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        yield self.table


def screen_lines(table: KeyedTable) -> list[str]:
    """The table's lines as the user sees them (header first)."""
    height = table.scrollable_content_region.height
    return [table.render_line(y).text.rstrip() for y in range(height)]


@pytest.mark.asyncio
async def test_a_10000_row_table_paints_only_the_rows_on_screen() -> None:
    table = CountingTable(("Host", "IP", "Value"), id="t")
    table.painted = []
    app = OneTable(table)
    async with app.run_test(size=(80, 24)) as pilot:
        table.apply(rows(10_000))
        await pilot.pause()
        table.painted.clear()
        changed = rows(10_000)
        for i in range(0, 10_000, 100):  # 100 cells change, most of them off screen
            key = f"k{i:05}"
            changed[key] = (*changed[key][:2], "changed")
        diff = table.apply(changed)
        await pilot.pause()
        assert len(diff.changed) == 100
        height = table.scrollable_content_region.height
        assert 0 < len(table.painted) <= 2 * height  # a frame's worth, not 10 000 rows
        assert screen_lines(table)[1].split() == ["host0", "10.0.0.0", "changed"]


@pytest.mark.asyncio
async def test_keys_move_the_cursor_and_the_view_follows_it() -> None:
    table = KeyedTable(("Host", "IP", "Value"), id="t")
    app = OneTable(table)
    async with app.run_test(size=(80, 12)) as pilot:
        table.apply(rows(1000))
        table.focus()
        await pilot.pause()
        page = table.scrollable_content_region.height - 1  # rows under the header
        await pilot.press("down", "down")
        assert table.cursor_row == 2 and table.scroll_y == 0
        await pilot.press("pagedown")
        assert table.cursor_row == 2 + page
        assert table.scroll_y <= table.cursor_row < table.scroll_y + page  # still on screen
        await pilot.press("end")
        assert table.cursor_key == "k00999"
        assert screen_lines(table)[-1].split()[1] == "10.0.3.249"  # the last row is shown
        assert screen_lines(table)[0].split() == ["Host", "IP", "Value"]  # header stays
        await pilot.press("home")
        assert table.cursor_row == 0 and table.scroll_y == 0
        await pilot.press("up")
        assert table.cursor_row == 0  # no row above the first


@pytest.mark.asyncio
async def test_a_click_puts_the_cursor_on_the_row_clicked() -> None:
    table = KeyedTable(("Host", "IP", "Value"), id="t")
    app = OneTable(table)
    async with app.run_test(size=(80, 12)) as pilot:
        table.apply(rows(50))
        await pilot.pause()
        await pilot.click(KeyedTable, offset=(3, 4))  # line 0 is the header
        assert table.cursor_key == "k00003"
        await pilot.click(KeyedTable, offset=(3, 0))
        assert table.cursor_key == "k00003"  # the header is not a row


@pytest.mark.asyncio
async def test_the_row_under_the_cursor_is_announced_when_a_refresh_changes_it() -> None:
    seen: list[str | None] = []

    class Watching(OneTable):
        def on_keyed_table_row_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
            seen.append(event.row_key)

    table = KeyedTable(("Host", "IP", "Value"), id="t")
    app = Watching(table)
    async with app.run_test(size=(80, 12)) as pilot:
        table.apply(rows(10))
        await pilot.pause()
        table.move_cursor(row=4)
        await pilot.pause()
        assert seen[-1] == "k00004"
        gone = rows(10)
        del gone["k00004"]  # the row under the cursor goes: the next one is under it now
        table.apply(gone)
        await pilot.pause()
        assert table.cursor_row == 4 and seen[-1] == "k00005"
        table.apply({k: (*v[:2], "new") for k, v in gone.items()})  # cells only
        await pilot.pause()
        assert seen[-1] == "k00005" and seen.count("k00005") == 1


@pytest.mark.asyncio
async def test_rows_given_before_the_table_is_mounted_are_shown_once_it_is() -> None:
    class Late(App[None]):
        def on_mount(self) -> None:
            table = KeyedTable(("Host", "IP", "Value"), id="late")
            table.apply(rows(5))
            self.mount(table)

    app = Late()
    async with app.run_test(size=(80, 12)) as pilot:
        await pilot.pause()
        table = app.query_one("#late", KeyedTable)
        assert table.row_count == 5
        assert screen_lines(table)[5].split() == ["host0", "10.0.0.4", "v"]


@pytest.mark.asyncio
async def test_a_wide_table_scrolls_sideways_and_keeps_the_header_over_its_column() -> None:
    table = KeyedTable(("Host", "IP", "Value"), id="t")
    app = OneTable(table)
    async with app.run_test(size=(30, 10)) as pilot:
        data = {k: (h, ip, "x" * 60) for k, (h, ip, _) in rows(20).items()}
        table.apply(data)
        table.focus()
        await pilot.pause()
        assert table.column_width("Value") == 60
        assert "Host" in screen_lines(table)[0]
        for _ in range(10):
            await pilot.press("right")
        assert table.scroll_x > 0
        header, first = screen_lines(table)[:2]
        assert "Host" not in header and "x" in first
        assert header.index("Value") == first.index("x")  # still lined up
