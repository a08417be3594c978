"""Apply git's reservations to a host's libvirt network: the write half of ``drift``.

Sync sits next to ``ReservationService`` as the second entry of the one door: it never
touches git (git is already the truth; sync makes libvirt agree with it) and it writes
only through the ``LiveApplier`` port, so read-only mode, the CLI and the console all
reach the same checks. The plan (``drift.plan_sync``) removes before it adds, because
libvirt refuses an entry whose MAC, IP or name another entry still holds.

A step that must touch one side only (an entry already in running but not persistent,
say) goes to ``update_reservation`` with explicit sides when the applier has it
(``ScopedApplier``); otherwise to the plain ``LiveApplier`` call, which is expected to
skip a side that already agrees (the libvirt applier does). A failed step carries the
``virsh`` command that does it by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from tropconsole.core.drift import SyncPlan, SyncStep, plan_sync
from tropconsole.core.errors import ReadOnlyError, RefusedError, RemoteError, TropError
from tropconsole.core.live import FleetSnapshot, LiveNetwork
from tropconsole.core.models import FleetConfig, LibvirtNetwork
from tropconsole.core.ports import LiveApplier

__all__ = [
    "ScopedApplier",
    "SyncOutcome",
    "plan_sync",
    "resolve_sync",
    "run_sync",
    "virsh_command",
]


@runtime_checkable
class ScopedApplier(Protocol):
    """A ``LiveApplier`` that can also update one side only (LIVE or CONFIG)."""

    def update_reservation(
        self, host: str, network: str, reservation: object, *, add: bool, live: bool, config: bool
    ) -> str: ...


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    op: Literal["add", "remove"]
    step: SyncStep
    ok: bool
    message: str  # what the applier did, "dry run", or why it failed

    def line(self) -> str:
        status = "ok" if self.ok else "FAILED"
        return f"{self.op} {self.step.describe()}: {status}: {self.message}"


def virsh_command(op: Literal["add", "remove"], network: str, step: SyncStep) -> str:
    """The command that does ``step`` by hand on the host, for messages and dry runs."""
    r = step.reservation
    attrs = " ".join(f"{k}='{v}'" for k, v in (("mac", r.mac), ("name", r.name), ("ip", r.ip)) if v)
    flags = " ".join(
        f"--{side}" for side, on in (("live", step.live), ("config", step.config)) if on
    )
    verb = "add-last" if op == "add" else "delete"
    return f'virsh net-update {network} {verb} ip-dhcp-host "<host {attrs}/>" {flags}'


def resolve_sync(
    fleet: FleetConfig, snapshot: FleetSnapshot, host: str, network: str
) -> tuple[LibvirtNetwork, LiveNetwork]:
    """Git's and the host's copy of ``network``, or an error an operator can act on.

    The console calls this with its current fleet and snapshot when a drift row's
    ``sync-network`` action fires, then ``run_sync`` in a worker thread."""
    cfg = fleet.host(host)
    if cfg is None:
        known = ", ".join(h.name for h in fleet.hosts)
        raise RefusedError(f"unknown host {host!r}; the config repo has: {known}")
    git_net = cfg.network(network)
    if git_net is None:
        known = ", ".join(n.name for n in cfg.networks) or "none"
        raise RefusedError(f"{host} has no network {network!r} in git; it has: {known}")
    status = snapshot.host(host)
    if status is None or status.snapshot is None:
        why = status.error if status is not None and status.error else "no answer"
        raise RemoteError(host, f"cannot read live state: {why}")
    live_net = status.snapshot.network(network)
    if live_net is None:
        raise RefusedError(
            f"{network} is not defined on {host}; define it first (virsh net-define "
            f"{git_net.path or network + '.xml'})"
        )
    return git_net, live_net


def run_sync(
    applier: LiveApplier | None,
    host: str,
    git_net: LibvirtNetwork,
    live_net: LiveNetwork,
    *,
    read_only: bool = False,
    dry_run: bool = False,
    on_step: Callable[[SyncOutcome], None] | None = None,
) -> tuple[SyncOutcome, ...]:
    """Plan and apply; stop at the first failure (later steps may depend on it).

    Raises ``ReadOnlyError`` before anything is touched in read-only mode (a dry run is
    allowed: it only reads). Each outcome is also passed to ``on_step`` as it happens,
    so a CLI can print progress and a console can show it.
    """
    if not dry_run and (read_only or (applier is not None and applier.read_only)):
        raise ReadOnlyError(f"sync of {host}/{git_net.name}")
    plan: SyncPlan = plan_sync(git_net, live_net, host)
    steps: list[tuple[Literal["add", "remove"], SyncStep]] = [
        *(("remove", s) for s in plan.to_remove),
        *(("add", s) for s in plan.to_add),
    ]
    done: list[SyncOutcome] = []
    for op, step in steps:
        outcome = _one(applier, host, git_net.name, op, step, dry_run)
        done.append(outcome)
        if on_step is not None:
            on_step(outcome)
        if not outcome.ok:
            break
    return tuple(done)


def _one(
    applier: LiveApplier | None,
    host: str,
    network: str,
    op: Literal["add", "remove"],
    step: SyncStep,
    dry_run: bool,
) -> SyncOutcome:
    by_hand = f"on {host}: {virsh_command(op, network, step)}"
    if dry_run:
        return SyncOutcome(op, step, True, f"dry run ({by_hand})")
    if applier is None:
        return SyncOutcome(op, step, False, f"no live connection to {host}; {by_hand}")
    try:
        if not step.whole and isinstance(applier, ScopedApplier):
            what = applier.update_reservation(
                host, network, step.reservation, add=op == "add", live=step.live, config=step.config
            )
        elif op == "add":
            what = applier.add_reservation(host, network, step.reservation)
        else:
            what = applier.remove_reservation(host, network, step.reservation)
    except TropError as err:
        return SyncOutcome(op, step, False, f"{err.message}; {by_hand}")
    return SyncOutcome(op, step, True, what)
