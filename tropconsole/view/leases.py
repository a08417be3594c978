"""The Leases view: every DHCP lease, and whether git reserves its MAC (and at which IP).

``LeaseRows`` remembers the last build, so a refresh costs what changed, not the fleet's
size (``lease_rows`` builds from nothing; the tests hold the two equal).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter, ne

from tropconsole.core.live import FleetSnapshot, HostState, HostStatus
from tropconsole.core.models import FleetConfig, Lease, Reservation
from tropconsole.core.scheme import norm_mac
from tropconsole.view.common import (
    DEMO,
    ERROR,
    OK,
    SORT_COLUMNS,
    WARN,
    LeaseItem,
    RowTarget,
    View,
    ViewRows,
    dim,
    host_cell,
)
from tropconsole.view.tablediff import Cell, Row, cell_text, natural_key, row_sort_key


def reservations_by_host(
    config: FleetConfig | None,
) -> dict[str, dict[tuple[str, str], Reservation]]:
    """The config's reservations by host, then by (network, normalised MAC)."""
    index: dict[str, dict[tuple[str, str], Reservation]] = {}
    for host in config.hosts if config else ():
        for net in host.networks:
            for res in net.reservations:
                if res.mac:
                    index.setdefault(host.name, {})[(net.name, norm_mac(res.mac) or "")] = res
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


def _expires_until(expiry: int | None, now: float) -> float:
    """When ``expires_text(expiry, now)`` next reads differently: it reads the same at every
    ``t`` with ``now <= t < _expires_until(expiry, now)``; ``inf`` if never (no expiry, or
    expired already). Past the first minute the text is a function of the whole minutes
    left, ``(expiry - t) // 60``, which drops just after ``t = expiry - 60 * minutes``.
    Exact for epoch times (``expiry - t`` is then computed without rounding); where it
    rounds (small, far apart numbers) it may come early, never late, and is after ``now``."""
    if expiry is None:
        return math.inf
    left = expiry - now
    if left <= 0:
        return math.inf
    if left < 60:
        return float(expiry)  # "in <1m", then "expired" from the expiry on
    drop = math.nextafter(expiry - left // 60 * 60, math.inf)
    return max(drop, math.nextafter(now, math.inf))


def reservation_verdict(
    lease: Lease, reserved: Reservation | None, *, known: bool
) -> tuple[Cell, str]:
    """The Reservation cell of ``lease`` (a short word, so it fits 80 columns) and the
    detail line that says it in full. ``known`` is False when no config repo was read."""
    if reserved is None:
        if not known:
            return ("unknown", WARN), "unknown: no config repo was read to compare with"
        return ("none", WARN), "none: no reservation in git holds this MAC"
    name = f" ({reserved.name})" if reserved.name else ""
    if reserved.ip != lease.ip:
        return ("WRONG IP", ERROR), f"WRONG IP: git reserves {reserved.ip}{name} for this MAC"
    return ("ok", OK), f"ok: reserved in git at this IP{name}"


_NO_RESERVATIONS: dict[tuple[str, str], Reservation] = {}
_LEASE_SORT = SORT_COLUMNS[View.LEASES]
_SortKey = tuple[tuple[tuple[int, int | str], ...], ...]


@dataclass(slots=True)  # not frozen: a frozen dataclass is slower to make, and none is changed
class _LeaseEntry:
    lease: Lease
    mac: str  # normalised
    reserved: Reservation | None
    key: str
    row: Row
    target: RowTarget
    order: _SortKey  # its sort key
    until: float  # its Expires cell reads the same until then (``_expires_until``)


def _lease_entry(
    status: HostStatus,
    lease: Lease,
    mac: str,
    reserved: Reservation | None,
    config: FleetConfig | None,
    host_cell: Cell,
    now: float,
    order: _SortKey | None = None,
) -> _LeaseEntry:
    """The row of ``lease``; ``order`` is its sort key when known (the same IP as before)."""
    res_cell, detail = reservation_verdict(lease, reserved, known=config is not None)
    source: Cell = ("DEMO", DEMO) if lease.source == "demo" else lease.source
    expires = expires_text(lease.expiry, now)
    row = dim(
        status,
        (host_cell, lease.network, mac, lease.ip, res_cell, lease.hostname or "", expires, source),
    )
    key = f"{lease.host}/{lease.network}/{mac}"
    target = RowTarget(lease.host, lease.network, LeaseItem(lease, reserved), detail)
    if order is None:
        order = row_sort_key(row, _LEASE_SORT)
    until = _expires_until(lease.expiry, now)
    return _LeaseEntry(lease, mac, reserved, key, row, target, order, until)


def lease_rows(fleet: FleetSnapshot, config: FleetConfig | None, now: float) -> ViewRows:
    """The Leases view, built from nothing (``LeaseRows`` reuses the last build's rows)."""
    return LeaseRows().lease_rows(fleet, config, now)


@dataclass(eq=False, slots=True)
class _HostBlock:
    """One host's lease rows, and what they were built from."""

    leases: tuple[Lease, ...]
    inputs: tuple[Cell, HostState, bool]  # host cell, state, ``config is None``
    reservations: dict[tuple[str, str], Reservation]  # the host's slice of the config
    entries: dict[str, _LeaseEntry]  # by row key, first seen first; the last lease wins
    rows: dict[str, Row]  # in display order; never handed out, so patched in place
    targets: dict[str, RowTarget]
    due: list[tuple[float, str]]  # heap of (``until``, key): the next Expires cells to redo
    host_key: tuple[tuple[int, int | str], ...]  # natural sort key of the host cell
    plain: bool  # one row per lease (no duplicate key): a lease can be replaced in place
    foreign: bool  # a lease names another host: never reused (its key may clash)


class LeaseRows:
    """The Leases view with a memory of the last build, for the poll worker.

    It runs on every refresh in a thread that shares the interpreter with the event loop,
    so its cost should follow what changed, not the fleet's size. It keeps, per host, a
    block: that host's rows already deduplicated and in display order, with the leases,
    host cell, state and reservations they came from. A host whose inputs are equal to the
    last build's (its leases are re-read every poll and the config reloaded, so equal, not
    the same objects) keeps its block; only the Expires cells whose minute ran out (a heap
    of when each changes next) and the leases changed in place (the same MAC and IP, so the
    same key and position) are redone. Anything else rebuilds that host's block, reusing the
    rows of leases equal to the last ones. A host's rows share its host cell, the first sort
    column, so the view is the blocks in the natural order of their host cells: no sort of
    the whole fleet. When hosts' cells tie or a lease names another host, the blocks are
    merged and sorted as a whole, as ``lease_rows`` always did. An unchanged view is the
    same ``ViewRows`` object as last time; a changed one is new (the event loop may still
    read the last one).
    """

    def __init__(self) -> None:
        self._blocks: dict[str, _HostBlock] = {}
        self._shown: tuple[list[_HostBlock], ViewRows] = ([], ViewRows())
        self._config: FleetConfig | None = None
        self._index: dict[str, dict[tuple[str, str], Reservation]] = {}
        self._now = -math.inf
        self._patched = False  # a block's rows were changed in place in this build

    def lease_rows(self, fleet: FleetSnapshot, config: FleetConfig | None, now: float) -> ViewRows:
        if now < self._now:  # the clock went back: the blocks' Expires cells may be ahead
            self._blocks = {}
        self._now = now
        if config is not self._config and config != self._config:  # reloaded every poll
            self._config, self._index = config, reservations_by_host(config)
        blocks: list[_HostBlock] = []
        by_host: dict[str, _HostBlock] = {}
        self._patched = False
        for status in fleet.hosts:
            if status.snapshot is None:
                continue
            # A host named twice gets a block of its own each time (patching one in place
            # would change the other's).
            old = None if status.host in by_host else self._blocks.get(status.host)
            block = self._host_block(status, status.snapshot.leases, old, config, now)
            if block is old:
                self._refresh(block, status, config, now)
            blocks.append(block)
            by_host[status.host] = block
        self._blocks = by_host
        last_blocks, last = self._shown
        if not self._patched and blocks == last_blocks:
            return last
        out = ViewRows()
        if len(by_host) == len({b.host_key for b in blocks}) == len(blocks) and not any(
            b.foreign for b in blocks
        ):
            for block in sorted(blocks, key=attrgetter("host_key")):
                out.rows.update(block.rows)
                out.targets.update(block.targets)
        else:
            by_key: dict[str, _LeaseEntry] = {}
            for block in blocks:
                by_key.update(block.entries)
            for entry in sorted(by_key.values(), key=attrgetter("order")):
                out.add(entry.key, entry.row, entry.target)
        self._shown = (blocks, out)
        return out

    def _host_block(
        self,
        status: HostStatus,
        leases: tuple[Lease, ...],
        old: _HostBlock | None,
        config: FleetConfig | None,
        now: float,
    ) -> _HostBlock:
        """``old`` if it still holds (with the leases that kept their key and place put in
        it), else a new block that takes the rows of ``old`` that still hold."""
        inputs = (host_cell(status, now), status.state, config is None)
        reservations = self._index.get(status.host, _NO_RESERVATIONS)
        if old is None or old.foreign or old.inputs != inputs:
            return self._new_block(status, leases, inputs, reservations, config, now)
        same = old.reservations is reservations or old.reservations == reservations
        before = old.leases
        if not old.plain or len(before) != len(leases):  # match the leases by value
            reuse = {entry.lease: entry for entry in old.entries.values()}
            previous: list[_LeaseEntry | None] = [reuse.get(lease) for lease in leases]
            return self._new_block(
                status, leases, inputs, reservations, config, now, previous, same
            )
        # By place: the block is plain, so its entries are its leases' in order.
        changed = (
            [] if before is leases else list(compress(range(len(leases)), map(ne, before, leases)))
        )
        if same and all(_identity(before[i]) == _identity(leases[i]) for i in changed):
            if changed:
                entries = list(old.entries.values())
                for i in changed:
                    self._put(old, status, entries[i], leases[i], config, now)
            old.leases, old.reservations = leases, reservations
            return old
        previous = list(old.entries.values())
        for i in changed:
            previous[i] = None
        return self._new_block(status, leases, inputs, reservations, config, now, previous, same)

    def _new_block(
        self,
        status: HostStatus,
        leases: tuple[Lease, ...],
        inputs: tuple[Cell, HostState, bool],
        reservations: dict[tuple[str, str], Reservation],
        config: FleetConfig | None,
        now: float,
        previous: list[_LeaseEntry | None] | None = None,
        same: bool = False,
    ) -> _HostBlock:
        """The block of ``leases``, taking ``previous[i]`` (an entry of an equal lease, when
        not None) for the ``i``-th lease if its Expires cell and (unless the host's
        reservations are the ``same``) its reservation still hold."""
        host_cell = inputs[0]
        entries: dict[str, _LeaseEntry] = {}
        foreign = False
        for lease, entry in zip(leases, previous or [None] * len(leases), strict=True):
            if entry is not None and entry.until > now and same:
                entries[entry.key] = entry
                continue
            table = reservations
            if lease.host != status.host:
                foreign = True
                table = self._index.get(lease.host, _NO_RESERVATIONS)
            mac = norm_mac(lease.mac) or ""
            reserved = table.get((lease.network, mac))
            if entry is None or entry.until <= now or entry.reserved != reserved:
                entry = _lease_entry(status, lease, mac, reserved, config, host_cell, now)
            entries[entry.key] = entry  # the last lease of a key wins, at the first's place
        ordered = sorted(entries.values(), key=attrgetter("order"))
        never = math.inf
        due = [(e.until, e.key) for e in ordered if e.until != never]
        heapq.heapify(due)
        return _HostBlock(
            leases,
            inputs,
            reservations,
            entries,
            {e.key: e.row for e in ordered},
            {e.key: e.target for e in ordered},
            due,
            natural_key(cell_text(host_cell)),
            len(entries) == len(leases),
            foreign,
        )

    def _refresh(
        self, block: _HostBlock, status: HostStatus, config: FleetConfig | None, now: float
    ) -> None:
        """Redo the rows whose Expires cell reads differently by ``now``."""
        due = block.due
        while due and due[0][0] <= now:
            _, key = heapq.heappop(due)
            entry = block.entries[key]
            if entry.until <= now:  # else a replaced lease's entry is newer than this
                self._put(block, status, entry, entry.lease, config, now)

    def _put(
        self,
        block: _HostBlock,
        status: HostStatus,
        old: _LeaseEntry,
        lease: Lease,
        config: FleetConfig | None,
        now: float,
    ) -> None:
        """Rebuild the row of ``old`` for ``lease``, which has the same key and place."""
        host_cell = block.inputs[0]
        entry = _lease_entry(
            status, lease, old.mac, old.reserved, config, host_cell, now, old.order
        )
        block.entries[entry.key] = entry
        block.rows[entry.key] = entry.row
        block.targets[entry.key] = entry.target
        self._patched = True
        if entry.until != math.inf:
            heapq.heappush(block.due, (entry.until, entry.key))


def _identity(lease: Lease) -> tuple[str, str, str, str]:
    """What a lease's row key and place in the view come from."""
    return (lease.host, lease.network, lease.mac, lease.ip)
