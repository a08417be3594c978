"""Large table updates in slices: the same table as at once, the cursor on its row."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from textual.app import App, ComposeResult

from tropconsole.ui.tablediff import row_sort_key
from tropconsole.ui.widgets.keyed_table import KeyedTable

Rows = dict[str, tuple[str, ...]]


class SlicedTable(KeyedTable):
    """Every diff sliced, one row operation per slice: the most interleaving there is."""

    SYNC_OPS = 0
    SLICE_SECONDS = 0.0
    YIELD_SECONDS = 0.003
    ADDS_PER_SLICE = 1
    slices = 0

    def _slice(self, steps: Iterator[int]) -> bool:
        self.slices += 1
        return super()._slice(steps)


class TwoTables(App[None]):
    def compose(self) -> ComposeResult:
        yield SlicedTable(("Host", "IP", "Value"), sort_columns=(0, 1), id="sliced")
        yield KeyedTable(("Host", "IP", "Value"), sort_columns=(0, 1), id="once")


def ordered(data: Rows) -> Rows:
    return dict(sorted(data.items(), key=lambda kv: row_sort_key(kv[1], (0, 1))))


def rows(n: int, tag: str = "") -> Rows:
    return ordered({f"k{i}": (f"host{i % 4}", f"10.0.0.{i}", f"v{tag}") for i in range(n)})


def content(table: KeyedTable) -> list[tuple[str, list[str]]]:
    """What the table shows, top to bottom: row key and cell texts."""
    out = []
    for i in range(table.row_count):
        key = table.coordinate_to_cell_key((i, 0)).row_key.value
        assert key is not None
        out.append((key, [str(cell) for cell in table.get_row_at(i)]))
    return out


async def sliced_until_done(pilot: object, table: KeyedTable, key: str | None) -> None:
    """Let the slices run; between two of them the cursor must still be on ``key``."""
    for _ in range(20_000):
        if not table.pending:
            break
        await asyncio.sleep(0.001)  # between two slices
        if key is not None and key in table.shown:
            assert table.cursor_key == key
    else:
        raise AssertionError("the sliced update never finished")
    await pilot.pause()  # type: ignore[attr-defined]


def next_rows(first: Rows) -> Rows:
    """Rows above the cursor gone, cells changed and grown, rows added out of place."""
    second = {k: (h, ip, "changed and longer") for k, (h, ip, _) in first.items()}
    for gone in ["k0", "k4", "k8", "k13"]:
        del second[gone]
    for i in range(100, 112):
        second[f"n{i}"] = ("host1", f"10.0.1.{i}", "new")  # belong in the middle
    return ordered(second)


@pytest.mark.asyncio
async def test_a_sliced_update_leaves_the_table_as_an_update_at_once_would() -> None:
    app = TwoTables()
    async with app.run_test(size=(100, 30)) as pilot:
        sliced = app.query_one("#sliced", SlicedTable)
        once = app.query_one("#once", KeyedTable)
        first = rows(40)
        sliced.show(first)
        once.apply(first)
        await sliced_until_done(pilot, sliced, None)
        assert sliced.slices >= 40  # it really was sliced, a row at a time
        assert content(sliced) == content(once)
        sliced.move_cursor(row=25)
        once.move_cursor(row=25)
        await pilot.pause()
        key = sliced.cursor_key
        assert key is not None and key == once.cursor_key

        second = next_rows(first)
        sliced.show(second)
        once.apply(second)
        await sliced_until_done(pilot, sliced, key)
        assert content(sliced) == content(once)
        assert list(sliced.shown) == list(second)
        assert sliced.cursor_key == once.cursor_key == key
        assert sliced.cursor_row == once.cursor_row
        assert sliced.columns["Value"].content_width >= len("changed and longer")


@pytest.mark.asyncio
async def test_a_newer_update_during_a_sliced_one_takes_over() -> None:
    app = TwoTables()
    async with app.run_test(size=(100, 30)) as pilot:
        sliced = app.query_one("#sliced", KeyedTable)
        once = app.query_one("#once", KeyedTable)
        first = rows(30)
        sliced.show(first)
        for _ in range(5):
            await asyncio.sleep(0.001)
        assert sliced.pending and 0 < sliced.row_count < 30  # part-way through
        final = next_rows(rows(30, tag="x"))
        sliced.show(final)
        once.apply(final)
        await sliced_until_done(pilot, sliced, None)
        assert content(sliced) == content(once)


@pytest.mark.asyncio
async def test_many_rows_going_at_once_rebuild_the_table_and_keep_the_cursor() -> None:
    app = TwoTables()
    async with app.run_test(size=(100, 30)) as pilot:
        sliced = app.query_one("#sliced", KeyedTable)
        once = app.query_one("#once", KeyedTable)
        sliced.show(rows(60))
        once.apply(rows(60))
        await sliced_until_done(pilot, sliced, None)
        sliced.move_cursor(row=sliced.get_row_index("k9"))
        await pilot.pause()
        host1 = ordered({k: v for k, v in rows(60).items() if v[0] == "host1"})  # k9 is one
        sliced.show(host1)
        once.apply(host1)
        await sliced_until_done(pilot, sliced, None)
        assert content(sliced) == content(once)
        assert sliced.cursor_key == "k9"


@pytest.mark.asyncio
async def test_rows_given_before_the_table_is_mounted_are_shown_once_it_is() -> None:
    class Late(App[None]):
        def on_mount(self) -> None:
            table = KeyedTable(("Host", "IP", "Value"), sort_columns=(0, 1), id="late")
            table.show(rows(5))  # not mounted yet: no columns to add rows to
            self.mount(table)

    app = Late()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.query_one("#late", KeyedTable)
        assert list(table.shown) == list(rows(5)) and table.row_count == 5
