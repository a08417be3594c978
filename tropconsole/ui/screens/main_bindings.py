"""The main screen's keys, as data: bindings, the write actions among them, view titles.

Shared by the main screen, the help screen and the command palette, so the three agree.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

from tropconsole.view.common import View

# Actions that write; read-only mode hides and refuses them. Value: words for the notice.
WRITE_ACTIONS: dict[str, str] = {
    "add_reservation": "adding a reservation",
    "remove_reservation": "removing a reservation",
    "fix_drift": "applying a drift fix",
    "revert_commit": "reverting a reservation commit",
}

INITIAL_VIEW = View.BRIDGES

VIEW_TITLES = {
    View.BRIDGES: "1 Bridges",
    View.NETWORKS: "2 Networks",
    View.LEASES: "3 Leases",
    View.RESERVATIONS: "4 Reservations",
    View.DRIFT: "5 Drift",
    View.VMS: "6 VMs",
    View.HISTORY: "7 History",
    View.ALERTS: "8 Alerts",
}

MAIN_BINDINGS: list[BindingType] = [
    # The tab labels show 1-7, so the footer keeps its room for the other keys.
    Binding("1", "view('bridges')", "Bridges view", show=False, id="view.bridges"),
    Binding("2", "view('networks')", "Networks view", show=False, id="view.networks"),
    Binding("3", "view('leases')", "Leases view", show=False, id="view.leases"),
    Binding("4", "view('reservations')", "Reservations view", show=False, id="view.reservations"),
    Binding("5", "view('drift')", "Drift view", show=False, id="view.drift"),
    Binding("6", "view('vms')", "VMs view", show=False, id="view.vms"),
    Binding("7", "view('history')", "History view", show=False, id="view.history"),
    Binding("8", "view('alerts')", "Alerts view", show=False, id="view.alerts"),
    Binding(
        "h",
        "cycle_host",
        "Host",
        tooltip="Filter to one host (cycles all, trop01, …)",
        id="host_filter",
    ),
    Binding(
        "slash",
        "filter",
        "Filter",
        key_display="/",
        tooltip="Filter rows as you type",
        id="filter",
    ),
    Binding(
        "escape",
        "clear_filter",
        "Clear filter",
        show=False,
        tooltip="Clear the row filter",
        id="clear_filter",
    ),
    Binding("r", "refresh", "Refresh", tooltip="Refresh every host now", id="refresh"),
    Binding("p", "pause", "Pause", tooltip="Pause or resume live refresh", id="pause"),
    Binding(
        "a",
        "add_reservation",
        "Add",
        tooltip="Add a reservation (on an unreserved lease: reserve that lease)",
        id="add_reservation",
    ),
    Binding(
        "d",
        "remove_reservation",
        "Remove",
        tooltip="Remove the reservation under the cursor",
        id="remove_reservation",
    ),
    Binding(
        "f",
        "fix_drift",
        "Fix",
        tooltip="Fix the drift finding under the cursor (sync git→live, reserve, or how)",
        id="fix_drift",
    ),
    Binding(
        "e",
        "export_leases",
        "Export",
        tooltip="Export the leases as CSV to a file (asks where)",
        id="export_leases",
    ),
    Binding(
        "u",
        "revert_commit",
        "Undo",
        tooltip="Undo the reservation commit under the cursor (History) as a new commit",
        id="revert_commit",
    ),
    # Twins of the write keys, reached only when check_action hides the real ones.
    Binding("a", "refused('add_reservation')", show=False, id="refused.add"),
    Binding("d", "refused('remove_reservation')", show=False, id="refused.remove"),
    Binding("f", "refused('fix_drift')", show=False, id="refused.fix"),
    Binding("u", "refused('revert_commit')", show=False, id="refused.revert"),
    # And the greyed-out remove key still says where it works.
    Binding("d", "not_here", show=False, id="remove.elsewhere"),
    # Undo is hidden outside History (its footer stays as it was); the key says where.
    Binding(
        "u",
        "revert_elsewhere",
        show=False,
        tooltip="Undo a reservation commit: in History (7)",
        id="revert.elsewhere",
    ),
]


def action_state(action: str, view: View, *, read_only: bool) -> bool | None:
    """The main screen's ``check_action``: True shown, None shown greyed, False hidden.
    Read-only hides every write; the hidden twins ("refused", "not_here",
    "revert_elsewhere") answer a key pressed where its action does not apply."""
    if action == "refused":
        return read_only
    if action == "not_here":
        return not read_only and view is not View.RESERVATIONS
    if action == "revert_elsewhere":
        return not read_only and view is not View.HISTORY
    if action in WRITE_ACTIONS:
        if read_only:
            return False
        if action == "remove_reservation" and view is not View.RESERVATIONS:
            return None  # shown, greyed: it only makes sense on a reservation row
        if action == "fix_drift" and view is not View.DRIFT:
            return None  # shown, greyed: it works on a drift finding
        if action == "revert_commit" and view is not View.HISTORY:
            return False  # hidden: the twin says where it works
    return True
