"""Lease export as CSV or JSON, shared by ``tropconsole leases`` and the console.

One row per lease with whether git reserves its MAC on that host's network, so a
spreadsheet or a script can answer "which guests run without a reservation" without
reading libvirt XML. Rows are sorted (host, network, IP) so two exports diff cleanly.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
from collections.abc import Iterable

from tropconsole.core.models import FleetConfig, Lease
from tropconsole.core.reconcile import iso
from tropconsole.core.scheme import norm_mac

COLUMNS: tuple[str, ...] = (
    "host",
    "network",
    "mac",
    "ip",
    "hostname",
    "expiry",
    "reserved",
    "source",
)

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _reserved(fleet: FleetConfig | None) -> set[tuple[str, str, str | None]]:
    found: set[tuple[str, str, str | None]] = set()
    for host in fleet.hosts if fleet else ():
        for net in host.networks:
            for res in net.reservations:
                found.add((host.name, net.name, norm_mac(res.mac)))
    return found


def _ip_order(ip: str) -> tuple[int, int, str]:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return (9, 0, ip)
    return (addr.version, int(addr), ip)


def lease_rows(leases: Iterable[Lease], fleet: FleetConfig | None) -> list[dict[str, str]]:
    """Rows with the ``COLUMNS`` keys, all text: ``reserved`` is "yes"/"no" (or "unknown"
    when no config was given), ``expiry`` ISO-8601 UTC or empty when it never expires."""
    reserved = _reserved(fleet)
    rows: list[dict[str, str]] = []
    for lease in sorted(leases, key=lambda x: (x.host, x.network, _ip_order(x.ip))):
        mac = norm_mac(lease.mac) or lease.mac
        if fleet is None:
            flag = "unknown"
        else:
            flag = "yes" if (lease.host, lease.network, mac) in reserved else "no"
        rows.append(
            {
                "host": lease.host,
                "network": lease.network,
                "mac": mac,
                "ip": lease.ip,
                "hostname": lease.hostname or "",
                "expiry": iso(lease.expiry),
                "reserved": flag,
                "source": lease.source,
            }
        )
    return rows


def leases_csv(leases: Iterable[Lease], fleet: FleetConfig | None) -> str:
    """CSV with a header row. A hostname comes from the guest, so one that would start a
    spreadsheet formula is prefixed with ``'`` (no valid DNS name starts that way)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in lease_rows(leases, fleet):
        if row["hostname"].startswith(_FORMULA):
            row["hostname"] = "'" + row["hostname"]
        writer.writerow(row)
    return buf.getvalue()


def leases_json(leases: Iterable[Lease], fleet: FleetConfig | None) -> str:
    """A JSON array of objects with the ``COLUMNS`` keys, plus ``expiry_epoch``."""
    leases = list(leases)
    epochs = {(x.host, x.network, norm_mac(x.mac) or x.mac, x.ip): x.expiry for x in leases}
    rows: list[dict[str, str | int | None]] = []
    for row in lease_rows(leases, fleet):
        out: dict[str, str | int | None] = dict(row)
        out["expiry_epoch"] = epochs.get((row["host"], row["network"], row["mac"], row["ip"]))
        rows.append(out)
    return json.dumps(rows, indent=2) + "\n"
