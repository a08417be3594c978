"""Short verdict cells and the detail line that says each in full, on the demo fleet.

A verdict cell is one short word from a fixed set (it fits an 80-column terminal); the
row's ``RowTarget.detail`` starts with that word and says the rest ("WRONG IP: git
reserves 192.168.201.13 (Thalorien) for this MAC").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tropconsole.core.configrepo import load_fleet
from tropconsole.core.live import FleetSnapshot
from tropconsole.core.models import FleetConfig, Lease, Reservation
from tropconsole.core.sample import write_sample_repo
from tropconsole.demo import DemoFleet
from tropconsole.view.build import build_all
from tropconsole.view.common import COLUMNS, VERDICT_COLUMNS, View, ViewRows
from tropconsole.view.leases import reservation_verdict
from tropconsole.view.reservations import git_verdict, live_only_verdict
from tropconsole.view.tablediff import cell_text

NOW = 1_800_000_000.0
SHORT = {
    View.BRIDGES: {"UP", "DOWN", "UNKNOWN", "LOWERLAYERDOWN", "DORMANT"},
    View.LEASES: {"ok", "none", "WRONG IP", "unknown"},
    View.RESERVATIONS: {"live", "NOT LIVE", "LIVE ONLY", "unknown"},
}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[DemoFleet, Path]]:
    repo = tmp_path / "repo"
    write_sample_repo(repo)
    fleet = DemoFleet(repo, clock=lambda: NOW)
    try:
        yield fleet, repo
    finally:
        fleet.close()


def views(snapshot: FleetSnapshot, config: FleetConfig | None) -> dict[View, ViewRows]:
    return build_all(snapshot, config, NOW)


def verdict(rows: ViewRows, view: View, key: str) -> str:
    (name,) = VERDICT_COLUMNS[view]
    return cell_text(rows.rows[key][COLUMNS[view].index(name)])


def test_every_row_says_its_verdict_short_and_then_in_full(demo) -> None:
    fleet, repo = demo
    for config in (load_fleet(repo), None):
        built = views(fleet.poll(), config)
        for view, short in SHORT.items():
            rows = built[view]
            assert rows.rows
            for key in rows.rows:
                word = verdict(rows, view, key)
                assert word in short, (view, key, word)
                assert rows.targets[key].detail.startswith(f"{word}: "), (view, key)


def test_lease_details_on_the_demo(demo) -> None:
    fleet, repo = demo
    leases = views(fleet.poll(), load_fleet(repo))[View.LEASES]
    wrong, unreserved = "trop01/default/52:54:00:02:01:0d", "trop01/default/52:54:00:02:01:40"
    assert verdict(leases, View.LEASES, wrong) == "WRONG IP"
    assert leases.targets[wrong].detail == (
        "WRONG IP: git reserves 192.168.201.13 (Thalorien) for this MAC"
    )
    assert verdict(leases, View.LEASES, unreserved) == "none"
    ok = "trop01/default/52:54:00:02:01:08"
    assert leases.targets[ok].detail == "ok: reserved in git at this IP (Calenwyth)"
    unknown = views(fleet.poll(), None)[View.LEASES]
    assert unknown.targets[ok].detail == "unknown: no config repo was read to compare with"


def test_reservation_details_when_git_and_the_host_disagree(demo) -> None:
    fleet, repo = demo
    config = load_fleet(repo)
    applier = fleet.applier()
    assert applier is not None
    # Live only: trop02 runs one git does not have. Not live: git's Ulov, removed live.
    extra = Reservation("192.168.202.99", "52:54:00:02:02:63", "ghost")
    applier.add_reservation("trop02", "default", extra)
    ulov = next(
        r
        for r in config.host("trop02").network("default").reservations  # type: ignore[union-attr]
        if r.name == "Ulov"
    )
    applier.remove_reservation("trop02", "default", ulov)
    rows = views(fleet.poll(), config)[View.RESERVATIONS]
    ghost = "trop02/default/52:54:00:02:02:63/192.168.202.99"
    gone = "trop02/default/52:54:00:02:02:0a/192.168.202.10"
    assert verdict(rows, View.RESERVATIONS, ghost) == "LIVE ONLY"
    assert rows.targets[ghost].detail == ("LIVE ONLY: trop02 runs it, git has no such reservation")
    assert verdict(rows, View.RESERVATIONS, gone) == "NOT LIVE"
    assert rows.targets[gone].detail == (
        "NOT LIVE: in git, not in trop02's running default; Drift (5) syncs it"
    )


def test_bridge_detail_carries_what_80_columns_cut(demo) -> None:
    fleet, _ = demo
    rows = views(fleet.poll(), None)[View.BRIDGES]
    assert rows.targets["trop03/br1"].detail == (
        "UP: bridge br1, ports eth1, addresses 192.168.137.234/24"
    )


def test_verdict_words_for_every_case() -> None:
    lease = Lease("trop01", "default", "52:54:00:02:01:0d", "192.168.201.66", None)
    same = Reservation("192.168.201.66", lease.mac)
    assert reservation_verdict(lease, None, known=True) == (
        ("none", "yellow"),
        "none: no reservation in git holds this MAC",
    )
    assert reservation_verdict(lease, None, known=False)[0] == ("unknown", "yellow")
    assert reservation_verdict(lease, same, known=True) == (
        ("ok", "green"),
        "ok: reserved in git at this IP",
    )
    cell, detail = reservation_verdict(lease, Reservation("192.168.201.13", lease.mac), known=True)
    assert cell == ("WRONG IP", "bold red")
    assert detail == "WRONG IP: git reserves 192.168.201.13 for this MAC"
    key = (lease.mac, "192.168.201.13")
    assert git_verdict("trop01", "default", None, key)[0] == ("unknown", "dim")
    assert git_verdict("trop01", "default", {key}, key)[0] == ("live", "green")
    assert git_verdict("trop01", "default", set(), key)[0] == ("NOT LIVE", "yellow")
    assert live_only_verdict("trop01", known=True)[0] == ("LIVE ONLY", "bold red")
    assert live_only_verdict("trop01", known=False) == (
        ("live", "green"),
        "live: trop01 runs it; no config repo was read to compare with",
    )
