"""The keyed diff behind every table refresh, and the table that applies it."""

from __future__ import annotations

import random

import pytest
from textual.app import App, ComposeResult

from tropconsole.ui.widgets.keyed_table import KeyedTable
from tropconsole.view.tablediff import RowDiff, diff_rows, natural_key, row_sort_key


def rows(n: int, *, tag: str = "") -> dict[str, tuple[str, ...]]:
    return {f"k{i}": (f"host{i % 4}", f"192.168.202.{i}", f"v{tag}") for i in range(n)}


def test_identical_rows_give_an_empty_diff() -> None:
    assert diff_rows(rows(50), rows(50)).empty


def test_diff_names_removed_added_and_only_the_changed_cells() -> None:
    old = {"a": ("1", "x"), "b": ("2", "y"), "c": ("3", "z")}
    new = {"b": ("2", "Y"), "c": ("3", "z"), "d": ("4", "w")}
    diff = diff_rows(old, new)
    assert diff == RowDiff(removed=("a",), added=(("d", ("4", "w")),), changed=(("b", 1, "Y"),))


def test_a_styled_cell_changing_only_its_style_is_a_change() -> None:
    diff = diff_rows({"a": (("OK", "green"),)}, {"a": (("OK", "dim"),)})
    assert diff.changed == (("a", 0, ("OK", "dim")),)


def test_added_rows_keep_the_new_order() -> None:
    diff = diff_rows({}, {"z": ("1",), "a": ("2",), "m": ("3",)})
    assert [key for key, _ in diff.added] == ["z", "a", "m"]


def test_a_row_changing_width_is_a_bug_not_a_silent_update() -> None:
    with pytest.raises(ValueError, match="changed width"):
        diff_rows({"a": ("1", "2")}, {"a": ("1",)})


def test_100_changed_cells_in_10000_rows_are_100_updates() -> None:
    old = rows(10_000)
    new = dict(old)
    for i in range(0, 10_000, 100):
        host, ip, _ = new[f"k{i}"]
        new[f"k{i}"] = (host, ip, "changed")
    diff = diff_rows(old, new)
    assert len(diff.changed) == 100 and not diff.added and not diff.removed


def naive_diff(old: dict[str, tuple[str, ...]], new: dict[str, tuple[str, ...]]) -> RowDiff:
    """The diff by definition, every row compared cell by cell."""
    changed = [
        (key, col, cell)
        for key, row in new.items()
        if key in old
        for col, (was, cell) in enumerate(zip(old[key], row, strict=True))
        if was != cell
    ]
    return RowDiff(
        removed=tuple(k for k in old if k not in new),
        added=tuple((k, r) for k, r in new.items() if k not in old),
        changed=tuple(changed),
    )


def test_the_diff_is_the_same_for_kept_rows_and_for_equal_copies() -> None:
    """Rows a refresh kept are the same objects (compared by identity first); rows made
    again are equal copies, or changed ones: all three must come out right, with the
    same keys in a new order too, and with keys that come and go."""
    rng = random.Random(6)
    for _ in range(200):
        old = rows(rng.randint(0, 40))
        new: dict[str, tuple[str, ...]] = {}
        for key, row in old.items():
            fate = rng.random()
            if fate < 0.1:
                continue  # removed
            if fate < 0.4:
                row = (*row,)  # equal, not the same object
                assert row == old[key] and row is not old[key]
            elif fate < 0.6:
                row = (row[0], row[1], f"new{rng.randint(0, 2)}")
            new[key] = row
        for i in range(rng.randint(0, 3)):
            new[f"n{i}"] = ("h", str(i), "v")
        if rng.random() < 0.5 and len(new) == len(old):
            items = list(new.items())
            rng.shuffle(items)
            new = dict(items)
        assert diff_rows(old, new) == naive_diff(old, new)
        same_keys = {k: ((r[0], r[1], "x") if rng.random() < 0.3 else r) for k, r in old.items()}
        assert diff_rows(old, same_keys) == naive_diff(old, same_keys)


def test_natural_order_sorts_addresses_by_number() -> None:
    ips = ["192.168.202.10", "192.168.202.8", "192.168.202.64", "192.168.202.9"]
    assert sorted(ips, key=natural_key) == [
        "192.168.202.8",
        "192.168.202.9",
        "192.168.202.10",
        "192.168.202.64",
    ]
    assert row_sort_key(("trop02", "x"), (0,)) < row_sort_key(("trop10", "a"), (0,))


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(("Host", "IP", "Value"), id="t")


def ordered(data: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return dict(sorted(data.items(), key=lambda kv: row_sort_key(kv[1], (0, 1))))


@pytest.mark.asyncio
async def test_cursor_stays_on_its_row_when_rows_above_it_go_and_cells_change() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(KeyedTable)
        first = ordered(rows(40))
        table.apply(first)
        await pilot.pause()
        table.move_cursor(row=30)
        await pilot.pause()
        key = table.cursor_key
        before_scroll = table.scroll_y
        offset = table.cursor_row - before_scroll
        second = {k: (h, ip, "new") for k, (h, ip, _) in first.items()}
        for gone in list(second)[:5]:  # five rows above the cursor disappear
            del second[gone]
        diff = table.apply(ordered(second))
        await pilot.pause()
        assert len(diff.removed) == 5 and diff.changed
        assert table.cursor_key == key
        assert table.cursor_row == 25
        assert table.cursor_row - table.scroll_y == offset  # same place on screen
        assert table.row_count == 35


@pytest.mark.asyncio
async def test_rows_added_later_are_put_in_order_and_the_cursor_follows_its_row() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(KeyedTable)
        data = ordered({k: v for k, v in rows(20).items() if k != "k1"})
        table.apply(data)
        await pilot.pause()
        table.move_cursor(row=3)
        key = table.cursor_key
        table.apply(ordered(rows(20)))  # k1 comes back, it belongs near the top
        await pilot.pause()
        assert table.cursor_key == key
        painted = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert painted == [list(row) for row in ordered(rows(20)).values()]


@pytest.mark.asyncio
async def test_refresh_without_changes_touches_nothing() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.apply(ordered(rows(10)))
        await pilot.pause()
        table.move_cursor(row=7)
        assert table.apply(ordered(rows(10))).empty
        assert table.cursor_row == 7


@pytest.mark.asyncio
async def test_a_growing_cell_widens_its_column_by_its_cells_a_shrinking_one_keeps_it() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 20)) as pilot:
        table = app.query_one(KeyedTable)
        data = ordered(rows(10))
        table.apply(data)
        await pilot.pause()
        before = table.column_width("Value")
        key = next(iter(data))
        wide = dict(data)
        wide[key] = (*data[key][:2], "a much longer value that must not be cut")
        table.apply(wide)
        await pilot.pause()
        grown = table.column_width("Value")
        assert grown >= len("a much longer value that must not be cut") > before
        table.apply(data)
        await pilot.pause()
        # No shrink while refreshing: the layout does not jump, and no whole-column re-measure.
        assert table.column_width("Value") == grown
        # A double-width character takes two cells: fewer characters than the column is
        # wide can still be too wide for it.
        text = "観" * (grown // 2 + 1)
        table.apply({**data, key: (*data[key][:2], text)})
        await pilot.pause()
        assert len(text) <= grown < table.column_width("Value") == 2 * len(text)
        assert text in table.render_line(1 + table.get_row_index(key)).text


def test_lease_expiry_is_shown_in_minutes_so_a_refresh_does_not_touch_every_row() -> None:
    from tropconsole.view.leases import expires_text

    assert expires_text(None, 0) == "never"
    assert expires_text(100, 100) == "expired"
    assert expires_text(130, 100) == "in <1m"
    assert expires_text(100 + 59 * 60 + 55, 100) == "in 59m"
    assert expires_text(100 + 59 * 60 + 55, 105) == expires_text(100 + 59 * 60 + 55, 100)
    assert expires_text(100 + 3600 + 5 * 60, 100) == "in 1h05m"
