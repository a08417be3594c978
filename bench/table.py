"""Table section: a 100-cell keyed update of a 10 000-row Leases table vs one plain render.

Run as ``python -m bench.table [--rows 10000] [--changes 100] [--repeats R]``. A headless
Textual app (``App.run_test``, 120x36) holds the console's real ``KeyedTable`` (Leases
columns); its rows come from the console's real ``lease_rows`` on a synthetic 16-host
fleet. Timed, each to the painted frame (two ``wait_for_refresh`` rounds, so a frame
painted before any idle-time work is not mistaken for the last one):

* update: ``KeyedTable.apply(rows)`` where ``rows`` differ from the shown ones in exactly
  ``changes`` cells (the keyed diff, the changed cells, cursor kept), alternately there
  and back, in two variants: ``names`` (100 host names get longer, then shorter again)
  and ``addresses`` (100 leases move to shorter addresses, then back: cells narrower than
  the widest one in their column);
* plain render: the same table built from nothing, as a console without the keyed diff
  would on every refresh: a new ``KeyedTable`` mounted, all rows given, painted. The
  ratio is taken against this.
* reference: Textual's ``DataTable`` (the console's table until it was replaced),
  ``clear()``, ``add_row`` x rows (cells rendered by the console's ``render_cell``) and
  ``refresh()``: what a plain render costs a table that holds a renderable per cell.

Also, through the whole console (``create_app`` with a static source, frozen clock):
SnapshotReady -> painted frame for the first 10 000-lease snapshot, for one with 100 leases
changed, and for the same fleet 5 s later on a running clock (what a real refresh sees).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from bench.common import emit, log, median
from tropconsole.ui.runtime import set_frame_rate

SIZE = (120, 36)


async def painted(widget: Any) -> None:
    await widget.wait_for_refresh()
    await widget.wait_for_refresh()


def _rows(snap: Any, now: float) -> dict[str, Any]:
    from tropconsole.view.leases import lease_rows

    return lease_rows(snap, None, now).rows


async def table_level(n_rows: int, changes: int, repeats: int) -> dict[str, Any]:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from bench.synthetic import fleet, readdress_leases, rename_leases
    from tropconsole.ui.widgets.keyed_table import KeyedTable, render_cell
    from tropconsole.view.common import COLUMNS, View
    from tropconsole.view.tablediff import diff_rows

    now = time.time()
    snap0 = fleet(16, n_rows, now)
    t0 = time.perf_counter()
    rows0 = _rows(snap0, now)
    build_s = time.perf_counter() - t0
    variants = {
        "names": _rows(rename_leases(snap0, changes, "x"), now),
        "addresses": _rows(readdress_leases(snap0, changes), now),
    }
    rows1 = variants["names"]
    t0 = time.perf_counter()
    diff_rows(rows0, rows1)
    diff_s = time.perf_counter() - t0
    for rows_v in variants.values():
        d = diff_rows(rows0, rows_v)
        assert len(rows0) == n_rows and len(d.changed) == changes, (len(rows0), len(d.changed))
        assert not d.added and not d.removed
    columns = COLUMNS[View.LEASES]

    class PlainTable(DataTable[Any]):
        def on_mount(self) -> None:
            for name in columns:
                self.add_column(name, key=name)

    class One(App[None]):
        def __init__(self, table: Any) -> None:
            super().__init__()
            self.table = table

        def compose(self) -> ComposeResult:
            yield self.table

    out: dict[str, Any] = {
        "rows": n_rows,
        "changes": changes,
        "row_build_s": build_s,
        "diff_only_s": diff_s,
    }

    keyed = KeyedTable(columns)
    app = One(keyed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        t0 = time.perf_counter()
        keyed.apply(rows0)
        await painted(keyed)
        out["keyed_first_fill_s"] = time.perf_counter() - t0
        keyed.move_cursor(row=5000)
        await painted(keyed)
        cursor_key = keyed.cursor_key
        update: dict[str, list[float]] = {}
        update_sync: dict[str, list[float]] = {}
        for name, rows_v in variants.items():
            keyed.apply(rows0)
            await painted(keyed)
            update[name], update_sync[name] = [], []
            for i in range(repeats):
                target = rows_v if i % 2 == 0 else rows0
                t0 = time.perf_counter()
                d = keyed.apply(target)
                t1 = time.perf_counter()
                await painted(keyed)
                update[name].append(time.perf_counter() - t0)
                update_sync[name].append(t1 - t0)
                assert len(d.changed) == changes
        # on the same row (key); its index moves when the leases moved around it
        out["cursor_kept"] = keyed.cursor_key == cursor_key
        await pilot.pause()

    # Plain render: a new table each time, mounted, given every row, painted.
    app = One(KeyedTable(columns, id="first"))
    plain, plain_sync = [], []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for i in range(repeats):
            target = rows1 if i % 2 == 0 else rows0
            await app.query_one(KeyedTable).remove()
            fresh = KeyedTable(columns)
            t0 = time.perf_counter()
            await app.mount(fresh)
            fresh.apply(target)
            t1 = time.perf_counter()
            await painted(fresh)
            plain.append(time.perf_counter() - t0)
            plain_sync.append(t1 - t0)
        await pilot.pause()

    reference_table = PlainTable(cursor_type="row")
    app = One(reference_table)
    reference, reference_sync = [], []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for i in range(max(2, repeats // 2)):
            target = rows1 if i % 2 == 0 else rows0
            t0 = time.perf_counter()
            reference_table.clear()
            for key, row in target.items():
                reference_table.add_row(*(render_cell(c) for c in row), key=key)
            reference_table.refresh()
            t1 = time.perf_counter()
            await painted(reference_table)
            reference.append(time.perf_counter() - t0)
            reference_sync.append(t1 - t0)
        await pilot.pause()
    # Pair by pair: update i against plain render i.
    out.update(
        update=update,
        update_sync=update_sync,
        plain=plain,
        plain_sync=plain_sync,
        datatable_plain=reference,
        datatable_plain_sync=reference_sync,
        ratios={k: [u / p for u, p in zip(v, plain, strict=True)] for k, v in update.items()},
    )
    log(
        "table: update "
        + ", ".join(f"{k} {median(v) * 1000:.1f} ms" for k, v in update.items())
        + f"; plain {median(plain) * 1000:.1f} ms"
        + f"; DataTable plain {median(reference) * 1000:.1f} ms"
    )
    return out


async def console_level(n_rows: int, changes: int, repeats: int) -> dict[str, Any]:
    """The same change through the whole console: poll -> SnapshotReady -> show_fleet."""
    from bench.synthetic import StaticSource, fleet, rename_leases
    from tropconsole.ui.app import create_app
    from tropconsole.view.tablediff import diff_rows

    frozen = time.time()
    clock = {"now": frozen}
    snap0 = fleet(16, n_rows, frozen)
    source = StaticSource(snap0)
    app = create_app(
        source, None, read_only=True, clock=lambda: clock["now"], cursor_blink=False, autopoll=False
    )
    out: dict[str, Any] = {}

    async with app.run_test(size=SIZE) as pilot:
        while app.polls < 1:
            await asyncio.sleep(0.01)
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        table = app.screen.query_one("#table-leases")

        async def one(snap: Any) -> float:
            source.snapshot = snap
            before = app.polls
            t0 = time.perf_counter()
            app.refresh_now()
            while app.polls == before:
                await asyncio.sleep(0.0005)
            await painted(table)
            return time.perf_counter() - t0

        # first fill: a fresh console (only the first one is a fill); then 100-cell changes
        out["first_fill_note"] = "initial poll in on_mount (not timed); see update rows"
        upd = []
        for i in range(repeats):
            snap = rename_leases(snap0, changes, "y") if i % 2 == 0 else snap0
            upd.append(await one(snap))
        out["update"] = upd
        # a real refresh: same leases, the clock 5 s later (the Expires texts move)
        rows_a = _rows(snap0, clock["now"])
        clock["now"] += 5
        rows_b = _rows(snap0, clock["now"])
        out["clock_5s_changed_cells"] = len(diff_rows(rows_a, rows_b).changed)
        tick = []
        for _ in range(max(2, repeats // 2)):
            tick.append(await one(snap0))
            clock["now"] += 5
        out["clock_tick"] = tick
    log(
        f"console: 100-lease update {median(upd) * 1000:.1f} ms, "
        f"5 s clock tick {median(tick) * 1000:.1f} ms "
        f"({out['clock_5s_changed_cells']} cells change)"
    )
    return out


async def console_fill(n_rows: int, repeats: int) -> list[float]:
    """A fresh console's first 10 000-lease snapshot -> painted frame (the full render)."""
    from bench.synthetic import StaticSource, fleet
    from tropconsole.ui.app import create_app

    out = []
    for _ in range(repeats):
        now = time.time()
        source = StaticSource(fleet(16, 16, now))  # a tiny first poll: one lease per host
        app = create_app(
            source,
            None,
            read_only=True,
            clock=lambda now=now: now,
            cursor_blink=False,
            autopoll=False,
        )
        async with app.run_test(size=SIZE) as pilot:
            while app.polls < 1:
                await asyncio.sleep(0.01)
            await pilot.press("3")
            await pilot.pause()
            table = app.screen.query_one("#table-leases")
            source.snapshot = fleet(16, n_rows, now)
            t0 = time.perf_counter()
            app.refresh_now()
            while app.polls < 2:
                await asyncio.sleep(0.0005)
            await painted(table)
            out.append(time.perf_counter() - t0)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.table")
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-console", action="store_true")
    a = ap.parse_args(argv)
    fps = set_frame_rate()  # the console's, as run_console sets it (before Textual)
    result = {"table": asyncio.run(table_level(a.rows, a.changes, a.repeats))}
    if not a.no_console:
        result["console"] = asyncio.run(console_level(a.rows, a.changes, a.repeats))
        result["console"]["fill"] = asyncio.run(console_fill(a.rows, max(2, a.repeats // 2)))
    result["textual_fps"] = fps
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
