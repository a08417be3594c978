"""Keyed diff of table rows: what a refresh must remove, add and change, nothing more.

Plain Python, no Textual: the console's tables apply the result with ``remove_row``,
``add_row(key=...)`` and ``update_cell`` so a refresh never clears a table (which would
reset the cursor), and a benchmark can time the diff on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress, repeat
from operator import is_not, ne

# A cell is its text, or (text, style) when colour carries meaning; the style is a
# Rich style string. Rows are tuples of cells, one per column, keyed by a stable id.
Cell = str | tuple[str, str]
Row = tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class RowDiff:
    removed: tuple[str, ...] = ()
    added: tuple[tuple[str, Row], ...] = ()
    changed: tuple[tuple[str, int, Cell], ...] = ()  # (row key, column index, new cell)

    @property
    def empty(self) -> bool:
        return not (self.removed or self.added or self.changed)


def diff_rows(old: Mapping[str, Row], new: Mapping[str, Row]) -> RowDiff:
    """Compare two keyed row sets. ``added`` keeps ``new``'s order; ``changed`` lists only
    the cells whose value differs, so 100 changed cells in 10 000 rows are 100 updates.

    A refresh mostly hands back the same keys and, for rows that did not change, the
    same row objects (``LeaseRows`` keeps them). That common case is found at C speed:
    the key sets compared as sets, the rows by identity; only rows that are not the same
    object are compared cell by cell."""
    if len(old) == len(new) and old.keys() == new.keys():
        removed: tuple[str, ...] = ()
        candidates: Iterable[str] = compress(new, map(is_not, new.values(), map(old.get, new)))
    else:
        removed = tuple(key for key in old if key not in new)
        candidates = new
    added: list[tuple[str, Row]] = []
    changed: list[tuple[str, int, Cell]] = []
    for key in candidates:
        row = new[key]
        before = old.get(key)
        if before is None:
            added.append((key, row))
        elif before != row:
            if len(before) != len(row):
                raise ValueError(f"row {key!r} changed width: {len(before)} -> {len(row)}")
            cols = list(compress(range(len(row)), map(ne, before, row)))
            changed.extend(zip(repeat(key), cols, map(row.__getitem__, cols), strict=False))
    return RowDiff(removed=removed, added=tuple(added), changed=tuple(changed))


def cell_text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell[0]


_DIGITS = re.compile(r"(\d+)")


@lru_cache(maxsize=1 << 16)
def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key where numbers compare as numbers: 192.168.202.8 before 192.168.202.10.
    Cached: the same host names, networks and addresses are sorted on every refresh."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in _DIGITS.split(text)
        if part
    )


def row_sort_key(
    row: Row, columns: tuple[int, ...] = ()
) -> tuple[tuple[tuple[int, int | str], ...], ...]:
    """Natural sort key of a row, on ``columns`` (all columns when empty)."""
    cells = [row[i] for i in columns] if columns else list(row)
    return tuple(natural_key(cell_text(cell)) for cell in cells)
