"""``tropconsole`` with no command: open the console on the configured fleet or the demo.

Start-up is kept short: only host names are read before the first frame. The fleet
source itself (libvirt, paramiko, the demo's test driver) is built by the first poll, in
the app's thread worker, through ``LazySource``; so is the reservation service (a
factory the app calls on first use).
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tropconsole.core.errors import TropError

if TYPE_CHECKING:
    from tropconsole.core.live import FleetSnapshot
    from tropconsole.core.models import Reservation
    from tropconsole.core.ports import FleetSource, LiveApplier
    from tropconsole.core.service import ReservationService
    from tropconsole.ui.app import ServiceFactory
    from tropconsole.ui.runtime import ConsoleRuntime


DEMO_AUTHOR = "tropconsole demo <demo@example.invalid>"


class LazySource:
    """A ``FleetSource`` that builds the real one on first use (off the event loop)."""

    def __init__(
        self, factory: Callable[[], FleetSource], host_names: tuple[str, ...], *, read_only: bool
    ) -> None:
        self._factory = factory
        self._names = host_names
        self._source: FleetSource | None = None
        self._lock = threading.Lock()
        self.read_only = read_only

    def _get(self) -> FleetSource:
        with self._lock:
            if self._source is None:
                self._source = self._factory()
            return self._source

    @property
    def host_names(self) -> tuple[str, ...]:
        return self._source.host_names if self._source is not None else self._names

    def poll(self) -> FleetSnapshot:
        return self._get().poll()

    def applier(self) -> LiveApplier | None:
        return None if self.read_only else LazyApplier(self)

    def sync_applier(self) -> LiveApplier | None:
        """The real source's (built now if need be): a sync wants its libvirt sessions."""
        return None if self.read_only else self._get().sync_applier()

    def real_applier(self) -> LiveApplier | None:
        return self._get().applier()

    def close(self) -> None:
        with self._lock:
            if self._source is not None:
                self._source.close()


class LazyApplier:
    """Asks the lazily built source for its applier when a write actually needs it."""

    def __init__(self, source: LazySource) -> None:
        self._source = source
        self.read_only = source.read_only

    def _applier(self) -> LiveApplier:
        applier = self._source.real_applier()
        if applier is None:
            raise TropError("this fleet cannot apply changes live (no applier)")
        return applier

    def add_reservation(self, host: str, network: str, reservation: Reservation) -> str:
        return self._applier().add_reservation(host, network, reservation)

    def remove_reservation(self, host: str, network: str, reservation: Reservation) -> str:
        return self._applier().remove_reservation(host, network, reservation)


def run_console(args: argparse.Namespace) -> int:
    from tropconsole.ui.runtime import ConsoleRuntime

    # Before Textual is imported: the frame rate (keys painted within one 60 Hz frame) and
    # no garbage collections until the first frame (``tropconsole.ui.runtime``).
    runtime = ConsoleRuntime()
    runtime.install()
    try:
        return _run_console(args, runtime)
    finally:
        runtime.uninstall()


def _run_console(args: argparse.Namespace, runtime: ConsoleRuntime) -> int:
    read_only = bool(getattr(args, "read_only", False))
    service: ServiceFactory | None
    if getattr(args, "demo", False):
        from tropconsole.core.configrepo import host_names
        from tropconsole.demo import ensure_demo_repo

        repo = ensure_demo_repo(Path(args.repo).expanduser() if args.repo else None)

        def demo_factory() -> FleetSource:
            from tropconsole.demo import DemoFleet

            return DemoFleet(repo, read_only=read_only)

        source = LazySource(demo_factory, host_names(repo), read_only=read_only)
        service = _service_factory(repo, read_only, source, author=DEMO_AUTHOR)
        refresh = 5.0
        demo = True
        alert_policy = None  # core.alerts' defaults
    else:
        from tropconsole.remote.inventory import inventory_from_args

        inventory = inventory_from_args(args)
        read_only = inventory.read_only

        def fleet_factory() -> FleetSource:
            try:
                from tropconsole.remote.poller import FleetPoller
            except ImportError as err:
                raise TropError(
                    f"the live fleet poller is not available ({err}); "
                    "run 'tropconsole --demo' to try the console"
                ) from err
            return FleetPoller(inventory, read_only=read_only)

        source = LazySource(fleet_factory, inventory.host_names, read_only=read_only)
        repo_path = Path(inventory.repo) if inventory.repo else None
        service = _service_factory(repo_path, read_only, source) if repo_path else None
        refresh = inventory.refresh_interval
        demo = False
        alert_policy = inventory.alerts  # the inventory's [alerts] thresholds

    from tropconsole.ui.app import create_app

    app = create_app(
        source,
        service,
        read_only=read_only,
        refresh_interval=refresh,
        demo=demo,
        runtime=runtime,
        alert_policy=alert_policy,
    )
    code = app.run()
    return int(code or 0)


def _service_factory(
    repo: Path, read_only: bool, source: LazySource, *, author: str | None = None
) -> ServiceFactory:
    """The reservation service, built by the app on first use (the first poll reads the
    config repo through it, in the poll worker): not start-up work."""

    def build() -> ReservationService:
        from tropconsole.core.service import ReservationService

        return ReservationService(
            repo, read_only=read_only, applier=source.applier(), author=author
        )

    return build
