"""Messages the console's workers and screens post: past-tense facts, plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from tropconsole.core.live import FleetSnapshot
from tropconsole.core.models import FleetConfig, Reservation, ReservationRequest


@dataclass
class SnapshotReady(Message):
    """A poll finished. ``config`` is the config repo as read in the same poll (or None
    when there is no repo, or it could not be read: then ``config_error`` says why)."""

    snapshot: FleetSnapshot
    config: FleetConfig | None = None
    config_error: str | None = None


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
