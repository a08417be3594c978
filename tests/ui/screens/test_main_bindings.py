"""Every key of the main screen does what its footer label says."""

from __future__ import annotations

import pytest
from textual.command import CommandList
from textual.widgets import DataTable, Input, TabbedContent
from uikit import settle, until

from tropconsole.core.live import HostState
from tropconsole.ui.screens.help import HelpScreen
from tropconsole.ui.widgets.host_panel import HostCard


@pytest.mark.asyncio
async def test_views_are_switched_by_1_to_4_and_every_row_names_its_host(make_console) -> None:
    console = make_console()
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main
        for key, view, count in (
            ("2", "networks", 8),
            ("3", "leases", 32),
            ("4", "reservations", 32),
            ("1", "bridges", 8),
        ):
            await pilot.press(key)
            await pilot.pause()
            assert app.main.query_one(TabbedContent).active == view
            table = main.table()
            assert app.focused is table
            assert table.row_count == count
            hosts = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
            assert hosts == {"trop01", "trop02", "trop03", "trop04"}


@pytest.mark.asyncio
async def test_h_cycles_the_host_filter_through_every_host_and_back(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main
        for expected in ("trop01", "trop02", "trop03", "trop04", None):
            await pilot.press("h")
            await pilot.pause()
            assert main.host_filter == expected
            table = main.table()
            hosts = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
            assert hosts == ({expected} if expected else {"trop01", "trop02", "trop03", "trop04"})
        assert "host: all" in str(app.screen.query_one("#status").render())


@pytest.mark.asyncio
async def test_slash_filters_as_you_type_and_escape_clears(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("3", "slash")
        box = app.screen.query_one("#filter", Input)
        assert box.display and app.focused is box
        await pilot.press(*"scratch")
        await pilot.pause()
        table = app.main.table()
        assert table.row_count == 8  # two unreserved demo guests per host
        await pilot.press("enter")
        assert app.focused is table and box.display
        await pilot.press("escape")
        await pilot.pause()
        assert not box.display and table.row_count == 32


@pytest.mark.asyncio
async def test_r_refreshes_now_and_p_pauses_and_resumes(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        polls = app.polls
        await pilot.press("r")
        await settle(pilot)
        assert app.polls == polls + 1
        await pilot.press("p")
        await pilot.pause()
        assert app.paused and app.poller._timer is None
        assert "PAUSED" in str(app.screen.query_one("#status").render())
        await pilot.press("p")
        await settle(pilot)
        assert not app.paused and app.polls == polls + 2


@pytest.mark.asyncio
async def test_polls_never_overlap(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.refresh_now() is True
        assert app.refresh_now() is False  # the first one is still running
        await settle(pilot)
        assert not app.polling


@pytest.mark.asyncio
async def test_timer_is_rearmed_after_each_poll_and_skipped_under_a_modal(make_console) -> None:
    console = make_console()
    app = console.app
    app.options.autopoll = True
    app.options.refresh_interval = 0.1
    ticks: list[int] = []  # the poll timer's ticks, with the polls shown at each
    tick = app.poller._tick

    def counted_tick() -> None:
        ticks.append(app.polls)
        tick()

    app.poller._tick = counted_tick  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.polls >= 3)  # re-armed after each poll
        await pilot.press("question_mark")
        await until(pilot, lambda: not app.polling)  # one already started may still land
        under_modal, seen = app.polls, len(ticks)
        await until(pilot, lambda: len(ticks) >= seen + 5)  # five ticks under the modal
        assert app.polls == under_modal
        await pilot.press("escape")
        await until(pilot, lambda: app.polls > under_modal)


@pytest.mark.asyncio
async def test_question_mark_help_lists_the_real_bindings(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main
        expected = {
            b.binding.description or b.binding.action for b in main.active_bindings.values()
        }
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", DataTable)
        keys = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        text = " ".join(str(table.get_row_at(i)[1]) for i in range(table.row_count))
        for key in ("1", "2", "3", "4", "h", "/", "r", "p", "a", "d", "q", "?"):
            assert key in keys
        assert "Add a reservation" in text and "Pause or resume" in text
        assert len(keys) == len(main.active_bindings)
        assert expected  # help is derived from these, not a hand-written list
        await pilot.press("escape")
        assert app.screen is main


@pytest.mark.asyncio
async def test_q_quits(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None)
    assert not app.is_running


@pytest.mark.asyncio
async def test_palette_lists_every_action(make_console) -> None:
    from tropconsole.ui.commands import console_commands

    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        names = [name for name, _help, _run in console_commands(app.main)]
        for wanted in (
            "Bridges view",
            "Networks view",
            "Leases view",
            "Reservations view",
            "Filter rows as you type",
            "Refresh every host now",
            "Pause or resume live refresh",
            "Add a reservation",
            "Remove the reservation",
            "Quit tropconsole",
            "Help",
            "Show host trop03 only",
            "Show all hosts",
        ):
            assert any(name.startswith(wanted) for name in names), wanted
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"leases")
        found = app.screen.query_one(CommandList)

        def top() -> str:
            return str(found.get_option_at_index(0).prompt) if found.option_count else ""

        await until(pilot, lambda: "Leases view" in top())  # the search has answered
        await pilot.press("enter")
        await pilot.pause()
        assert app.main.query_one(TabbedContent).active == "leases"


@pytest.mark.asyncio
async def test_stale_host_keeps_its_rows_dimmed_and_says_why(make_console) -> None:
    app = make_console(failing=("trop04",)).app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.refresh_now()
        await settle(pilot)
        status = app.snapshot.host("trop04")
        assert status.state is HostState.STALE
        card = app.screen.query_one("#host-trop04", HostCard)
        assert card.has_class("-stale")
        assert "STALE" in card.text.plain and "timed out" in card.text.plain
        table = app.main.table()
        hosts = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert "trop04 stale <1m" in hosts  # frozen clock: its last good poll is "now"
        assert hosts.count("trop04 stale <1m") == 2  # last data kept: br0 and br1


def test_stale_rows_carry_a_coarse_age_so_they_change_once_a_minute() -> None:
    """Hundreds of rows of a stale host must not all change on every refresh (each change
    costs the table a repaint); the precise age is on the host's card."""
    from tropconsole.view.common import age_text, coarse_age_text

    assert [coarse_age_text(s) for s in (None, 0, 59.9, 60, 119, 3600, 3725)] == [
        "never",
        "<1m",
        "<1m",
        "1m",
        "1m",
        "1h00m",
        "1h02m",
    ]
    assert age_text(42) == "42s"  # the card's


@pytest.mark.asyncio
async def test_a_poll_timer_firing_while_the_console_closes_does_nothing(make_console) -> None:
    """Seen once under load: the refresh timer fired after the screens were gone and
    raised ScreenStackError on the way out."""
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
    assert not app.screen_stack
    polls = app.polls
    app.poller._tick()  # what the timer would call now
    assert app.polls == polls and app.poller._timer is None
