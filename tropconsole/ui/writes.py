"""The work behind the console's writes, each run by ``workers.run_write`` in a thread.

Reservations go through the one door (``ReservationService``); a sync through
``core.sync.run_sync`` with the source's own sync applier (``FleetSource.sync_applier``);
the export writes the leases as CSV. Each returns the message that reports it done.
Read-only mode is refused by the app before any of these, and by the core again.

The functions run in worker threads: ``core.sync`` (which brings the drift comparisons)
and ``core.export`` are imported there, when the first such write runs, not at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tropconsole.core.errors import TropError
from tropconsole.ui.messages import (
    CommitReverted,
    ExportRequested,
    LeasesExported,
    NetworkSynced,
    RemovalRequested,
    ReservationRemoved,
    ReservationRequested,
    ReservationSaved,
    RevertRequested,
    SyncRequested,
)

if TYPE_CHECKING:
    from tropconsole.core.live import FleetSnapshot
    from tropconsole.core.models import FleetConfig
    from tropconsole.core.ports import FleetSource
    from tropconsole.core.service import ReservationService, WriteResult


def add_reservation(service: ReservationService, message: ReservationRequested) -> ReservationSaved:
    result = service.add(message.request, apply=message.apply_live)
    return ReservationSaved(summary(result), result)


def remove_reservation(
    service: ReservationService, message: RemovalRequested
) -> ReservationRemoved:
    res = message.reservation
    result = service.remove(
        message.host,
        message.network,
        name=res.name,
        mac=res.mac,
        ip=res.ip,
        apply=message.apply_live,
    )
    return ReservationRemoved(summary(result), result)


def sync_network(source: FleetSource, message: SyncRequested, *, read_only: bool) -> NetworkSynced:
    from tropconsole.core.sync import run_sync

    where = f"{message.host}/{message.network}"
    outcomes = run_sync(
        source.sync_applier(),
        message.host,
        message.git_net,
        message.live_net,
        read_only=read_only,
    )
    ok = all(o.ok for o in outcomes)
    lines = [o.line() for o in outcomes] or ["nothing to do: already matches git"]
    if ok:
        head = f"{where}: running and persistent now hold git's reservations"
    else:
        head = f"{where}: FAILED (git is unchanged)"
    return NetworkSynced("\n".join([head, *lines]), ok)


def export_leases(
    snapshot: FleetSnapshot | None, config: FleetConfig | None, message: ExportRequested
) -> LeasesExported:
    from tropconsole.core.export import leases_csv

    leases = snapshot.leases if snapshot is not None else ()
    path = Path(message.path).expanduser()
    try:
        path.write_text(leases_csv(leases, config), encoding="utf-8")
    except OSError as err:
        raise TropError(f"{path}: {err.strerror or err}") from err
    return LeasesExported(str(path.resolve()), len(leases))


def summary(result: WriteResult) -> str:
    """Three lines: the commit id, what it did, and what happened live."""
    live = result.live if result.live is not None else "not applied (apply live was off)"
    parts = [f"commit {result.short}", result.plan.subject, f"live: {live}"]
    if result.push_error:
        parts.append(f"push FAILED: {result.push_error}")
    return "\n".join(parts)


def revert_commit(service: ReservationService, message: RevertRequested) -> CommitReverted:
    result = service.revert(message.commit, apply=message.apply_live)
    return CommitReverted(summary(result), result)
