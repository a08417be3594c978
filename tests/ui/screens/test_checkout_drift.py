"""A host whose own checkout of the config repo lags shows in the Drift view (5).

The demo fleet reads no checkouts (``checkout`` None); here its snapshots carry trop03's
checkout at the commit before the console's HEAD, as the real poller would report it.
"""

from __future__ import annotations

import dataclasses

import pytest
from historykit import commit, edit
from uikit import settle

from tropconsole.core.live import CheckoutState, FleetSnapshot

CHECKOUT = "/var/local/projects/heliodines/git"


def lagging(source, host: str, head: str, *, dirty: bool = False) -> None:
    """Make ``source.poll`` report ``host``'s checkout at ``head``."""
    poll = source.poll

    def polled() -> FleetSnapshot:
        fleet = poll()
        hosts = tuple(
            dataclasses.replace(
                status,
                snapshot=dataclasses.replace(
                    status.snapshot, checkout=CheckoutState(CHECKOUT, head, dirty)
                ),
            )
            if status.host == host and status.snapshot is not None
            else status
            for status in fleet.hosts
        )
        return dataclasses.replace(fleet, hosts=hosts)

    source.poll = polled


@pytest.mark.parametrize(
    ("dirty", "said", "fix"),
    [
        (False, "1 commit behind (at", f"git -C {CHECKOUT} pull --ff-only"),
        (True, "1 commit behind and dirty (at", "then commit or reset it"),
    ],
)
@pytest.mark.asyncio
async def test_a_lagging_checkout_is_a_drift_finding_in_the_view(
    make_console, dirty: bool, said: str, fix: str
) -> None:
    console = make_console()
    old = console.head()
    rel = edit(
        console.repo,
        "trop04",
        "default",
        add=("<host mac='52:54:00:02:04:20' ip='192.168.204.32' name='web09'/>",),
    )
    commit(console.repo, rel, "trop04: reserve web09", "A <a@example.invalid>", "2024-05-01T10:00")
    lagging(console.source, "trop03", old, dirty=dirty)
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("5", "h", "h", "h")  # trop03 only
        await settle(pilot)
        table = app.main.table()
        cells = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        row = next(r for r in cells if r[3] == "checkout-drift")
        assert row[:2] == ["▲ WARNING", "trop03"] and row[4] == f"checkout {CHECKOUT}"
        table.move_cursor(row=cells.index(row))
        await pilot.pause()
        detail = str(app.main.query_one("#drift-detail").render())
        assert f"trop03's checkout is {said} {old[:12]}" in detail
        assert fix in detail
