"""The console's alerts against the real lab: the inventory's ``[alerts]`` threshold,
lowered to 80%, makes each lab host's default range (8 addresses, 1 free) nearly full; the
console notifies it once, lists it in the Alerts view across refreshes and shows the pool
on the Networks view and the host cards. Read-only: nothing is written anywhere."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from uikit import settle

from tropconsole.ui.app import create_app
from tropconsole.ui.widgets.host_panel import HostCard
from tropconsole.view.common import View

PATIENT = 20.0  # a busy CI box: the lab's answers may take seconds


def inventory_with(lab: Any, tmp_path: Path, extra: str) -> Path:
    text = re.sub(r"\ntimeout = [0-9.]+\n", f"\ntimeout = {PATIENT}\n", lab.inventory.read_text())
    path = tmp_path / "inventory.toml"
    path.write_text(text + extra)
    return path


@pytest.mark.asyncio
async def test_a_nearly_full_lab_pool_alerts_in_the_console(lab: Any, tmp_path: Path) -> None:
    from tropconsole.remote.inventory import load_inventory
    from tropconsole.remote.poller import FleetPoller

    inventory = load_inventory(
        inventory_with(lab, tmp_path, "\n[alerts]\npool_warn_percent = 80\n")
    )
    assert inventory.alerts.pool_warn_percent == 80
    source = FleetPoller(inventory, read_only=True)
    app = create_app(
        source,
        None,
        read_only=True,
        autopoll=False,
        cursor_blink=False,
        alert_policy=inventory.alerts,
    )
    names = [h.name for h in lab.hosts]
    keys = {f"{h}|pool-nearly-full|default|default" for h in names}
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.snapshot is not None and all(h.snapshot for h in app.snapshot.hosts)
        said = [n for n in app._notifications if (n.title or "").startswith("pool-nearly-full")]
        assert [(n.title, n.severity) for n in said] == [
            (f"pool-nearly-full: {len(names)} alerts", "warning")
        ]
        await pilot.press("8")
        await settle(pilot)
        assert keys <= set(app.main.table(View.ALERTS).shown)
        app.refresh_now()
        await settle(pilot)
        assert keys <= set(app.main.table(View.ALERTS).shown)  # still listed
        assert sum((n.title or "").startswith("pool-nearly-full") for n in app._notifications) == 1
        row = app.main.table(View.ALERTS).shown[f"{names[0]}|pool-nearly-full|default|default"]
        assert "DHCP range is 88% used: 1 of 8 range addresses free" in str(row[4])
        pools = {k: v[3] for k, v in app.main._rows[View.NETWORKS].rows.items()}
        for host in names:
            assert pools[f"{host}/default"] == ("6r 3l 1/8 LOW", "yellow")
            card = app.main.query_one(f"#host-{host}", HostCard).text.plain
            assert "▲1 alert" in card and "pool 1 free" in card
