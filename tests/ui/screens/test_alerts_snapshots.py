"""The Alerts view (8) and the Networks view's Pool column as a sysadmin sees them, at
120x36 and at 80x24, on the demo fleet with a frozen clock (its default ranges are full)."""

from __future__ import annotations

from test_snapshots import view


def test_alerts_view(snap_compare, make_console) -> None:
    assert snap_compare(make_console().app, terminal_size=(120, 36), run_before=view("8"))


def test_alerts_view_80x24(snap_compare, make_console) -> None:
    assert snap_compare(make_console().app, terminal_size=(80, 24), run_before=view("8"))


def test_networks_view_80x24(snap_compare, make_console) -> None:
    assert snap_compare(make_console().app, terminal_size=(80, 24), run_before=view("2"))
