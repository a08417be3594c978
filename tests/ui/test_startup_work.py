"""What the console leaves out of its start-up, and that it still works when it is needed:
the reservation service, the views not shown, the filter box, the row builder's memory."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import AUTHOR, frozen
from uikit import form_checked, open_form, settle, until

from bench.synthetic import fleet
from tropconsole.core.live import FleetSnapshot
from tropconsole.core.service import ReservationService
from tropconsole.ui.app import create_app
from tropconsole.ui.runtime import ConsoleRuntime
from tropconsole.view.build import RowBuilder, build_all
from tropconsole.view.common import View

SIZE = (120, 36)


class HeldSource:
    """The demo fleet, its polls held until the test lets them go."""

    def __init__(self, source: object) -> None:
        self.source = source
        self.release = threading.Event()
        self.read_only = False

    @property
    def host_names(self) -> tuple[str, ...]:
        return self.source.host_names  # type: ignore[attr-defined,no-any-return]

    def poll(self) -> FleetSnapshot:
        self.release.wait(30)
        return self.source.poll()  # type: ignore[attr-defined,no-any-return]

    def applier(self) -> object:
        return self.source.applier()  # type: ignore[attr-defined]

    def sync_applier(self) -> object:
        return self.source.sync_applier()  # type: ignore[attr-defined]

    def close(self) -> None:
        self.release.set()


@pytest.mark.asyncio
async def test_the_service_is_built_by_the_first_poll_and_serves_the_form(make_console) -> None:
    console = make_console()
    built: list[ReservationService] = []

    def factory() -> ReservationService:
        service = ReservationService(console.repo, applier=console.source.applier(), author=AUTHOR)
        built.append(service)
        return service

    source = HeldSource(console.source)
    app = create_app(
        source,
        factory,
        read_only=False,
        clock=frozen,
        demo=True,
        cursor_blink=False,
        autopoll=False,
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await until(pilot, lambda: app.polling)  # the first poll is waiting on its source
        assert built == []  # painted, polling, and still no service
        source.release.set()
        await settle(pilot)
        assert len(built) == 1 and app.config is not None
        await open_form(pilot)
        await form_checked(pilot)
        assert type(app.screen).__name__ == "ReservationForm"
        assert len(built) == 1  # the form used the same one


@pytest.mark.asyncio
async def test_a_read_only_console_refuses_a_writable_service_when_it_is_built(
    make_console,
) -> None:
    console = make_console(read_only=True)
    app = create_app(
        console.source,
        lambda: ReservationService(console.repo),
        read_only=True,
        clock=frozen,
        autopoll=False,
    )
    with pytest.raises(ValueError, match="read-only"):
        _ = app.service


@pytest.mark.asyncio
async def test_hidden_views_are_built_when_shown_with_the_latest_rows(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not app.main.query("#table-leases")  # not built for the first frame
        assert not app.main.query("#filter")
        await pilot.press("3")
        await settle(pilot)
        table = app.main.table()
        assert table.id == "table-leases" and app.focused is table
        assert table.row_count == 32 and list(table.shown) == list(app.main._rows[View.LEASES].rows)
        await pilot.press("slash")
        await pilot.press(*"trop02")
        await pilot.press("enter")
        await settle(pilot)
        assert {str(table.get_row_at(i)[0]) for i in range(table.row_count)} == {"trop02"}
        await pilot.press("1")  # the Bridges view catches up with the filter when shown
        await settle(pilot)
        bridges = app.main.table()
        assert {str(bridges.get_row_at(i)[0]) for i in range(bridges.row_count)} == {"trop02"}


def test_the_row_builder_gives_the_same_rows_and_keeps_unchanged_ones() -> None:
    now = 1_800_000_000.0
    snap = fleet(4, 400, now - 90)  # every lease expires in 58.5 minutes
    builder = RowBuilder()
    first = builder.build(snap, None, now)
    expected = build_all(snap, None, now)
    assert list(first) == list(expected)
    for view in expected:
        assert list(first[view].rows.items()) == list(expected[view].rows.items())
        assert first[view].targets == expected[view].targets
    again = builder.build(snap, None, now + 5)  # same leases, same minute of expiry
    key = next(iter(again[View.LEASES].rows))
    assert again[View.LEASES].rows[key] is first[View.LEASES].rows[key]
    later = builder.build(snap, None, now + 600)  # ten minutes on: expiry cells changed
    assert later[View.LEASES].rows == build_all(snap, None, now + 600)[View.LEASES].rows


GC_PROBE = """
import gc, json
from tropconsole.ui.runtime import GcPolicy
policy = GcPolicy()
policy.starting()
out = {"disabled_while_starting": not gc.isenabled()}
policy.started()
out["enabled_after"] = gc.isenabled()
out["frozen_at_start"] = gc.get_freeze_count() > 0
counts = []
for rows in (500, 1999, 2000, 3000, 3999, 4000, 9000):
    before = policy.freezes
    policy.rows_held(rows)
    counts.append(policy.freezes - before)
out["freezes"] = counts
out["young_threshold"] = gc.get_threshold()[0]
out["oldest_threshold"] = gc.get_threshold()[2]
# full collections: only from idle(), when due and the keys are quiet, or overdue
full = lambda: gc.get_stats()[2]["collections"]
now = [policy.last_full]
policy._clock = lambda: now[0]
ran = []
# (seconds since the last full collection, seconds since the last key)
for since, quiet in ((30, 100), (61, 0.5), (61, 100), (700, 0), (1, 100)):
    now[0] = policy.last_full + since
    before = full()
    done = policy.idle(now[0] - quiet)
    ran.append([done, full() - before])
out["idle"] = ran
policy.stopped()
out["restored"] = gc.get_threshold()
print(json.dumps(out))
"""


def test_the_gc_policy_freezes_after_start_up_and_when_rows_double() -> None:
    # In a child interpreter: freezing is interpreter-wide, and this one runs the tests.
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    out = json.loads(done.stdout)
    assert out["disabled_while_starting"] and out["enabled_after"] and out["frozen_at_start"]
    assert out["freezes"] == [0, 0, 1, 0, 0, 1, 1]
    assert out["young_threshold"] >= 10_000
    assert out["oldest_threshold"] >= 1_000_000  # CPython starts no full collection itself
    assert out["idle"] == [
        [False, 0],  # 30 s after the last: not due
        [False, 0],  # due, but a key came half a second ago
        [True, 1],  # due and the keys quiet: one full collection, really run
        [True, 1],  # overdue: runs even with a key just now
        [False, 0],  # one ran a second ago
    ]
    assert out["restored"] == [700, 10, 10]  # CPython's defaults again once stopped


def test_the_row_builder_works_from_the_poll_workers_thread() -> None:
    builder = RowBuilder()
    snap = fleet(2, 50, time.time())
    results: list[int] = []
    thread = threading.Thread(
        target=lambda: results.append(len(builder.build(snap, None, time.time())[View.LEASES].rows))
    )
    thread.start()
    thread.join(10)
    assert results == [50]


class RecordingPolicy:
    """Notes how many frames of the main screen were painted when the app told the
    garbage-collector policy that start-up is over."""

    def __init__(self, painted: list[float]) -> None:
        self.painted = painted
        self.frames_before: list[int] = []
        self.offers: list[float] = []  # last key times the app gave ``idle``

    def started(self) -> None:
        self.frames_before.append(len(self.painted))

    def rows_held(self, rows: int) -> None:
        pass

    def idle(self, last_key: float) -> bool:
        self.offers.append(last_key)
        return False


def policy_app(console: Any, policy: RecordingPolicy, runtime: ConsoleRuntime | None = None) -> Any:
    return create_app(
        console.source,
        console.service,
        read_only=False,
        clock=frozen,
        demo=True,
        cursor_blink=False,
        autopoll=False,
        runtime=runtime or ConsoleRuntime(policy),
    )


@pytest.mark.asyncio
async def test_the_gc_freeze_waits_for_the_first_frame(make_console, monkeypatch) -> None:
    from textual.screen import Screen

    painted: list[float] = []
    paint = Screen._compositor_refresh

    def noting_paint(screen: Screen[object]) -> None:
        paint(screen)
        if type(screen).__name__ == "MainScreen":
            painted.append(time.monotonic())

    monkeypatch.setattr(Screen, "_compositor_refresh", noting_paint)
    policy = RecordingPolicy(painted)
    app = policy_app(make_console(), policy)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(policy.frames_before))
        await settle(pilot)
        # Once, and only once the main screen has been painted: the freeze holds the
        # interpreter for milliseconds and must not stand between start-up and frame one.
        assert len(policy.frames_before) == 1 and policy.frames_before[0] >= 1


@pytest.mark.asyncio
async def test_the_app_offers_full_collections_with_the_time_of_the_last_key(
    make_console,
) -> None:
    policy = RecordingPolicy([])
    runtime = ConsoleRuntime(policy)
    app = policy_app(make_console(), policy, runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await until(pilot, lambda: bool(policy.offers))  # the once-a-second offer runs
        before = runtime.last_key
        await pilot.press("down")
        assert runtime.last_key > before  # the app told the runtime of the key
        runtime._collect_when_idle()  # what that timer calls: the offer carries the key
        assert policy.offers[-1] == runtime.last_key


def test_the_lazy_source_hands_a_sync_the_real_sources_sync_applier(make_console) -> None:
    """``FleetSource.sync_applier`` through ``LazySource``: a sync builds the source (off
    the event loop, in its worker) and gets that source's applier; read-only gets none
    and builds nothing."""
    from tropconsole.cli.console import LazySource
    from tropconsole.demo import DemoApplier, DemoFleet

    demo = make_console().source
    built: list[object] = []

    def factory() -> DemoFleet:
        built.append(demo)
        return demo

    assert LazySource(factory, demo.host_names, read_only=True).sync_applier() is None
    assert built == []
    applier = LazySource(factory, demo.host_names, read_only=False).sync_applier()
    assert isinstance(applier, DemoApplier) and not applier.read_only
    assert built == [demo]
