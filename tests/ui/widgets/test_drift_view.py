"""The Drift view on the demo fleet: findings, host counts, the fix key, lease export.

Drift is made the way it happens for real: a reservation committed to the demo's config
repo without applying it live (``apply=False``), so git has an entry that neither the
running nor the persistent network holds.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from textual.widgets import Input
from uikit import notices, settle, until

from tropconsole.core.export import COLUMNS
from tropconsole.core.findings import Kind
from tropconsole.core.models import ReservationRequest
from tropconsole.core.service import ReservationService
from tropconsole.ui.messages import SyncRequested
from tropconsole.ui.screens.export_leases import ExportLeases
from tropconsole.ui.screens.help import HelpScreen
from tropconsole.ui.screens.reservation_form import ReservationForm
from tropconsole.ui.screens.sync_confirm import SyncConfirm
from tropconsole.ui.widgets.drift_view import DriftView
from tropconsole.ui.widgets.host_panel import HostCard
from tropconsole.view.drift import DRIFT_SORT_COLUMNS
from tropconsole.view.drift_rows import compute_drift, drift_rows
from tropconsole.view.tablediff import row_sort_key

SIZE = (120, 36)
DRIFT_MAC = "52:54:00:02:02:10"  # the next free pair on trop02/default in the sample
NOT_APPLIED = f"trop02|not-applied|reservation|default|{DRIFT_MAC}|only in git"
UNRESERVED = "trop01|lease-unreserved|lease|default|52:54:00:02:01:40|only in leases"
WRONG_IP = "trop01|lease-wrong-ip|lease|default|52:54:00:02:01:0d|lease≠reservation"


def commit_without_applying(repo: Path) -> None:
    """A reservation in git that was never applied live: the drift a sync fixes."""
    service = ReservationService(repo, read_only=False, applier=None, author="drift <d@x.invalid>")
    result = service.add(ReservationRequest(host="trop02", network="default", name="drift01"))
    assert DRIFT_MAC in result.plan.subject  # the test's keys assume the sample's next pair


def live_xml(console, host: str = "trop02", network: str = "default") -> str:
    return console.source.connection(host).networkLookupByName(network).XMLDesc(0)


def card(app, host: str) -> str:
    return app.main.query_one(f"#host-{host}", HostCard).text.plain


async def open_drift_on(pilot, key: str) -> DriftView:
    """Drift tab, cursor on the finding ``key``."""
    await pilot.press("5")
    await pilot.pause()
    view = pilot.app.main.query_one(DriftView)
    table = view.table
    assert key in table.shown, f"no finding {key!r}; shown: {list(table.shown)}"
    table.move_cursor(row=table.get_row_index(key))
    await pilot.pause()
    return view


async def open_sync_of_the_commit(pilot) -> None:
    """After the first poll: the unapplied commit's finding, ``f``, its sync modal open."""
    await settle(pilot)
    await open_drift_on(pilot, NOT_APPLIED)
    await pilot.press("f")
    await until(pilot, lambda: isinstance(pilot.app.screen, SyncConfirm))


@pytest.mark.asyncio
async def test_drift_tab_shows_a_commit_not_applied_with_its_fix(make_console) -> None:
    console = make_console()
    commit_without_applying(console.repo)
    app = console.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = await open_drift_on(pilot, NOT_APPLIED)
        assert app.focused is view.table
        row = [str(c) for c in view.table.get_row(NOT_APPLIED)]
        assert row == [
            "▲ WARNING",
            "trop02",
            "default",
            "not-applied",
            DRIFT_MAC,
            "only in git",
            "f: sync git→live",
        ]
        detail = str(view.query_one("#drift-detail").render())
        assert "fix: commit not applied: tropconsole sync --host trop02 --network default" in detail
        summary = str(view.query_one("#drift-summary").render())
        assert summary.startswith("13 findings: 5 warning, 8 info")


@pytest.mark.asyncio
async def test_host_panel_counts_drift_in_words(make_console) -> None:
    console = make_console()
    commit_without_applying(console.repo)
    app = console.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # every demo host: one lease on a wrong IP (warning) and two unreserved (info)
        assert "drift 3!" in card(app, "trop01")
        assert "drift 4!" in card(app, "trop02")  # plus the commit not applied


@pytest.mark.asyncio
async def test_drift_view_follows_the_host_filter(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("5", "h", "h")
        await pilot.pause()
        table = app.main.table()
        hosts = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert hosts == {"trop02"} and table.row_count == 3


@pytest.mark.asyncio
async def test_fix_on_a_sync_finding_confirms_then_clears_it(make_console) -> None:
    console = make_console()
    commit_without_applying(console.repo)
    app = console.app
    async with app.run_test(size=SIZE) as pilot:
        await open_sync_of_the_commit(pilot)
        modal = app.screen
        await until(pilot, lambda: modal.plan is not None)
        plan = str(modal.query_one("#sync-plan").render())
        assert f"+ add    <host mac='{DRIFT_MAC}' ip='192.168.202.16' name='drift01'/>" in plan
        assert "virsh net-update default add-last ip-dhcp-host" in plan
        assert DRIFT_MAC not in live_xml(console)
        await pilot.press("y")
        await settle(pilot)
        await until(pilot, lambda: NOT_APPLIED not in app.main.query_one(DriftView).table.shown)
        assert DRIFT_MAC in live_xml(console)
        assert any("running and persistent now hold git's" in n for n in notices(app))
        assert "drift 3!" in card(app, "trop02")


@pytest.mark.asyncio
async def test_cancelling_the_sync_changes_nothing(make_console) -> None:
    console = make_console()
    commit_without_applying(console.repo)
    app = console.app
    async with app.run_test(size=SIZE) as pilot:
        await open_sync_of_the_commit(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, SyncConfirm)
        assert DRIFT_MAC not in live_xml(console)


@pytest.mark.asyncio
async def test_read_only_hides_and_refuses_the_fix(make_console) -> None:
    console = make_console(read_only=True)
    commit_without_applying(console.repo)
    app = console.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = await open_drift_on(pilot, NOT_APPLIED)
        main = app.main
        assert main.check_action("fix_drift", ()) is False  # hidden from footer and palette
        assert str(view.table.get_row(NOT_APPLIED)[-1]) == "read-only: sync git→live"
        assert "read-only: the console will not apply this fix" in str(
            view.query_one("#drift-detail").render()
        )
        await pilot.press("f")
        await settle(pilot)
        assert not isinstance(app.screen, SyncConfirm)
        assert any("read-only" in n.lower() for n in notices(app))
        # A sync that reaches the app anyway (a message, a script) is refused too.
        before = len(notices(app))
        config = app.config
        snapshot = app.snapshot
        assert config is not None and snapshot is not None
        git_net = config.host("trop02").network("default")
        live_net = snapshot.host("trop02").snapshot.network("default")
        app.post_message(SyncRequested("trop02", "default", git_net, live_net))
        await settle(pilot)
        assert len(notices(app)) > before and "read-only" in notices(app)[-1].lower()
        assert DRIFT_MAC not in live_xml(console)


@pytest.mark.asyncio
async def test_fix_on_an_unreserved_lease_opens_the_form_prefilled(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_drift_on(pilot, UNRESERVED)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ReservationForm))
        form = app.screen
        assert form.query_one("#mac", Input).value == "52:54:00:02:01:40"
        assert form.query_one("#ip", Input).value == "192.168.201.64"
        assert form.query_one("#name", Input).value == "scratch1a"


@pytest.mark.asyncio
async def test_fix_with_no_console_action_shows_the_fix_text(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_drift_on(pilot, WRONG_IP)
        await pilot.press("f")
        await pilot.pause()
        assert any("renew DHCP in the guest" in n for n in notices(app))


@pytest.mark.asyncio
async def test_fix_key_is_greyed_outside_the_drift_view_and_listed_in_help(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.main.check_action("fix_drift", ()) is None
        await pilot.press("5")
        assert app.main.check_action("fix_drift", ()) is True
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [
            "f",
            "Fix the drift finding under the cursor (sync git→live, reserve, or how)",
            "available",
        ] in rows
        assert any(r[0] == "e" and "Export the leases as CSV" in r[1] for r in rows)
        assert any(r[0] == "5" for r in rows)


@pytest.mark.asyncio
@pytest.mark.parametrize("read_only", [False, True])
async def test_palette_lists_fix_and_export_but_not_fix_when_read_only(
    make_console, read_only: bool
) -> None:
    from tropconsole.ui.commands import console_commands

    app = make_console(read_only=read_only).app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        names = [name for name, _help, _run in console_commands(app.main)]
        assert any(n.startswith("Export the leases as CSV") for n in names)
        assert any(n.startswith("Fix the drift finding") for n in names) is not read_only
        assert "Drift view" in names


@pytest.mark.asyncio
async def test_export_writes_the_leases_as_csv(make_console, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_console(read_only=True).app  # exporting reads the fleet: allowed read-only
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ExportLeases))
        box = app.screen.query_one("#export-path", Input)
        assert box.value == "./leases-2027-01-15.csv"  # the frozen clock's UTC date
        await pilot.press("enter")
        await settle(pilot)
        out = tmp_path / "leases-2027-01-15.csv"
        with out.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert tuple(rows[0]) == COLUMNS
        assert len(rows) == len(app.snapshot.leases) == 32
        scratch = [r for r in rows if r["hostname"] == "scratch1a"]
        assert scratch[0]["reserved"] == "no" and scratch[0]["ip"] == "192.168.201.64"
        assert any(str(out) in n for n in notices(app))


@pytest.mark.asyncio
async def test_export_to_a_missing_directory_is_refused_in_words(make_console, tmp_path) -> None:
    app = make_console().app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ExportLeases))
        modal = app.screen
        modal.query_one("#export-path", Input).value = str(tmp_path / "nope" / "x.csv")
        await pilot.pause()
        assert "does not exist" in str(modal.query_one("#export-problem").render())
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is modal  # still asking
        assert not (tmp_path / "nope").exists()


@pytest.mark.asyncio
async def test_without_a_config_repo_drift_is_unknown_not_clean(make_console) -> None:
    from conftest import frozen

    from tropconsole.ui.app import create_app

    source = make_console().source
    app = create_app(
        source, None, read_only=False, clock=frozen, demo=True, cursor_blink=False, autopoll=False
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("5")
        view = app.main.query_one(DriftView)
        assert str(view.query_one("#drift-summary").render()).startswith("drift unknown")
        assert view.table.row_count == 0
        assert "drift ?" in card(app, "trop01")


@pytest.mark.asyncio
async def test_a_failing_drift_check_does_not_stop_the_refresh(make_console, monkeypatch) -> None:
    import tropconsole.view.drift_rows as drift

    def broken(*_args: object) -> tuple[()]:
        raise KeyError("bridge")

    monkeypatch.setattr(drift, "fleet_drift", broken)
    app = make_console().app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.main.table().row_count == 8  # the Bridges view still shows its rows
        await pilot.press("5")
        summary = str(app.main.query_one("#drift-summary").render())
        assert summary == "drift unknown: it could not be computed (KeyError: 'bridge')"
        assert "drift ?" in card(app, "trop02")


def test_rows_come_worst_first_in_the_order_the_table_resorts_them(make_console) -> None:
    """The table re-sorts on (severity, host, network, subject) text after a refresh adds
    a row: that order must put the worst first, and be the order rows are built in."""
    from tropconsole.core.configrepo import load_fleet

    console = make_console()
    commit_without_applying(console.repo)
    state = compute_drift(load_fleet(console.repo), console.source.poll())
    rows = drift_rows(state, None).rows
    resorted = sorted(rows, key=lambda k: row_sort_key(rows[k], DRIFT_SORT_COLUMNS))
    assert resorted == list(rows)
    ranks = [state.by_key[k].severity.rank for k in rows]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > ranks[-1]
    first = [(state.by_key[k].host, state.by_key[k].kind) for k in list(rows)[:3]]
    assert first == [
        ("trop01", Kind.LEASE_WRONG_IP),
        ("trop02", Kind.LEASE_WRONG_IP),
        ("trop02", Kind.NOT_APPLIED),
    ]


def test_drift_tab_snapshot(snap_compare, make_console) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)

    assert snap_compare(make_console().app, terminal_size=SIZE, run_before=run_before)
