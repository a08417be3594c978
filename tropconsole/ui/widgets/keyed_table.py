"""A keyed, virtual table: holds rows as data, paints only the rows on screen.

The console's tables hold up to tens of thousands of lease rows and are refreshed every
second. Textual's ``DataTable`` keeps a renderable per cell and re-indexes, re-measures
and re-sorts every row after a change, which on 10 000 rows costs tens of milliseconds
on the event loop, so a key pressed meanwhile waits. This table keeps plain row tuples
in display order; a refresh is a keyed diff (``tablediff.diff_rows``) that touches only
the cells that changed, and a frame renders the header plus the few dozen rows that fit
on screen (Textual's line API). Nothing grows with the row count except the diff.

A refresh never clears the table: the cursor stays on the same row key, at the same
distance from the top, and the scroll position follows it. Columns are as wide as their
widest cell and never shrink while the table lives, so the layout does not jump when a
long cell ("trop04 stale 2m") goes away.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tropconsole.view.tablediff import Cell, Row, RowDiff, cell_text, diff_rows

PADDING = 1  # blank cells either side of every cell's text, as DataTable draws them


def render_cell(cell: Cell) -> Text:
    if isinstance(cell, str):
        return Text(cell, no_wrap=True, overflow="ellipsis")
    text, style = cell
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


class KeyedTable(ScrollView, can_focus=True):
    """Rows by key, in the order given; a row cursor that stays on its key."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"keyed-table--header", "keyed-table--cursor"}
    # The look of Textual's DataTable, which this table replaced.
    DEFAULT_CSS = """
    KeyedTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        &:focus {
            background-tint: $foreground 5%;
            & > .keyed-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .keyed-table--header { background-tint: $foreground 5%; }
        }
        & > .keyed-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .keyed-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .keyed-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first_row", "First row", show=False),
        Binding("end,ctrl+end", "last_row", "Last row", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
    ]

    class RowHighlighted(Message):
        """The cursor is on another row (moved, or a refresh put another row under it)."""

        def __init__(self, table: KeyedTable, cursor_row: int, row_key: str | None) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row
            self.row_key = row_key

        @property
        def control(self) -> KeyedTable:
            return self.table

    def __init__(
        self,
        columns: tuple[str, ...],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._column_names = columns
        self._rows: dict[str, Row] = {}
        self._keys: list[str] = []  # display order
        self._index: dict[str, int] | None = None  # key -> position, built on demand
        self._widths = [cell_len(name) for name in columns]  # content width per column
        self.cursor_row = 0
        self._highlighted: str | None = None  # the key last announced by RowHighlighted
        # Painting: the styles (computing them is dear, and they change only with the CSS,
        # the theme or the focus) and the lines last painted, by (row key, cursor or not).
        self._styles: tuple[Style, Style, Style] | None = None
        self._lines: dict[tuple[str, bool], tuple[Row, Strip]] = {}

    # --- what is shown -----------------------------------------------------------------

    @property
    def shown(self) -> dict[str, Row]:
        """The rows as shown, by key, in display order (what the next diff compares to)."""
        return self._rows

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def cursor_key(self) -> str | None:
        if 0 <= self.cursor_row < len(self._keys):
            return self._keys[self.cursor_row]
        return None

    def get_row_index(self, key: str) -> int:
        """Position of the row ``key``; KeyError when the table does not hold it."""
        if self._index is None:
            self._index = {k: i for i, k in enumerate(self._keys)}
        return self._index[key]

    def get_row_at(self, index: int) -> list[Text]:
        """The cells of the row at ``index``, as painted (text and style)."""
        return self.get_row(self._keys[index])

    def get_row(self, key: str) -> list[Text]:
        """The cells of the row ``key``, as painted (text and style)."""
        return [render_cell(cell) for cell in self._rows[key]]

    def column_width(self, name: str) -> int:
        """Content width of a column (its widest cell or its title), padding not counted."""
        return self._widths[self._column_names.index(name)]

    # --- the console's door --------------------------------------------------------------

    def apply(self, rows: dict[str, Row]) -> RowDiff:
        """Bring the table to ``rows`` (already in display order) by a keyed diff; the
        cursor stays on its row key. Returns what changed."""
        diff = diff_rows(self._rows, rows)
        keys = list(rows)
        reordered = keys != self._keys
        if diff.empty and not reordered:
            return diff
        key, old_index, old_scroll = self.cursor_key, self.cursor_row, self.scroll_y
        widened = self._widen((row for _, row in diff.added), diff.changed)
        self._rows = dict(rows)
        if reordered:
            self._keys = keys
            self._index = None
        self._resize()
        if key is not None and key in self._rows:
            new_index = self.get_row_index(key)
            self.cursor_row = new_index
            if new_index != old_index:
                self._scroll_rows(old_scroll + new_index - old_index)
        else:
            self.cursor_row = max(0, min(self.cursor_row, len(self._keys) - 1))
        if widened:
            self._lines.clear()
        if reordered or widened or self.cursor_row != old_index:
            self.refresh()
        else:  # only cells changed: repaint their lines if they are on screen
            self._refresh_rows({k for k, _, _ in diff.changed})
        self._announce()
        return diff

    def _widen(self, added: Iterable[Row], changed: tuple[tuple[str, int, Cell], ...]) -> bool:
        """Grow the columns to fit the new cells; True when one grew."""
        widths = self._widths
        before = list(widths)
        cells = chain(
            ((col, cell) for row in added for col, cell in enumerate(row)),
            ((col, cell) for _, col, cell in changed),
        )
        for col, cell in cells:
            text = cell_text(cell)
            # A character is one or two cells wide: most texts are known to fit unmeasured.
            if 2 * len(text) > widths[col] and cell_len(text) > widths[col]:
                widths[col] = cell_len(text)
        return widths != before

    def _resize(self) -> None:
        width = sum(self._widths) + 2 * PADDING * len(self._widths)
        size = Size(width, len(self._keys) + 1)  # + the header line
        if size != self.virtual_size:
            self.virtual_size = size

    def _refresh_rows(self, keys: set[str]) -> None:
        """Repaint the lines of the rows ``keys`` that are on screen (a page, not all)."""
        top = int(self.scroll_y)
        for index, key in enumerate(self._keys[top : top + self._page], top):
            if key in keys:
                self.refresh_line(index + 1)  # line 0 is the header

    # --- the cursor ----------------------------------------------------------------------

    @property
    def _page(self) -> int:
        """Rows visible below the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        """Put the cursor on row ``row`` (clamped); scroll it into view unless told not."""
        old = self.cursor_row
        self.cursor_row = max(0, min(row, len(self._keys) - 1))
        if scroll:
            top = self.scroll_y
            if self.cursor_row < top:
                self._scroll_rows(self.cursor_row)  # scrolling repaints the whole view
            elif self.cursor_row >= top + self._page:
                self._scroll_rows(self.cursor_row - self._page + 1)
        if self.cursor_row != old:
            self.refresh_line(old + 1)  # two lines change: the old and the new cursor row
            self.refresh_line(self.cursor_row + 1)
        self._announce()

    def _scroll_rows(self, top: float) -> None:
        limit = max(0, len(self._keys) + 1 - self.scrollable_content_region.height)
        self.scroll_to(y=max(0.0, min(float(top), float(limit))), animate=False, immediate=True)

    def _announce(self) -> None:
        key = self.cursor_key
        if key != self._highlighted:
            self._highlighted = key
            if self.is_mounted:
                self.post_message(self.RowHighlighted(self, self.cursor_row, key))

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - self._page)

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self._page)

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=len(self._keys) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return  # the header, or the scrollbars
        row = int(self.scroll_y) + offset.y - 1
        if row < len(self._keys):
            self.move_cursor(row=row)

    # --- painting (only what is on screen) -----------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._forget_styles()

    def on_focus(self) -> None:
        self._forget_styles()

    def on_blur(self) -> None:
        self._forget_styles()

    def _forget_styles(self) -> None:
        self._styles = None
        self._lines.clear()

    def render_line(self, y: int) -> Strip:
        if self._styles is None:
            base = self.rich_style
            header = base + self.get_component_rich_style("keyed-table--header")
            cursor = self.get_component_rich_style("keyed-table--cursor")
            self._styles = (base, header, cursor)
        base, header, cursor = self._styles
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        if y == 0:
            strip, line = self._strip(self._column_names, header, None), header
        else:
            index = scroll_y + y - 1
            if index >= len(self._keys):
                return Strip.blank(width, base)
            key = self._keys[index]
            row = self._rows[key]
            on_cursor = index == self.cursor_row
            cached = self._lines.get((key, on_cursor))
            if cached is not None and cached[0] is row:
                strip = cached[1]
            else:
                strip = self._strip(row, base, cursor if on_cursor else None)
                if len(self._lines) > 4 * self._page + 64:
                    self._lines.clear()  # a few screens' worth, not every row scrolled past
                self._lines[key, on_cursor] = (row, strip)
            line = base + cursor if on_cursor else base
        # The header and the cursor row reach the right edge, as in DataTable.
        return strip.crop_extend(scroll_x, scroll_x + width, line)

    def _strip(self, cells: Iterable[Cell], base: Style, cursor: Style | None) -> Strip:
        """One line: every cell padded to its column's width. On the cursor row the
        cursor's colours win over the cell's, as in DataTable."""
        pad = " " * PADDING
        segments = []
        row_style = base if cursor is None else base + cursor
        over = None if cursor is None else Style(color=cursor.color, bgcolor=cursor.bgcolor)
        for cell, width in zip(cells, self._widths, strict=True):
            if isinstance(cell, str):
                text, style = cell, row_style
            else:
                text = cell[0]
                style = row_style + Style.parse(cell[1])
                if over is not None:
                    style += over
            fill = width - cell_len(text)
            if fill < 0:
                text = text[: max(0, width - 1)] + "…"
                fill = width - cell_len(text)
            segments.append(Segment(f"{pad}{text}{' ' * fill}{pad}", style))
        return Strip(segments)
