"""A DataTable that is only ever updated by a keyed diff, never cleared.

Clearing a table on refresh resets the cursor to (0, 0) and the scroll to the top, which
is maddening in a console kept open all day. This table keeps the rows it shows, diffs
each refresh against them (``tablediff.diff_rows``) and applies only the difference, then
puts the cursor back on the same row key with the same distance from the top.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

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

    def on_mount(self) -> None:
        for name in self._column_names:
            self.add_column(name, key=name)

    @property
    def shown(self) -> dict[str, Row]:
        """The rows as currently shown, by key (what the next diff compares against)."""
        return self._rows

    @property
    def cursor_key(self) -> str | None:
        if not self._rows or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None
        return key

    def apply(self, rows: dict[str, Row]) -> RowDiff:
        """Bring the table to ``rows`` (already in display order) by a keyed diff."""
        diff = diff_rows(self._rows, rows)
        if diff.empty:
            return diff
        cursor_key = self.cursor_key
        old_index = self.cursor_row
        old_scroll = self.scroll_y
        was_empty = not self._rows
        with self.app.batch_update():
            for key in diff.removed:
                self.remove_row(key)
            widest: dict[int, tuple[int, str, Text]] = {}
            for key, col, cell in diff.changed:
                text = render_cell(cell)
                self.update_cell(key, self._column_names[col], text)
                if text.cell_len > widest.get(col, (-1, "", text))[0]:
                    widest[col] = (text.cell_len, key, text)
            # A cell that grows ("trop04" -> "trop04 stale 42s") widens its column, or the
            # words that carry the meaning would be cut off. Only the widest changed cell of
            # a column, and only when it is wider than the column: asking Textual to fit
            # every changed cell makes it re-measure the whole column for each cell that got
            # narrower (minutes on 10 000 rows). Columns never shrink during a refresh.
            for col, (width, key, text) in widest.items():
                name = self._column_names[col]
                if width > self.columns[name].content_width:
                    self.update_cell(key, name, text, update_width=True)
            for key, row in diff.added:
                self.add_row(*(render_cell(c) for c in row), key=key)
            self._rows = dict(rows)
            if diff.added and not was_empty and not self._added_at_end(diff, rows):
                columns = [self._column_names[i] for i in self._sort_columns]
                self.sort(
                    *columns,
                    key=lambda values: row_sort_key(
                        tuple(
                            v.plain for v in (values if isinstance(values, tuple) else (values,))
                        ),
                    ),
                )
            if cursor_key is not None and cursor_key in self._rows:
                new_index = self.get_row_index(cursor_key)
                if new_index != old_index:
                    self.move_cursor(row=new_index, scroll=False)
                    self.scroll_to(
                        y=max(0.0, old_scroll + new_index - old_index),
                        animate=False,
                        immediate=True,
                    )
        return diff

    @staticmethod
    def _added_at_end(diff: RowDiff, rows: dict[str, Row]) -> bool:
        keys = list(rows)
        tail = keys[len(keys) - len(diff.added) :]
        return [key for key, _ in diff.added] == tail
