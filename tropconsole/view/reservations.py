"""The Reservations view: git's reservations, each marked live or not, plus live-only ones."""

from __future__ import annotations

from tropconsole.core.live import FleetSnapshot, HostState, HostStatus
from tropconsole.core.models import FleetConfig
from tropconsole.core.scheme import norm_mac
from tropconsole.view.common import (
    ERROR,
    OK,
    SORT_COLUMNS,
    STALE,
    WARN,
    ReservationItem,
    RowTarget,
    View,
    ViewRows,
    dim,
    host_cell,
)
from tropconsole.view.tablediff import Cell


def reservation_rows(fleet: FleetSnapshot, config: FleetConfig | None, now: float) -> ViewRows:
    """Reservations in git, each marked with whether the host runs it; plus live-only ones."""
    out = ViewRows()
    statuses = {s.host: s for s in fleet.hosts}
    seen: set[str] = set()

    def live_keys(host: str, network: str) -> set[tuple[str, str]] | None:
        status = statuses.get(host)
        snap = status.snapshot if status else None
        net = snap.network(network) if snap else None
        if net is None or net.running is None:
            return None
        return {(norm_mac(r.mac) or "", r.ip) for r in net.running.reservations}

    for host in config.hosts if config else ():
        status = statuses.get(host.name) or HostStatus(host.name, HostState.DOWN)
        for net in host.networks:
            live = live_keys(host.name, net.name)
            for res in net.reservations:
                mac = norm_mac(res.mac) or ""
                key = f"{host.name}/{net.name}/{mac}/{res.ip}"
                seen.add(key)
                live_cell, detail = git_verdict(host.name, net.name, live, (mac, res.ip))
                where = f"{_short_path(net.path)}:{res.line}" if res.line else ""
                row = dim(
                    status,
                    (
                        host_cell(status, now),
                        net.name,
                        mac,
                        res.ip,
                        live_cell,
                        res.name or "",
                        where,
                    ),
                )
                out.add(
                    key,
                    row,
                    RowTarget(
                        host.name,
                        net.name,
                        ReservationItem(host.name, net.name, res, True, net.path),
                        detail,
                    ),
                )
    for status in fleet.hosts:
        snap = status.snapshot
        for live_net in snap.networks if snap else ():
            if live_net.running is None:
                continue
            for res in live_net.running.reservations:
                mac = norm_mac(res.mac) or ""
                key = f"{status.host}/{live_net.name}/{mac}/{res.ip}"
                if key in seen:
                    continue
                live_cell, detail = live_only_verdict(status.host, known=config is not None)
                row = dim(
                    status,
                    (
                        host_cell(status, now),
                        live_net.name,
                        mac,
                        res.ip,
                        live_cell,
                        res.name or "",
                        "" if config is not None else "no repo",
                    ),
                )
                out.add(
                    key,
                    row,
                    RowTarget(
                        status.host,
                        live_net.name,
                        ReservationItem(status.host, live_net.name, res, False),
                        detail,
                    ),
                )
    return out.sorted(SORT_COLUMNS[View.RESERVATIONS])


def git_verdict(
    host: str, network: str, live: set[tuple[str, str]] | None, key: tuple[str, str]
) -> tuple[Cell, str]:
    """The Live cell of a reservation in git (a short word: it fits 80 columns) and the
    detail line that says it in full; ``live`` is the (MAC, IP) pairs the host runs in
    ``network``, None when it has not said."""
    if live is None:
        return ("unknown", STALE), f"unknown: {host} has not reported its {network} network"
    if key in live:
        return ("live", OK), f"live: {host} runs it as git has it"
    detail = f"NOT LIVE: in git, not in {host}'s running {network}; Drift (5) syncs it"
    return ("NOT LIVE", WARN), detail


def live_only_verdict(host: str, *, known: bool) -> tuple[Cell, str]:
    """The Live cell and detail of a reservation only the host's live network holds."""
    if not known:
        return ("live", OK), f"live: {host} runs it; no config repo was read to compare with"
    return ("LIVE ONLY", ERROR), f"LIVE ONLY: {host} runs it, git has no such reservation"


def _short_path(path: str | None) -> str:
    if not path:
        return ""
    marker = "/etc/libvirt/qemu/networks/"
    if marker in path:
        head, tail = path.split(marker, 1)
        return f"{head.rsplit('/', 1)[-1]}/…/{tail}"
    return path
