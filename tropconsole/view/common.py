"""What every view's rows are made of: the views, their columns, row targets and helpers.

Plain data, no Textual and no Rich: a cell is a string or ``(text, style)``, where the
style is a Rich style *name* the table widget turns into a ``Text`` when it paints. Every
row is keyed by a stable id (host/network/mac...) so the tables can be updated by a keyed
diff, and every row names its host. Colour never carries meaning alone: a stale host's
rows say "stale 3m", a drifted reservation says "not live", a demo lease says "DEMO".

Fit for 80 columns: a cell that carries a verdict (State, Reservation, Live, Severity...)
holds a short word from a fixed set ("WRONG IP", "NOT LIVE", "ok") and its column comes
before the free-text ones (names, paths), so it is on screen, whole, in an 80-column
terminal. What the short word stands for goes in the row's ``RowTarget.detail``: the one
line under the table that follows the cursor.

The console imports this module (and ``tablediff``, ``drift``) before its first frame;
the row builders (``bridges``, ``networks``, ``leases``, ``reservations``, ``drift_rows``)
run in the poll worker and are reached through ``tropconsole.view.build`` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from tropconsole.core.live import HostState, HostStatus
from tropconsole.core.models import Lease, Reservation
from tropconsole.view.tablediff import Cell, Row, cell_text, row_sort_key

if TYPE_CHECKING:  # the VMs and History builders import these; start-up does not
    from tropconsole.core.history import HistoryCommit
    from tropconsole.core.vms import NicRow, VmRow

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
    VMS = "vms"
    HISTORY = "history"
    ALERTS = "alerts"


COLUMNS: dict[View, tuple[str, ...]] = {
    View.BRIDGES: ("Host", "Bridge", "State", "MAC", "Addresses", "Ports"),
    View.NETWORKS: (
        "Host",
        "Network",
        "State",
        "Pool",  # view.alerts.pool_cell: "6r 3l 1/8 free" (reserved, leased, free/range)
        "Autostart",
        "Bridge",
        "Forward",
        "Subnet",
        "DHCP range",
        "Hosts",
        "In git",
    ),
    View.LEASES: ("Host", "Network", "MAC", "IP", "Reservation", "Hostname", "Expires", "Source"),
    View.RESERVATIONS: ("Host", "Network", "MAC", "IP", "Live", "Name", "File:line"),
    # The verdict comes early, so it is on screen in 80 columns; the rest scrolls (← →).
    View.VMS: (
        "Host",
        "Domain",
        "MAC",
        "Network",
        "Verdict",
        "State",
        "Lease IP",
        "Reserved",
        "Seen on bridge",
        "Model",
        "CPU/Mem",
    ),
    View.HISTORY: ("When", "Commit", "Host", "Network", "Revert", "Change", "Author"),
    View.ALERTS: ("Severity", "Host", "Kind", "Subject", "Detail"),
}

# The columns whose cells carry a verdict (a short word, in words and colour): each must
# be on screen, whole, in an 80-column terminal (tests/ui/screens/test_narrow.py checks
# every view named here). The Drift view's columns are ``view.drift.DRIFT_COLUMNS``.
VERDICT_COLUMNS: dict[View, tuple[str, ...]] = {
    View.BRIDGES: ("State",),
    View.LEASES: ("Reservation",),
    View.RESERVATIONS: ("Live",),
    View.DRIFT: ("Severity", "Kind"),
    View.VMS: ("Verdict",),
    View.NETWORKS: ("State", "Pool"),
    View.ALERTS: ("Severity", "Kind"),
}

# Rows are ordered by these columns, compared naturally (…202.8 before …202.10).
SORT_COLUMNS: dict[View, tuple[int, ...]] = {
    View.BRIDGES: (0, 1),
    View.NETWORKS: (0, 1),
    View.LEASES: (0, 1, 3),
    View.RESERVATIONS: (0, 1, 3),
    View.VMS: (0, 1, 2),
    View.ALERTS: (0, 1, 2, 3),  # worst first: ■ ERROR < ▲ WARNING, as in Drift
}


@dataclass(frozen=True, slots=True)
class RowTarget:
    """What a row is about, for actions on the cursor row, and its detail line.

    ``detail`` is the line the main screen shows under the table while the cursor is on
    this row: what the row's short verdict stands for, in full ("WRONG IP: git reserves
    192.168.201.13 for Thalorien"), and whatever else a narrow terminal cuts off. It is
    made by the row builder, in the poll worker, with the row; the screen only puts it on
    screen (a cursor move costs one lookup and one line of text). A new view fills it in
    its builder (``RowTarget(host, network, item, detail=...)``); "" shows an empty line.
    """

    host: str
    network: str | None = None
    item: LeaseItem | ReservationItem | NicItem | CommitItem | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class LeaseItem:
    """A Leases row (or a drift row about a lease): the reservation form fills in from it."""

    lease: Lease
    reserved: Reservation | None  # the config reservation holding this MAC, if any


@dataclass(frozen=True, slots=True)
class ReservationItem:
    """A Reservations row: git's reservation (``in_config``, from ``path``) or one only the
    host's live definition holds; the remove key works on the former."""

    host: str
    network: str
    reservation: Reservation
    in_config: bool
    path: str | None = None


@dataclass(frozen=True, slots=True)
class NicItem:
    """A VMs row: one NIC of a domain (``nic`` None for a domain without NICs); the
    reservation form fills in from it."""

    vm: VmRow
    nic: NicRow | None


@dataclass(frozen=True, slots=True)
class CommitItem:
    """A History row: one reservation commit (its entries on ``host``); ``u`` undoes it."""

    commit: HistoryCommit
    host: str


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


def host_cell(status: HostStatus, now: float) -> Cell:
    if status.state is HostState.OK:
        return status.host
    return (f"{status.host} stale {coarse_age_text(status.age(now))}", STALE)


def dim(status: HostStatus, cells: Iterable[Cell]) -> Row:
    """A stale host's rows are dimmed as a whole; the host cell says why in words."""
    if status.state is HostState.OK:
        return tuple(cells)
    return tuple((c if isinstance(c, str) else c[0], STALE) for c in cells)
