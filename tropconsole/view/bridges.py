"""The Bridges view: every host's Linux bridges, their state, addresses and ports."""

from __future__ import annotations

from tropconsole.core.live import FleetSnapshot
from tropconsole.view.common import (
    OK,
    SORT_COLUMNS,
    WARN,
    RowTarget,
    View,
    ViewRows,
    dim,
    host_cell,
)
from tropconsole.view.tablediff import Cell


def bridge_rows(fleet: FleetSnapshot, now: float) -> ViewRows:
    out = ViewRows()
    for status in fleet.hosts:
        snap = status.snapshot
        if snap is None:
            continue
        for link in snap.bridges:
            state: Cell = (link.state, OK if link.state == "UP" else WARN)
            addresses = " ".join(a.cidr for a in link.addresses)
            ports = " ".join(link.ports) or "none"
            # The detail line: the state, then what 80 columns may cut (ports, addresses).
            detail = f"{link.state}: bridge {link.name}, ports {ports}, "
            detail += f"addresses {addresses}" if addresses else "no address"
            row = dim(
                status,
                (host_cell(status, now), link.name, state, link.mac or "", addresses, ports),
            )
            out.add(f"{status.host}/{link.name}", row, RowTarget(status.host, detail=detail))
    return out.sorted(SORT_COLUMNS[View.BRIDGES])
