"""The VMs view: one row per NIC of every domain (a domain without NICs still has one).

Built in the poll worker from ``core.vms.vm_rows``, which decides every verdict; this
module only lays the rows out. A row repeats its domain's cells, so the host filter and
the text filter keep whole, readable rows. The verdict is short here (it must fit in 80
columns); the line under the table says it in full (``nic_detail``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from tropconsole.core.live import FleetSnapshot, HostState, HostStatus
from tropconsole.core.models import FleetConfig
from tropconsole.core.vms import NicRow, SeenAddress, Verdict, vm_rows
from tropconsole.view.common import (
    ERROR,
    OK,
    SORT_COLUMNS,
    STALE,
    WARN,
    NicItem,
    RowTarget,
    View,
    ViewRows,
    age_text,
    dim,
    host_cell,
)
from tropconsole.view.tablediff import Cell

NO_DOMAIN = "no domain under the cursor"

VERDICT_CELLS: dict[Verdict, tuple[str, str]] = {
    Verdict.OK: ("ok", OK),
    Verdict.RESERVED_ELSEWHERE: ("ELSEWHERE", WARN),
    Verdict.OUTSIDE_RANGE: ("OUT OF RANGE", WARN),
    Verdict.NO_DHCP: ("no DHCP", "cyan"),
    Verdict.WRONG_IP: ("WRONG IP", ERROR),
    Verdict.NO_RESERVATION: ("UNRESERVED", WARN),
}
NO_NIC: Cell = ("no NIC", STALE)
NO_REPO: Cell = ("no repo", STALE)


def memory_text(kib: int) -> str:
    mib = kib // 1024
    if mib >= 1024 and mib % 1024 == 0:
        return f"{mib // 1024}G"
    if mib >= 1024:
        return f"{mib / 1024:.1f}G"
    return f"{mib}M"


def seen_text(seen: SeenAddress) -> str:
    age = f" {age_text(seen.age)} ago" if seen.age is not None else ""
    return f"{seen.ip} {seen.state}{age}"


def network_text(nic: NicRow) -> str:
    """The network; a NIC plugged straight into a bridge says the bridge first."""
    if nic.kind == "bridge" and nic.bridge:
        return f"{nic.bridge} ({nic.network})" if nic.network else nic.bridge
    return nic.network or nic.bridge or "—"


def vm_view_rows(fleet: FleetSnapshot, config: FleetConfig | None, now: float) -> ViewRows:
    out = ViewRows()
    statuses = {s.host: s for s in fleet.hosts}
    git = config if config is not None else FleetConfig(repo="", hosts=())
    for vm in vm_rows(git, fleet):
        status = statuses.get(vm.host) or HostStatus(vm.host, HostState.DOWN)
        head = (host_cell(status, now), vm.name)
        tail = f"{vm.vcpus}/{memory_text(vm.memory_kib)}"
        if not vm.nics:
            cells: tuple[Cell, ...] = (*head, "—", "—", NO_NIC, vm.state, "", "", "", "", tail)
            out.add(
                vm.key, dim(status, cells), _described(RowTarget(vm.host, None, NicItem(vm, None)))
            )
            continue
        for nic in vm.nics:
            verdict = VERDICT_CELLS[nic.verdict] if config is not None else NO_REPO
            cells = (
                *head,
                nic.mac,
                network_text(nic),
                verdict,
                vm.state,
                nic.lease_ip or "",
                nic.reserved_ip or "",
                ", ".join(seen_text(s) for s in nic.seen),
                nic.model or "",
                tail,
            )
            target = _described(RowTarget(vm.host, nic.network, NicItem(vm, nic)))
            out.add(nic.key, dim(status, cells), target)
    return out.sorted(SORT_COLUMNS[View.VMS])


def _described(target: RowTarget) -> RowTarget:
    """The target with its detail, made here with the row (not on the cursor path)."""
    return replace(target, detail=nic_detail(target))


def nic_detail(target: RowTarget | None) -> str:
    """The line under the table: the domain, then the NIC's verdict in full, and the
    addresses it holds (lease, reservation, other hosts' reservations, seen on its bridge)."""
    item = target.item if target is not None else None
    if not isinstance(item, NicItem):
        return NO_DOMAIN
    vm, nic = item.vm, item.nic
    head = f"{vm.host}/{vm.name}: {vm.state}, {vm.vcpus} vCPU, {memory_text(vm.memory_kib)}"
    if nic is None:
        return f"{head}; no network interface"
    where = network_text(nic)
    model = f" {nic.model}" if nic.model else ""
    parts = [f"{head}; {nic.mac}{model} on {where}", f"{nic.verdict.value}: {nic.detail}"]
    facts = []
    if nic.lease is not None:
        facts.append(f"lease {nic.lease.ip}")
    for place in nic.elsewhere:
        facts.append(f"git reserves it on {place.where} ({place.reservation.ip})")
    if nic.bridge and (nic.seen or not nic.dhcp):  # a bridged guest's own addresses
        seen = ", ".join(seen_text(s) for s in nic.seen) or "not seen lately"
        facts.append(f"seen on {nic.bridge}: {seen}")
    if facts:
        parts.append(" · ".join(facts))
    return "\n".join(parts)


def vms_summary(targets: Mapping[str, RowTarget]) -> str:
    """The line over the table: how many domains and NICs are shown, how many need a look."""
    domains = set()
    nics = bad = 0
    for target in targets.values():
        item = target.item
        if not isinstance(item, NicItem):
            continue
        domains.add(item.vm.key)
        if item.nic is not None:
            nics += 1
            bad += item.nic.verdict.bad
    worry = f"{bad} with a verdict worth a look" if bad else "every verdict as it should be"
    return f"{len(domains)} domains, {nics} NICs  ·  {worry}"
