"""From a fleet snapshot (and the config repo) to the rows of each view.

Plain functions, no Textual: every row is keyed by a stable id (host/network/mac...) so
the tables can be updated by a keyed diff, and every row names its host. Colour never
carries meaning alone: a stale host's rows say "stale 3m", a drifted reservation says
"not live", a demo lease says "DEMO".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from tropconsole.core.live import FleetSnapshot, HostState, HostStatus
from tropconsole.core.models import FleetConfig, Lease, Reservation

from .tablediff import Cell, Row, cell_text, row_sort_key

STALE = "dim"
OK = "green"
WARN = "yellow"
ERROR = "bold red"
DEMO = "magenta"


class View(StrEnum):
    BRIDGES = "bridges"
    NETWORKS = "networks"
    LEASES = "leases"
    RESERVATIONS = "reservations"
    DRIFT = "drift"


COLUMNS: dict[View, tuple[str, ...]] = {
    View.BRIDGES: ("Host", "Bridge", "State", "MAC", "Addresses", "Ports"),
    View.NETWORKS: (
        "Host",
        "Network",
        "State",
        "Autostart",
        "Bridge",
        "Forward",
        "Subnet",
        "DHCP range",
        "Hosts",
        "In git",
    ),
    View.LEASES: ("Host", "Network", "MAC", "IP", "Hostname", "Expires", "Source", "Reservation"),
    View.RESERVATIONS: ("Host", "Network", "Name", "MAC", "IP", "Live", "File:line"),
}

# Rows are ordered by these columns, compared naturally (…202.8 before …202.10).
SORT_COLUMNS: dict[View, tuple[int, ...]] = {
    View.BRIDGES: (0, 1),
    View.NETWORKS: (0, 1),
    View.LEASES: (0, 1, 3),
    View.RESERVATIONS: (0, 1, 4),
}


@dataclass(frozen=True, slots=True)
class LeaseItem:
    lease: Lease
    reserved: Reservation | None  # the config reservation holding this MAC, if any


@dataclass(frozen=True, slots=True)
class ReservationItem:
    host: str
    network: str
    reservation: Reservation
    in_config: bool
    path: str | None = None


@dataclass(frozen=True, slots=True)
class RowTarget:
    """What a row is about, for actions on the cursor row."""

    host: str
    network: str | None = None
    item: LeaseItem | ReservationItem | None = None


@dataclass(slots=True)
class ViewRows:
    rows: dict[str, Row] = field(default_factory=dict)
    targets: dict[str, RowTarget] = field(default_factory=dict)

    def add(self, key: str, row: Row, target: RowTarget) -> None:
        self.rows[key] = row
        self.targets[key] = target

    def sorted(self, columns: tuple[int, ...]) -> ViewRows:
        order = sorted(self.rows, key=lambda k: row_sort_key(self.rows[k], columns))
        return ViewRows({k: self.rows[k] for k in order}, {k: self.targets[k] for k in order})

    def filtered(self, host: str | None, text: str) -> ViewRows:
        needle = text.strip().casefold()
        if host is None and not needle:
            return self  # nothing to drop: no copy of 10 000 rows on every refresh
        out = ViewRows()
        for key, row in self.rows.items():
            target = self.targets[key]
            if host is not None and target.host != host:
                continue
            if needle and needle not in " ".join(cell_text(c) for c in row).casefold():
                continue
            out.add(key, row, target)
        return out


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"
    return f"{seconds // 3600:.0f}h{seconds % 3600 // 60:02.0f}m"


def coarse_age_text(seconds: float | None) -> str:
    """An age for table rows, in whole minutes: a stale host's rows (hundreds of them)
    then change once a minute, not on every refresh. Its card has the age to the second."""
    if seconds is None:
        return "never"
    if seconds < 60:
        return "<1m"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m"
    return f"{seconds // 3600:.0f}h{seconds % 3600 // 60:02.0f}m"


def _host_cell(status: HostStatus, now: float) -> Cell:
    if status.state is HostState.OK:
        return status.host
    return (f"{status.host} stale {coarse_age_text(status.age(now))}", STALE)


def _dim(status: HostStatus, cells: Iterable[Cell]) -> Row:
    """A stale host's rows are dimmed as a whole; the host cell says why in words."""
    if status.state is HostState.OK:
        return tuple(cells)
    return tuple((c if isinstance(c, str) else c[0], STALE) for c in cells)


def bridge_rows(fleet: FleetSnapshot, now: float) -> ViewRows:
    out = ViewRows()
    for status in fleet.hosts:
        snap = status.snapshot
        if snap is None:
            continue
        for link in snap.bridges:
            state: Cell = (link.state, OK if link.state == "UP" else WARN)
            row = _dim(
                status,
                (
                    _host_cell(status, now),
                    link.name,
                    state,
                    link.mac or "",
                    " ".join(a.cidr for a in link.addresses),
                    " ".join(link.ports) or "none",
                ),
            )
            out.add(f"{status.host}/{link.name}", row, RowTarget(status.host))
    return out.sorted(SORT_COLUMNS[View.BRIDGES])


def network_rows(fleet: FleetSnapshot, config: FleetConfig | None, now: float) -> ViewRows:
    out = ViewRows()
    for status in fleet.hosts:
        snap = status.snapshot
        host_cfg = config.host(status.host) if config else None
        live_names = set()
        if snap is not None:
            for net in snap.networks:
                live_names.add(net.name)
                parsed = net.running
                dhcp = parsed.dhcp_ip if parsed else None
                subnet = parsed.ips[0].cidr if parsed and parsed.ips else ""
                ranges = " ".join(f"{r.start}-{r.end}" for r in dhcp.ranges) if dhcp else ""
                hosts = str(len(parsed.reservations)) if parsed else "?"
                forward = (parsed.forward_mode or "isolated") if parsed else "?"
                if config is None:
                    in_git: Cell = "unknown"
                elif host_cfg is not None and host_cfg.network(net.name) is not None:
                    in_git = ("yes", OK)
                else:
                    in_git = ("NOT IN GIT", WARN)
                row = _dim(
                    status,
                    (
                        _host_cell(status, now),
                        net.name,
                        ("active", OK) if net.active else ("INACTIVE", WARN),
                        "yes" if net.autostart else "no",
                        net.bridge or "",
                        forward,
                        subnet,
                        ranges,
                        hosts,
                        in_git,
                    ),
                )
                out.add(f"{status.host}/{net.name}", row, RowTarget(status.host, net.name))
        if host_cfg is not None and snap is not None:
            for cfg_net in host_cfg.networks:
                if cfg_net.name in live_names:
                    continue
                dhcp = cfg_net.dhcp_ip
                row = _dim(
                    status,
                    (
                        _host_cell(status, now),
                        cfg_net.name,
                        ("NOT DEFINED", ERROR),
                        "",
                        "",
                        cfg_net.forward_mode or "isolated",
                        cfg_net.ips[0].cidr if cfg_net.ips else "",
                        " ".join(f"{r.start}-{r.end}" for r in dhcp.ranges) if dhcp else "",
                        str(len(cfg_net.reservations)),
                        ("git only", WARN),
                    ),
                )
                out.add(f"{status.host}/{cfg_net.name}", row, RowTarget(status.host, cfg_net.name))
    return out.sorted(SORT_COLUMNS[View.NETWORKS])


# norm_mac (core.scheme) pulls in netaddr: the builders below run in the poll worker, so
# they import it, not the console before its first frame.


def _config_index(config: FleetConfig | None) -> dict[tuple[str, str, str], Reservation]:
    from tropconsole.core.scheme import norm_mac

    index: dict[tuple[str, str, str], Reservation] = {}
    if config is None:
        return index
    for host in config.hosts:
        for net in host.networks:
            for res in net.reservations:
                if res.mac:
                    index[(host.name, net.name, norm_mac(res.mac) or "")] = res
    return index


def expires_text(expiry: int | None, now: float) -> str:
    """Minutes, not seconds: a per-second countdown would change every lease's cell on
    every refresh (10 000 cell updates a tick on a big fleet) for nothing an operator needs."""
    if expiry is None:
        return "never"
    left = expiry - now
    if left <= 0:
        return "expired"
    if left < 60:
        return "in <1m"
    if left < 3600:
        return f"in {left // 60:.0f}m"
    return f"in {left // 3600:.0f}h{left % 3600 // 60:02.0f}m"


def _lease_row(
    status: HostStatus,
    lease: Lease,
    mac: str,
    reserved: Reservation | None,
    config: FleetConfig | None,
    host_cell: Cell,
    expires: str,
) -> tuple[str, Row, RowTarget]:
    if reserved is None:
        res_cell: Cell = ("none" if config is not None else "unknown", WARN)
    elif reserved.ip != lease.ip:
        res_cell = (f"WRONG IP, git: {reserved.ip}", ERROR)
    else:
        res_cell = (reserved.name or "yes", OK)
    source: Cell = ("DEMO", DEMO) if lease.source == "demo" else lease.source
    row = _dim(
        status,
        (host_cell, lease.network, mac, lease.ip, lease.hostname or "", expires, source, res_cell),
    )
    key = f"{lease.host}/{lease.network}/{mac}"
    return key, row, RowTarget(lease.host, lease.network, LeaseItem(lease, reserved))


def lease_rows(fleet: FleetSnapshot, config: FleetConfig | None, now: float) -> ViewRows:
    """The Leases view, built from nothing (``RowBuilder`` reuses the last build's rows)."""
    return RowBuilder().lease_rows(fleet, config, now)


@dataclass(frozen=True, slots=True)
class _LeaseEntry:
    lease: Lease
    inputs: tuple[object, ...]  # what the row was built from, besides the lease itself
    key: str
    row: Row
    target: RowTarget
    order: tuple[tuple[tuple[int, int | str], ...], ...]  # its sort key


class RowBuilder:
    """``build_all`` with a memory of the last Leases view, for the poll worker.

    Most leases are the same from one refresh to the next (the same ``Lease`` object when
    the source keeps its snapshot, an equal one otherwise). Such a lease keeps its row,
    target and sort key from the previous build instead of allocating them again: on a
    10 000-lease fleet that is less work in the worker (which shares the interpreter with
    the event loop) and far fewer objects for Python's garbage collector to trace.
    """

    def __init__(self) -> None:
        self._leases: dict[Lease, _LeaseEntry] = {}

    def build(
        self, snapshot: FleetSnapshot, config: FleetConfig | None, now: float
    ) -> dict[View, ViewRows]:
        return {
            view: self.lease_rows(snapshot, config, now)
            if view is View.LEASES
            else build(snapshot, config, now)
            for view, build in BUILDERS.items()
        }

    def lease_rows(self, fleet: FleetSnapshot, config: FleetConfig | None, now: float) -> ViewRows:
        from tropconsole.core.scheme import norm_mac

        index = _config_index(config)
        before = self._leases
        after: dict[Lease, _LeaseEntry] = {}
        by_key: dict[str, _LeaseEntry] = {}  # the last lease of a key wins, as in lease_rows
        columns = SORT_COLUMNS[View.LEASES]
        for status in fleet.hosts:
            snap = status.snapshot
            if snap is None:
                continue
            host_cell = _host_cell(status, now)
            for lease in snap.leases:
                mac = norm_mac(lease.mac) or ""
                reserved = index.get((lease.host, lease.network, mac))
                expires = expires_text(lease.expiry, now)
                inputs = (host_cell, status.state, reserved, config is None, expires)
                entry = before.get(lease)
                if entry is None or entry.inputs != inputs:
                    key, row, target = _lease_row(
                        status, lease, mac, reserved, config, host_cell, expires
                    )
                    entry = _LeaseEntry(lease, inputs, key, row, target, row_sort_key(row, columns))
                after[lease] = by_key[entry.key] = entry
        self._leases = after
        entries = sorted(by_key.values(), key=lambda e: e.order)
        return ViewRows({e.key: e.row for e in entries}, {e.key: e.target for e in entries})


def reservation_rows(fleet: FleetSnapshot, config: FleetConfig | None, now: float) -> ViewRows:
    """Reservations in git, each marked with whether the host runs it; plus live-only ones."""
    from tropconsole.core.scheme import norm_mac

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
                if live is None:
                    live_cell: Cell = ("unknown", STALE)
                elif (mac, res.ip) in live:
                    live_cell = ("live", OK)
                else:
                    live_cell = ("NOT LIVE", WARN)
                where = f"{_short_path(net.path)}:{res.line}" if res.line else ""
                row = _dim(
                    status,
                    (
                        _host_cell(status, now),
                        net.name,
                        res.name or "",
                        mac,
                        res.ip,
                        live_cell,
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
                live_cell = ("LIVE ONLY", ERROR) if config is not None else ("live", OK)
                row = _dim(
                    status,
                    (
                        _host_cell(status, now),
                        live_net.name,
                        res.name or "",
                        mac,
                        res.ip,
                        live_cell,
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
                    ),
                )
    return out.sorted(SORT_COLUMNS[View.RESERVATIONS])


def _short_path(path: str | None) -> str:
    if not path:
        return ""
    marker = "/etc/libvirt/qemu/networks/"
    if marker in path:
        head, tail = path.split(marker, 1)
        return f"{head.rsplit('/', 1)[-1]}/…/{tail}"
    return path


def build_all(
    snapshot: FleetSnapshot, config: FleetConfig | None, now: float
) -> dict[View, ViewRows]:
    """Every table view's rows; pure, so the poll worker can build them off the event loop
    (10 000 leases take a few hundred ms, which would otherwise freeze the keys)."""
    return {view: build(snapshot, config, now) for view, build in BUILDERS.items()}


BUILDERS: dict[View, Callable[[FleetSnapshot, FleetConfig | None, float], ViewRows]] = {
    View.BRIDGES: lambda fleet, _config, now: bridge_rows(fleet, now),
    View.NETWORKS: network_rows,
    View.LEASES: lease_rows,
    View.RESERVATIONS: reservation_rows,
}
