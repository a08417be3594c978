"""A DataTable that is only ever updated by a keyed diff, never cleared on a refresh.

Clearing a table on refresh resets the cursor to (0, 0) and the scroll to the top, which
is maddening in a console kept open all day. This table keeps the rows it shows, diffs
each refresh against them (``tablediff.diff_rows``) and applies only the difference, then
puts the cursor back on the same row key with the same distance from the top.

``show(rows)`` is what the console uses: a small diff is applied at once, a large one (a
10 000-row table whose expiry column turned over, a host going stale) in slices of a few
milliseconds that yield to the event loop in between, so a key pressed meanwhile is
answered within a frame. Between two slices the table is consistent row by row: each row
is either as it was or as it will be, ``shown`` says which, and the cursor stays on its
row. A newer ``show()`` during a sliced apply takes over from the rows shown so far.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tropconsole.ui.tablediff import Cell, Row, RowDiff, diff_rows, row_sort_key


def render_cell(cell: Cell) -> Text:
    if isinstance(cell, str):
        return Text(cell, no_wrap=True, overflow="ellipsis")
    text, style = cell
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


class KeyedTable(DataTable[Text]):
    DEFAULT_CSS = """
    KeyedTable { height: 1fr; }
    """

    # A diff of at most this many row operations is applied in one go (the demo's and
    # most real refreshes); larger ones are sliced.
    SYNC_OPS = 800
    # Work done per slice before yielding, and how long the event loop then has for
    # keys and painting: a key waits for at most one slice. Every slice also costs the
    # next paint a pass over all rows (Textual re-indexes a table whose rows changed), so
    # slices are few and far enough apart for frames without that cost in between.
    SLICE_SECONDS = 0.006
    YIELD_SECONDS = 0.012
    # Rows added per slice: Textual measures each new row's cells when the table is next
    # idle (after the slice), which costs several times the adding itself.
    ADDS_PER_SLICE = 60
    # Removing a row costs Textual O(rows); past this many removals per kept row it is
    # cheaper to clear the table and add the rows back (the cursor is put back by key).
    REBUILD_RATIO = 0.02

    def __init__(
        self,
        columns: tuple[str, ...],
        *,
        sort_columns: tuple[int, ...] = (0,),
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self._column_names = columns
        self._sort_columns = sort_columns
        self._rows: dict[str, Row] = {}
        self._target: dict[str, Row] | None = None  # what show() asked for, not yet shown
        self._generation = 0  # bumped by every show()/apply(): a running slicer restarts
        self._slicing = False
        self._needs_sort = False  # rows were added out of place by a slice
        self._widest: dict[int, tuple[int, str]] = {}  # col -> widest changed cell (width, key)
        self._held_cursor: tuple[str | None, int, float] | None = None  # across a rebuild
        self._ready = False

    def on_mount(self) -> None:
        for name in self._column_names:
            self.add_column(name, key=name)
        self._ready = True
        if self._target is not None:
            self._start()

    @property
    def shown(self) -> dict[str, Row]:
        """The rows as currently shown, by key (what the next diff compares against)."""
        return self._rows

    @property
    def pending(self) -> bool:
        """True while rows given to ``show()`` are not all on screen yet."""
        return self._target is not None

    @property
    def cursor_key(self) -> str | None:
        if not self._rows or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None
        return key

    # --- the console's door: at once or in slices --------------------------------------

    def show(self, rows: dict[str, Row]) -> None:
        """Bring the table to ``rows`` (already in display order), sliced when large.
        Before the table is mounted the rows wait for it."""
        self._target = rows
        self._generation += 1
        if self._ready:
            self._start()

    def _start(self) -> None:
        if self._slicing:
            return  # the running slicer takes the new target at its next slice
        target = self._target
        assert target is not None
        diff = diff_rows(self._rows, target)
        if _cost(diff, len(self._rows)) <= self.SYNC_OPS and not self._needs_sort:
            self._target = None
            self._apply_diff(target, diff)
            return
        self._slicing = True
        self.run_worker(self._slices(), name="apply rows", group="table", exit_on_error=False)

    async def _slices(self) -> None:
        try:
            while self._target is not None:
                target, generation = self._target, self._generation
                steps = self._steps(diff_rows(self._rows, target), target)
                done = False
                while not done and generation == self._generation:
                    done = self._slice(steps)
                    await asyncio.sleep(self.YIELD_SECONDS)
                if done and generation == self._generation:
                    self._target = None
                    self._finish(target)
        finally:
            self._slicing = False

    def _slice(self, steps: Iterator[int]) -> bool:
        """Run steps until the slice's time (or its adds) is used; True when done."""
        deadline = time.perf_counter() + self.SLICE_SECONDS
        adds = 0
        cursor = self._cursor_state()
        try:
            with self.app.batch_update():
                for added in steps:
                    adds += added
                    if adds >= self.ADDS_PER_SLICE or time.perf_counter() > deadline:
                        return False
                return True
        finally:
            self._restore_cursor(cursor)

    def _steps(self, diff: RowDiff, target: dict[str, Row]) -> Iterator[int]:
        """One row operation per step; ``_rows`` always matches what the table holds."""
        if len(diff.removed) > self.REBUILD_RATIO * max(1, len(target)) + 8:
            if self._held_cursor is None:
                self._held_cursor = self._cursor_state()
            self.clear()
            self._rows = {}
            self._needs_sort = False
            for key, row in target.items():
                self.add_row(*(render_cell(c) for c in row), key=key)
                self._rows[key] = row
                yield 1
            return
        for key in diff.removed:
            self.remove_row(key)
            del self._rows[key]
            yield 0
        by_row: dict[str, list[tuple[int, Cell]]] = {}
        for key, col, cell in diff.changed:
            by_row.setdefault(key, []).append((col, cell))
        for key, cells in by_row.items():
            self._update_cells(key, cells)
            self._rows[key] = target[key]
            yield 0
        if diff.added and not _added_at_end(diff, target):
            self._needs_sort = True
        for key, row in diff.added:
            self.add_row(*(render_cell(c) for c in row), key=key)
            self._rows[key] = row
            yield 1

    def _finish(self, target: dict[str, Row]) -> None:
        cursor = self._held_cursor or self._cursor_state()
        self._held_cursor = None
        with self.app.batch_update():
            self._widen()
            if self._needs_sort:
                self._sort()
            self._needs_sort = False
            self._rows = dict(target)
            self._restore_cursor(cursor)

    # --- at once (tests, benchmarks, small refreshes) ----------------------------------

    def apply(self, rows: dict[str, Row]) -> RowDiff:
        """Bring the table to ``rows`` (already in display order) by a keyed diff, now."""
        self._target = None
        self._generation += 1
        self._held_cursor = None
        return self._apply_diff(rows, diff_rows(self._rows, rows))

    def _apply_diff(self, rows: dict[str, Row], diff: RowDiff) -> RowDiff:
        """The same row operations as a sliced update, all in one go."""
        if diff.empty and not self._needs_sort:
            return diff
        self._held_cursor = self._held_cursor or self._cursor_state()
        with self.app.batch_update():
            for _ in self._steps(diff, rows):
                pass
            self._finish(rows)
        return diff

    # --- pieces ------------------------------------------------------------------------

    def _update_cells(self, key: str, cells: list[tuple[int, Cell]]) -> None:
        for col, cell in cells:
            text = render_cell(cell)
            self.update_cell(key, self._column_names[col], text)
            if text.cell_len > self._widest.get(col, (-1, ""))[0]:
                self._widest[col] = (text.cell_len, key)

    def _widen(self) -> None:
        """A cell that grows ("trop04" -> "trop04 stale 42s") widens its column, or the
        words that carry the meaning would be cut off. Only the widest changed cell of a
        column, and only when it is wider than the column: asking Textual to fit every
        changed cell makes it re-measure the whole column for each cell that got narrower
        (minutes on 10 000 rows). Columns never shrink during a refresh."""
        widest, self._widest = self._widest, {}
        for col, (width, key) in widest.items():
            name = self._column_names[col]
            row = self._rows.get(key)
            if row is None or width <= self.columns[ColumnKey(name)].content_width:
                continue
            self.update_cell(key, name, render_cell(row[col]), update_width=True)

    def _sort(self) -> None:
        columns = [self._column_names[i] for i in self._sort_columns]
        self.sort(
            *columns,
            key=lambda values: row_sort_key(
                tuple(v.plain for v in (values if isinstance(values, tuple) else (values,))),
            ),
        )

    def _cursor_state(self) -> tuple[str | None, int, float]:
        return (self.cursor_key, self.cursor_row, self.scroll_y)

    def _restore_cursor(self, state: tuple[str | None, int, float]) -> None:
        """Keep the cursor on its row key, at the same distance from the top."""
        key, old_index, old_scroll = state
        if key is None or key not in self._rows:
            return
        try:
            new_index = self.get_row_index(key)
        except Exception:
            return  # not added back yet (a rebuild in progress)
        if new_index != old_index:
            self.move_cursor(row=new_index, scroll=False)
            self.scroll_to(
                y=max(0.0, old_scroll + new_index - old_index), animate=False, immediate=True
            )


def _cost(diff: RowDiff, rows: int) -> int:
    """Row operations weighted by what Textual makes of them: a removal re-indexes every
    row, an added row is measured cell by cell."""
    changed = len({key for key, _, _ in diff.changed})
    return len(diff.removed) * max(1, rows // 500) + 10 * len(diff.added) + changed


def _added_at_end(diff: RowDiff, rows: dict[str, Row]) -> bool:
    keys = list(rows)
    tail = keys[len(keys) - len(diff.added) :]
    return [key for key, _ in diff.added] == tail
