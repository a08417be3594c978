"""The VMs view (6) against the real lab: trop02's libvirtd domains (defined, never
started), their verdicts from git, and the bridged guest's address seen on br0 by the
host's real neighbour table. Read-only: nothing is written anywhere."""

from __future__ import annotations

import json
from typing import Any

import pytest
from uikit import settle, until

from tropconsole.core.service import ReservationService
from tropconsole.ui.app import create_app

HOST = "trop02"


def rows(table) -> dict[str, list[str]]:
    out = {}
    for key in table.shown:
        out[key] = [str(c) for c in table.get_row(key)]
    return out


@pytest.mark.asyncio
async def test_vms_view_shows_the_lab_domains_with_their_verdicts(lab: Any) -> None:
    from tropconsole.remote.inventory import load_inventory
    from tropconsole.remote.poller import FleetPoller

    info = json.loads((lab.dir / "lab.json").read_text(encoding="utf-8"))
    domains = [d for d in info["domains"] if d["host"] == HOST]
    pub = next(c for c in info["bridge_clients"] if c["host"] == HOST)
    source = FleetPoller(load_inventory(lab.inventory))
    service = ReservationService(lab.repo, read_only=True)
    app = create_app(source, service, read_only=True, autopoll=False, cursor_blink=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: app.snapshot is not None and app.config is not None, 30)
        await pilot.press("6", "h", "h")  # trop02 only
        await settle(pilot)
        table = app.main.table()
        shown = rows(table)
        assert {key.split("|")[0] for key in shown} == {HOST}
        for dom in domains:  # every NIC of every lab domain, by its key
            for nic in dom["nics"]:
                assert f"{HOST}|{dom['name']}|{nic['mac']}" in shown, (dom["name"], nic["mac"])
        web, db = (d for d in domains if d["name"] in ("web02", "db02"))
        reserved = web["nics"][0]
        row = shown[f"{HOST}|web02|{reserved['mac']}"]
        assert row[3:5] == ["default", "ok"] and row[7] == reserved["reserved_ip"]
        assert row[5] == "shut off"  # defined, never started
        assert shown[f"{HOST}|db02|{db['nics'][0]['mac']}"][4] == "ok"
        scratch = next(d for d in domains if d["name"] == "scratch02")
        assert shown[f"{HOST}|scratch02|{scratch['nics'][0]['mac']}"][4] == "UNRESERVED"
        assert shown[f"{HOST}|scratch02|{scratch['nics'][1]['mac']}"][4] == "OUT OF RANGE"
        moved = next(d for d in domains if d["name"] == "moved02")
        assert shown[f"{HOST}|moved02|{moved['nics'][0]['mac']}"][4] == "ELSEWHERE"
        # the bridged NIC: no DHCP, and the client namespace's static address seen on br0
        bridged = shown[f"{HOST}|web02|{pub['mac']}"]
        assert bridged[3:5] == ["bridged", "no DHCP"]
        assert bridged[8].startswith(pub["ip"] + " ")
        table.move_cursor(row=table.get_row_index(f"{HOST}|web02|{pub['mac']}"))
        await pilot.pause()
        detail = str(app.main.query_one("#vms-view .view-detail").render())
        assert f"seen on br0: {pub['ip']}" in detail
        assert "no DHCP: on bridged" in detail
