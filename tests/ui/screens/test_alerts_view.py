"""Alerts in the console: notified once, listed in the Alerts view (8) while they last,
config repo warnings beside them, pools on the Networks view and the host cards, and the
notice a write gives while another tropconsole holds the repo lock (demo fleet)."""

from __future__ import annotations

import shutil
import subprocess
import threading

import pytest
from uikit import notices, settle, until

from tropconsole.core.alerts import AlertPolicy
from tropconsole.core.models import ReservationRequest
from tropconsole.ui.messages import ReservationRequested
from tropconsole.ui.widgets.host_panel import HostCard
from tropconsole.view.common import COLUMNS, View

HOSTS = ("trop01", "trop02", "trop03", "trop04")


def titles(app) -> list[str]:
    return [n.title for n in app._notifications]


def alert_keys(app) -> list[str]:
    return list(app.main.table(View.ALERTS).shown)


def cells(app, view: View, key: str) -> list[str]:
    return [c if isinstance(c, str) else c[0] for c in app.main._rows[view].rows[key]]


@pytest.mark.asyncio
async def test_alert_is_notified_once_and_stays_listed_across_polls(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        # The demo's default ranges: 8 addresses, all 8 reserved: full on every host,
        # told in one notice that names them.
        said = [n for n in app._notifications if "pool-full" in (n.title or "")]
        assert [(n.title, n.severity) for n in said] == [("pool-full: 4 alerts", "error")]
        assert said[0].message.startswith("trop01 default, trop02 default, trop03 default")
        await pilot.press("8")
        await settle(pilot)
        keys = [f"{h}|pool-full|default|default" for h in HOSTS]
        assert alert_keys(app) == keys
        for _ in range(2):
            app.refresh_now()
            await settle(pilot)
        assert app.polls == 3
        assert sum("pool-full" in (t or "") for t in titles(app)) == 1  # still once
        assert alert_keys(app) == keys
        # The line under the table: the cursor row's alert in full.
        await pilot.press("down")
        await settle(pilot)
        detail = str(app.main.query_one("#detail").render())
        assert detail.startswith("trop02 error pool-full default: DHCP range is full")
        assert detail.endswith("an unreserved guest may get no address")
        row = cells(app, View.ALERTS, keys[0])
        assert row[:4] == ["■ ERROR", "trop01", "pool-full", "default"]
        assert "0 of 8 range addresses free (8 reserved, 5 leased)" in row[4]
        # The host filter and the text filter work as in the other views.
        await pilot.press("h", "h")
        await settle(pilot)
        assert alert_keys(app) == [keys[1]]
        await pilot.press("h", "h", "h")  # trop03, trop04, all hosts
        await pilot.press("slash", *"trop03", "enter")
        await settle(pilot)
        assert alert_keys(app) == [keys[2]]


@pytest.mark.asyncio
async def test_a_cleared_alert_leaves_the_view_and_the_card(make_console) -> None:
    console = make_console()
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        assert "trop02|pool-full|default|default" in alert_keys(app)
        card = app.main.query_one("#host-trop02", HostCard)
        assert "■1 alert" in card.text.plain and "pool FULL" in card.text.plain
        # Free one address of trop02's range: a reservation no lease holds, removed
        # (committed and applied live) as another operator would.
        snap = app.snapshot.host("trop02").snapshot
        leased = {lease.ip for lease in snap.leases}
        net = next(n for n in app.config.host("trop02").networks if n.name == "default")
        spare = next(r for r in net.reservations if r.ip not in leased)
        await pilot.app.workers.wait_for_complete()
        done = threading.Thread(
            target=console.service.remove,
            args=("trop02", "default"),
            kwargs=dict(ip=spare.ip, apply=True),
        )
        done.start()
        done.join()
        app.refresh_now()
        await settle(pilot)
        assert "trop02|pool-full|default|default" not in alert_keys(app)
        assert "trop01|pool-full|default|default" in alert_keys(app)
        assert "alert" not in card.text.plain
        assert "pool 1 free" in card.text.plain
        assert cells(app, View.NETWORKS, "trop02/default")[3] == "7r 5l 1/8 free"


@pytest.mark.asyncio
async def test_networks_pool_column_on_the_demo(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert COLUMNS[View.NETWORKS][3] == "Pool"
        for host in HOSTS:
            assert cells(app, View.NETWORKS, f"{host}/default")[3] == "8r 5l 0/8 FULL"
            assert cells(app, View.NETWORKS, f"{host}/bridged")[3] == ""  # no DHCP
        app.main.table().move_cursor(row=app.main.table().get_row_index("trop01/default"))
        await settle(pilot)
        detail = str(app.main.query_one("#detail").render())
        assert detail.startswith(
            "DHCP pool: 8 addresses in range, 8 reserved, 5 leased, 0 free · pool-full: "
        )


@pytest.mark.asyncio
async def test_the_inventory_threshold_makes_an_unreachable_host_alert(make_console) -> None:
    console = make_console(failing=("trop04",))
    app = console.app
    app.options.alert_policy = AlertPolicy(unreachable_refreshes=1)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert "trop04: host-unreachable" not in titles(app)
        app.refresh_now()  # trop04 fails from its second poll on
        await settle(pilot)
        assert titles(app).count("trop04: host-unreachable") == 1
        await pilot.press("8")
        await settle(pilot)
        keys = alert_keys(app)
        assert "trop04|host-unreachable||trop04" in keys
        assert "trop04|pool-full|default|default" not in keys  # no answer: no pool to judge


@pytest.mark.asyncio
async def test_config_warnings_are_listed_and_notified_once(make_console, tmp_path) -> None:
    console = make_console()
    # trop03's bridged network read through a link to a file outside the repo.
    rel = "src/cfg/tropo/trop03/etc/libvirt/qemu/networks/bridged.xml"
    outside = tmp_path / "outside-bridged.xml"
    shutil.copy(console.repo / rel, outside)
    (console.repo / rel).unlink()
    (console.repo / rel).symlink_to(outside)
    subprocess.run(["git", "-C", str(console.repo), "add", rel], check=True)
    subprocess.run(
        ["git", "-C", str(console.repo), "commit", "-qm", "link", "--no-verify"],
        check=True,
        env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.invalid", "PATH": "/usr/bin:/bin"}
        | {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e.invalid"},
    )
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.refresh_now()
        await settle(pilot)
        said = [m for m in notices(app) if "outside the config repo" in m]
        assert len(said) == 1 and str(outside) in said[0]
        await pilot.press("8")
        await settle(pilot)
        config_keys = [k for k in alert_keys(app) if k.startswith("config|")]
        assert len(config_keys) == 1
        row = cells(app, View.ALERTS, config_keys[0])
        assert row[1:4] == ["trop03", "config", "repo"]
        await pilot.press("h", "h", "h")  # trop03 only: its config row stays
        await settle(pilot)
        assert config_keys[0] in alert_keys(app)
        assert all("trop03" in k for k in alert_keys(app))


@pytest.mark.asyncio
async def test_a_write_waiting_for_another_tropconsole_says_so(make_console) -> None:
    console = make_console()
    app = console.app
    lock = console.repo / ".git" / "tropconsole.lock"
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        lock.write_text("999999\n")  # another tropconsole is writing
        request = ReservationRequest(host="trop01", network="default", name="waiter")
        app.post_message(ReservationRequested(request, apply_live=False))
        await until(pilot, lambda: any("waiting" in m for m in notices(app)))
        said = [n for n in app._notifications if "waiting" in n.message]
        assert said[0].title == "Repo busy" and said[0].severity == "warning"
        assert "another tropconsole is writing" in said[0].message
        lock.unlink()
        await until(pilot, lambda: "Reservation committed" in titles(app))
        assert len(said) == 1
    assert "waiter" in " ".join(console.log())
