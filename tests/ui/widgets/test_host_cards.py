"""Host cards repaint the lines that changed, and what is painted is what they say."""

from __future__ import annotations

import pytest
from textual.geometry import Region
from uikit import settle

from tropconsole.ui.widgets.host_panel import HostCard

SIZE = (160, 36)


def painted(card: HostCard) -> list[str]:
    """The card's lines as the screen holds them (Textual's cached lines: a line the card
    forgot to mark for repainting would still show its old text here)."""
    strips = card.render_lines(Region(0, 0, card.outer_size.width, card.outer_size.height))
    return [strip.text for strip in strips]


@pytest.mark.asyncio
async def test_a_tick_repaints_the_age_and_a_failure_repaints_the_state(make_console) -> None:
    console = make_console(failing=("trop02",))  # its polls fail after the first
    app = console.app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        card = app.screen.query_one("#host-trop02", HostCard)
        first = painted(card)
        assert "trop02 ● OK" in first[0] and "age 0s" in first[1]

        now = app.clock()
        app.options.clock = lambda: now + 7  # seven seconds later, no poll meanwhile
        app.main._tick_ages()
        await settle(pilot)
        ticked = painted(card)
        assert "age 7s" in ticked[1] and ticked[0] == first[0] and ticked[2] == first[2]

        app.refresh_now()
        await settle(pilot)
        stale = painted(card)
        assert "trop02 ▲ STALE" in stale[0] and "age 7s" in stale[1]
        assert "no errors" not in stale[2]


@pytest.mark.asyncio
async def test_a_long_error_is_cut_with_an_ellipsis_inside_the_card(make_console) -> None:
    console = make_console(failing=("trop04",))
    app = console.app
    async with app.run_test(size=(100, 36)) as pilot:  # 25 columns a card
        await settle(pilot)
        app.refresh_now()
        await settle(pilot)
        card = app.screen.query_one("#host-trop04", HostCard)
        lines = painted(card)
        assert "timed out" in card.text.plain  # the whole error is in the card's text,
        assert lines[2].rstrip().endswith("…")  # cut to the card's width when painted
        assert {len(line) for line in lines} == {card.outer_size.width}
