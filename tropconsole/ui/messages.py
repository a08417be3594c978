"""Messages the console's workers and screens post: plain dataclasses.

Screens and modals ask the app for work with ``...Requested`` messages; workers report
with past-tense facts. The app (``ui.app``) handles both, starting the work through
``ui.polling`` (polls) or ``ui.workers`` (writes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:  # annotations only: importing these is the poll worker's business
    from tropconsole.core.live import FleetSnapshot, LiveNetwork
    from tropconsole.core.models import (
        FleetConfig,
        LibvirtNetwork,
        Reservation,
        ReservationRequest,
    )
    from tropconsole.view.alerts import AlertState
    from tropconsole.view.common import View, ViewRows
    from tropconsole.view.drift import DriftState


@dataclass
class SnapshotReady(Message):
    """A poll finished. ``config`` is the config repo as read in the same poll (or None
    when there is no repo, or it could not be read: then ``config_error`` says why)."""

    snapshot: FleetSnapshot
    config: FleetConfig | None = None
    config_error: str | None = None
    drift: DriftState | None = None  # findings of this snapshot, computed in the worker
    rows: dict[View, ViewRows] | None = None  # the table views' rows, built in the worker
    alerts: AlertState | None = None  # this poll's alerts and config warnings (worker-built)


@dataclass
class RefreshRequested(Message):
    """A poll now: the operator's key (told when one is running already), or the main
    screen's first poll after the first frame (``by_key=False``: nothing to tell)."""

    by_key: bool = True


@dataclass
class PauseRequested(Message):
    """The operator asked to pause live refresh, or to resume it."""


@dataclass
class PollFailed(Message):
    """The poll itself failed (a host failing never does; this is a bug or a lost source)."""

    error: str


@dataclass
class ReservationRequested(Message):
    """Someone asked for a reservation to be written: the form, or any other caller."""

    request: ReservationRequest
    apply_live: bool = True


@dataclass
class RemovalRequested(Message):
    """Someone asked for a reservation to be removed (after the confirmation modal)."""

    host: str
    network: str
    reservation: Reservation
    apply_live: bool = True


@dataclass
class ReservationSaved(Message):
    """A reservation was committed (and perhaps applied live)."""

    summary: str
    result: Any = None


@dataclass
class ReservationRemoved(Message):
    summary: str
    result: Any = None


@dataclass
class WriteFailed(Message):
    """A write was refused or failed; ``error`` is the core's message for an operator."""

    action: str
    error: str


@dataclass
class SyncRequested(Message):
    """A sync of one host's network to git was confirmed, with the two sides it was
    planned from (what the operator saw is what runs)."""

    host: str
    network: str
    git_net: LibvirtNetwork
    live_net: LiveNetwork


@dataclass
class NetworkSynced(Message):
    """A sync ran; ``ok`` is False when a step failed (``summary`` says which and how to
    do it by hand)."""

    summary: str
    ok: bool = True


@dataclass
class ExportRequested(Message):
    """Someone asked for the leases to be written as CSV to ``path``."""

    path: str


@dataclass
class LeasesExported(Message):
    path: str
    count: int


@dataclass
class HistoryRead(Message):
    """The History view's commits were read (``rows`` None: ``line`` says why not).
    ``generation`` tells a late answer to an earlier read from the latest one."""

    generation: int
    rows: ViewRows | None
    line: str


@dataclass
class RevertRequested(Message):
    """Someone asked for a reservation commit to be undone (after its confirmation)."""

    commit: str
    apply_live: bool = True


@dataclass
class CommitReverted(Message):
    """A reservation commit was undone by a new commit (and perhaps applied live)."""

    summary: str
    result: Any = None
