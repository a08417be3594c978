"""The two seams between the UI-free core and the outside world.

``FleetSource`` is what the console and the CLI read live state from: the real fleet
poller (``tropconsole.remote``) and the embedded demo fleet both implement it.
``LiveApplier`` is the live half of the one door for writes: the core's reservation
service commits to git first, then hands the same reservation to an applier.
Both are blocking: call them from a thread, never from an event loop.
"""

from __future__ import annotations

from typing import Protocol

from tropconsole.core.live import FleetSnapshot
from tropconsole.core.models import Reservation


class LiveApplier(Protocol):
    read_only: bool

    def add_reservation(self, host: str, network: str, reservation: Reservation) -> str:
        """Add a DHCP host entry live (and to the persistent config). Returns what was done,
        e.g. ``"live+config"`` or ``"config only (network inactive)"``. Raises ``TropError``."""
        ...

    def remove_reservation(self, host: str, network: str, reservation: Reservation) -> str:
        """Remove a DHCP host entry live and from the persistent config, as above."""
        ...


class FleetSource(Protocol):
    read_only: bool

    @property
    def host_names(self) -> tuple[str, ...]: ...

    def poll(self) -> FleetSnapshot:
        """Refresh every host (in parallel where it can) and return the whole fleet's state.
        A failing host never raises here: it is reported stale in the snapshot."""
        ...

    def applier(self) -> LiveApplier | None:
        """The live applier for this fleet, or None when it cannot apply (or is read-only)."""
        ...

    def sync_applier(self) -> LiveApplier | None:
        """The live applier a sync of a network to git uses: one that can update the running
        and the persistent definition each on its own (``core.sync``'s ``ScopedApplier``)
        when the fleet has one, else ``applier()``. None when read-only. It may build the
        source's connections: call it from a worker."""
        ...

    def close(self) -> None: ...
