"""Is git the truth on every host right now? Three-way drift of libvirt networks.

Each network is compared on three sides: the git copy, libvirt's persistent definition
(``XMLDesc(VIR_NETWORK_XML_INACTIVE)``) and the running one (``XMLDesc(0)``). libvirt
rewrites its files (header comment, uuid, attribute order, MAC case, netmask vs prefix),
so the comparison is on meaning: reservations as (MAC, IP, name) sets with the MAC
normalised and the name case-folded (DHCP host names are DNS names), DHCP ranges and
``<ip>`` addresses as normalised addresses, and the forward mode, bridge name and bridge
MAC as values (the last two only when git sets them: libvirt invents them otherwise).

Where a difference sits decides what it means, so every finding says it:
  only in git / live, not in git   git differs from both libvirt sides: a commit not
                                   applied (or a live change never committed)
  only running / missing from      running is the odd one out: a ``--live``-only change
  running                          that a restart of the network would undo
  only persistent / missing from   persistent is the odd one out: a ``--config``-only
  persistent                       change that takes effect on the next restart
The comparison is in ``netdrift``, bridges and leases in ``reconcile``; this module is
the facade: it plans ``sync`` and walks the fleet (``fleet_drift``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from tropconsole.core.checkout import checkout_finding
from tropconsole.core.findings import (
    Action,
    DriftCounts,
    Finding,
    Kind,
    Severity,
    at_least,
    count_by_host,
    sort_findings,
)
from tropconsole.core.live import FleetSnapshot, HostSnapshot, HostState, LiveNetwork
from tropconsole.core.models import FleetConfig, HostConfig, LibvirtNetwork, Reservation
from tropconsole.core.netdrift import live_defs, network_drift, reservation_key
from tropconsole.core.reconcile import bridge_drift, lease_findings

__all__ = [
    "Action",
    "DriftCounts",
    "Finding",
    "Kind",
    "Severity",
    "SyncPlan",
    "SyncStep",
    "at_least",
    "bridge_drift",
    "count_by_host",
    "fleet_drift",
    "host_drift",
    "lease_findings",
    "live_defs",
    "network_drift",
    "plan_sync",
    "reservation_key",
    "sort_findings",
]


class SyncStep(NamedTuple):
    """One virNetworkUpdate: add or remove ``reservation`` on the sides named."""

    reservation: Reservation
    live: bool  # VIR_NETWORK_UPDATE_AFFECT_LIVE
    config: bool  # VIR_NETWORK_UPDATE_AFFECT_CONFIG
    whole: bool = True  # every side the network has: a plain LiveApplier call does it

    @property
    def scope(self) -> str:
        return "+".join(s for s, on in (("live", self.live), ("config", self.config)) if on)

    def describe(self) -> str:
        r = self.reservation
        return f"<host mac='{r.mac or ''}' ip='{r.ip}' name='{r.name or ''}'/> ({self.scope})"


class SyncPlan(NamedTuple):
    """What ``sync`` does, removals first: libvirt refuses to add an entry whose MAC, IP
    or name is still held by another one, so a changed IP is a remove then an add."""

    to_add: tuple[SyncStep, ...]
    to_remove: tuple[SyncStep, ...]

    @property
    def empty(self) -> bool:
        return not self.to_add and not self.to_remove


def plan_sync(git_net: LibvirtNetwork, live_net: LiveNetwork, host: str = "") -> SyncPlan:
    """Make both libvirt sides hold exactly git's reservations. Each step names the sides
    that need it, so an entry present in one side only is fixed on the other alone
    (libvirt refuses a LIVE|CONFIG add when one side already has the entry)."""
    persistent, running, _ = live_defs(host or "host", live_net)
    g = {reservation_key(r): r for r in git_net.reservations}
    p = {reservation_key(r): r for r in persistent.reservations} if persistent else {}
    r_ = {reservation_key(r): r for r in running.reservations} if running else {}
    has_live, has_config = running is not None, persistent is not None
    adds: list[SyncStep] = []
    removes: list[SyncStep] = []

    def step(res: Reservation, live: bool, config: bool) -> SyncStep:
        return SyncStep(res, live, config, whole=(live == has_live and config == has_config))

    for key, res in g.items():
        live, config = has_live and key not in r_, has_config and key not in p
        if live or config:
            adds.append(step(res, live, config))
    for key in dict.fromkeys([*p, *r_]):
        if key in g:
            continue
        in_r, in_p = key in r_, key in p
        if in_r and in_p and r_[key].name != p[key].name:
            removes += [step(r_[key], True, False), step(p[key], False, True)]
        else:
            removes.append(step(r_[key] if in_r else p[key], in_r, in_p))
    return SyncPlan(tuple(adds), tuple(removes))


def host_drift(fleet: FleetConfig, host: HostConfig, snap: HostSnapshot) -> tuple[Finding, ...]:
    """All findings for one reachable host: networks, bridges, leases, its checkout."""
    checkout = checkout_finding(fleet, host.name, snap.checkout)
    return (
        *network_drift(host, snap),
        *bridge_drift(host, snap),
        *lease_findings(fleet, host, snap),
        *((checkout,) if checkout is not None else ()),
    )


def fleet_drift(
    fleet: FleetConfig, snapshot: FleetSnapshot, hosts: Iterable[str] | None = None
) -> tuple[Finding, ...]:
    """Every host of the fleet (or those named); a host with no snapshot gets one finding
    saying its drift is unknown rather than silently counting as clean."""
    wanted = set(hosts) if hosts is not None else None
    out: list[Finding] = []
    for host in fleet.hosts:
        if wanted is not None and host.name not in wanted:
            continue
        status = snapshot.host(host.name)
        if status is None or status.snapshot is None:
            why = status.error if status is not None and status.error else "no snapshot"
            out.append(
                Finding(
                    host=host.name,
                    kind=Kind.HOST_UNREACHABLE,
                    severity=Severity.WARNING,
                    subject=host.name,
                    where="live",
                    detail=f"not reachable, drift unknown ({why})",
                    fix=f"check SSH and libvirt to {host.name} (tropconsole status)",
                    action=Action.CHECK_HOST,
                    aspect="host",
                )
            )
            continue
        if status.state is HostState.STALE:
            age = snapshot.taken_at - status.snapshot.taken_at
            out.append(
                Finding(
                    host=host.name,
                    kind=Kind.HOST_STALE,
                    severity=Severity.INFO,
                    subject=host.name,
                    where="live",
                    detail=f"drift computed from a snapshot {age:.0f}s old ({status.error or ''})",
                    fix=f"check SSH and libvirt to {host.name}",
                    action=Action.CHECK_HOST,
                    aspect="host",
                )
            )
        out.extend(host_drift(fleet, host, status.snapshot))
    known = {h.name for h in fleet.hosts}
    for status in snapshot.hosts:
        if status.host not in known and (wanted is None or status.host in wanted):
            out.append(
                Finding(
                    host=status.host,
                    kind=Kind.HOST_NOT_IN_GIT,
                    severity=Severity.WARNING,
                    subject=status.host,
                    where="only live",
                    detail="in the inventory but the config repo has no directory for it",
                    fix=f"add src/cfg/tropo/{status.host}/ to git or drop it from the inventory",
                    action=Action.EDIT_CONFIG,
                    aspect="host",
                )
            )
    return tuple(out)
