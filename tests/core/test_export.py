"""Lease export: what a spreadsheet or a script gets from ``tropconsole leases``."""

from __future__ import annotations

import csv
import io
import json

from driftkit import fleet_of, git_host

from tropconsole.core.export import COLUMNS, leases_csv, leases_json
from tropconsole.core.models import Lease

LEASES = (
    Lease("trop02", "default", "52:54:00:02:02:0A", "192.168.202.10", "Ulov", expiry=1700000000),
    Lease(
        "trop02",
        "default",
        "52:54:00:02:02:99",
        "192.168.202.9",
        "=cmd|'/c calc'!A0",
        expiry=None,
        source="status-file",
    ),
    Lease("trop01", "default", "52:54:00:02:01:08", "192.168.201.8", None, expiry=1700000060),
)


def test_csv_has_the_documented_columns_sorted_rows_and_reserved_flags() -> None:
    fleet = fleet_of(git_host(1), git_host(2))
    rows = list(csv.DictReader(io.StringIO(leases_csv(LEASES, fleet))))
    assert (
        tuple(rows[0])
        == COLUMNS
        == ("host", "network", "mac", "ip", "hostname", "expiry", "reserved", "source")
    )
    assert [(r["host"], r["ip"]) for r in rows] == [
        ("trop01", "192.168.201.8"),
        ("trop02", "192.168.202.9"),
        ("trop02", "192.168.202.10"),
    ]
    assert rows[2]["mac"] == "52:54:00:02:02:0a" and rows[2]["reserved"] == "yes"
    assert rows[2]["expiry"] == "2023-11-14T22:13:20Z"
    assert rows[1]["reserved"] == "no" and rows[1]["expiry"] == ""
    assert rows[1]["source"] == "status-file"


def test_csv_defuses_a_guest_chosen_hostname_that_looks_like_a_formula() -> None:
    text = leases_csv(LEASES, None)
    assert "'=cmd|'/c calc'!A0" in text
    assert "unknown" in text  # no config: reserved cannot be known


def test_json_is_a_list_of_the_same_rows_with_the_epoch() -> None:
    rows = json.loads(leases_json(LEASES, fleet_of(git_host(2))))
    assert [r["ip"] for r in rows] == ["192.168.201.8", "192.168.202.9", "192.168.202.10"]
    assert rows[2]["reserved"] == "yes" and rows[0]["reserved"] == "no"
    assert rows[2]["expiry_epoch"] == 1700000000 and rows[1]["expiry_epoch"] is None
    assert rows[1]["hostname"] == "=cmd|'/c calc'!A0"  # JSON carries the raw value
    assert set(rows[0]) == {*COLUMNS, "expiry_epoch"}


def test_empty_export_still_has_a_header() -> None:
    assert leases_csv((), None) == ",".join(COLUMNS) + "\n"
    assert json.loads(leases_json((), None)) == []
