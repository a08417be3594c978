"""The Drift view's keys and the work behind them, as mixins of the main screen and the app.

``DriftScreenActions`` (main screen): the fix key opens the action a finding maps to —
the sync confirmation for ``sync-network``, the reservation form prefilled from the lease
for ``reserve-lease`` (the Leases view's own shortcut, on the drift row), the fix text
otherwise — and the export key asks where to write the leases.

``DriftAppWork`` (app): the sync and the export run in thread workers and report back as
messages. A sync goes through ``core.sync.run_sync``, which refuses in read-only mode on
its own; the app refuses before that, and ``check_action`` hides the key before that.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import work

from tropconsole.core.errors import TropError
from tropconsole.core.findings import Action
from tropconsole.core.ports import FleetSource, LiveApplier
from tropconsole.ui.messages import (
    ExportRequested,
    LeasesExported,
    NetworkSynced,
    SyncRequested,
    WriteFailed,
)
from tropconsole.ui.rows import View

if TYPE_CHECKING:
    from tropconsole.ui.app import TropConsole
    from tropconsole.ui.screens.main import MainScreen
    from tropconsole.ui.widgets.drift_view import DriftView


def sync_applier(source: FleetSource) -> LiveApplier | None:
    """The poller's connections with explicit sides (``ScopedLibvirtApplier``, as
    ``tropconsole sync`` uses them) when the source has them, else its own applier (the
    demo's). Called in the sync worker: it may build the source on first use."""
    if source.read_only:
        return None
    real_source = getattr(source, "real_source", None)
    real = real_source() if callable(real_source) else source
    session = getattr(real, "session", None)
    if session is not None:
        from tropconsole.remote.scoped import ScopedLibvirtApplier

        return ScopedLibvirtApplier(session, read_only=False)
    return source.applier()


class DriftScreenActions:
    """Mixed into ``MainScreen``; ``self`` is the main screen."""

    @property
    def _screen(self) -> MainScreen:
        return cast("MainScreen", self)

    def drift_view(self) -> DriftView:
        from tropconsole.ui.widgets.drift_view import DriftView

        screen = self._screen
        screen.table(View.DRIFT)  # built on first use
        return screen.query_one(DriftView)

    def action_fix_drift(self) -> None:
        screen = self._screen
        app = screen.console
        if app.read_only:
            screen.action_refused("fix_drift")
            return
        if screen.view is not View.DRIFT:
            screen.notify("the fix key works on a finding: go to Drift (5)", severity="warning")
            return
        finding = self.drift_view().current
        if finding is None:
            screen.notify("no finding under the cursor", severity="warning", timeout=3)
            return
        if finding.action is Action.SYNC_NETWORK:
            self._open_sync(finding.host, finding.network or "")
        elif finding.action is Action.RESERVE_LEASE:
            screen.action_add_reservation()  # the drift row carries its lease (LeaseItem)
        else:
            screen.notify(finding.fix, title=f"Fix for {finding.host}: {finding.kind.value}")

    def _open_sync(self, host: str, network: str) -> None:
        from tropconsole.core.sync import resolve_sync
        from tropconsole.ui.screens.sync_confirm import SyncConfirm, SyncOrder

        screen = self._screen
        app = screen.console
        if app.config is None or app.snapshot is None:
            screen.notify(
                "the config repo has not been read yet (or cannot be)", severity="warning"
            )
            return
        try:
            git_net, live_net = resolve_sync(app.config, app.snapshot, host, network)
        except TropError as err:
            screen.notify(err.message, title="Cannot sync", severity="error", timeout=10)
            return
        order = SyncOrder(host, network, git_net, live_net)
        app.push_screen(SyncConfirm(order, app.config.head), self._sync_confirmed)

    def _sync_confirmed(self, result: object) -> None:
        from tropconsole.ui.screens.sync_confirm import SyncOrder

        if isinstance(result, SyncOrder):
            self._screen.app.post_message(
                SyncRequested(result.host, result.network, result.git_net, result.live_net)
            )

    def action_export_leases(self) -> None:
        from tropconsole.ui.screens.export_leases import ExportLeases, default_export_path

        app = self._screen.console
        if app.snapshot is None:
            self._screen.notify("no leases yet: wait for the first refresh", severity="warning")
            return
        modal = ExportLeases(default_export_path(app.clock()), len(app.snapshot.leases))
        app.push_screen(modal, self._export_chosen)

    def _export_chosen(self, result: object) -> None:
        if isinstance(result, str):
            self._screen.app.post_message(ExportRequested(result))


class DriftAppWork:
    """Mixed into ``TropConsole``; ``self`` is the app."""

    @property
    def _app(self) -> TropConsole:
        return cast("TropConsole", self)

    def on_sync_requested(self, message: SyncRequested) -> None:
        app = self._app
        if app.read_only:
            app.refuse(f"sync of {message.host}/{message.network}")
            return
        self._sync(message)

    @work(thread=True, exit_on_error=False, group="write", name="sync network")
    def _sync(self, message: SyncRequested) -> None:
        from tropconsole.core.sync import run_sync

        app = self._app
        where = f"{message.host}/{message.network}"
        try:
            outcomes = run_sync(
                sync_applier(app.source),
                message.host,
                message.git_net,
                message.live_net,
                read_only=app.read_only,
            )
        except TropError as err:
            app.post_message(WriteFailed(f"sync {where}", err.message))
            return
        ok = all(o.ok for o in outcomes)
        lines = [o.line() for o in outcomes] or ["nothing to do: already matches git"]
        if ok:
            head = f"{where}: running and persistent now hold git's reservations"
        else:
            head = f"{where}: FAILED (git is unchanged)"
        app.post_message(NetworkSynced("\n".join([head, *lines]), ok))

    def on_network_synced(self, message: NetworkSynced) -> None:
        app = self._app
        if message.ok:
            app.notify(message.summary, title="Network synced", timeout=10)
        else:
            app.notify(message.summary, title="Sync failed", severity="error", timeout=20)
        app.refresh_now()

    def on_export_requested(self, message: ExportRequested) -> None:
        self._export(message.path)

    @work(thread=True, exit_on_error=False, group="export", name="export leases")
    def _export(self, where: str) -> None:
        from tropconsole.core.export import leases_csv

        app = self._app
        leases = app.snapshot.leases if app.snapshot is not None else ()
        path = Path(where).expanduser()
        try:
            path.write_text(leases_csv(leases, app.config), encoding="utf-8")
        except OSError as err:
            app.post_message(WriteFailed("export leases", f"{path}: {err.strerror or err}"))
            return
        app.post_message(LeasesExported(str(path.resolve()), len(leases)))

    def on_leases_exported(self, message: LeasesExported) -> None:
        text = f"{message.count} leases written to {message.path}"
        self._app.notify(text, title="Leases exported")
