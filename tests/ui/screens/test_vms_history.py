"""The VMs view (6) and the History view (7): keys, filters, the form from a NIC, and
undoing a reservation commit with u (a real commit in the test's git repo)."""

from __future__ import annotations

import pytest
from historykit import make_history
from textual.widgets import Checkbox, Input, TabbedContent
from uikit import form_checked, form_text, notices, settle, until

from tropconsole.ui.commands import console_commands
from tropconsole.ui.screens.help import HelpScreen, help_rows
from tropconsole.ui.screens.main import MainScreen
from tropconsole.ui.screens.reservation_form import ReservationForm
from tropconsole.ui.screens.revert_confirm import RevertConfirm


def rows(table) -> list[str]:
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


def line(main, view: str, part: str) -> str:
    return str(main.query_one(f"#{view}-view .view-{part}").render())


async def to_row(pilot, text: str) -> None:
    table = pilot.app.main.table()
    table.move_cursor(row=next(i for i, r in enumerate(rows(table)) if text in r))
    await pilot.pause()


async def open_history(pilot) -> None:
    await settle(pilot)
    await pilot.press("7")
    await settle(pilot)
    await until(pilot, lambda: pilot.app.main.table().row_count > 0)


@pytest.mark.asyncio
async def test_6_lists_every_nic_with_its_verdict_and_the_detail_follows(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        main = app.main
        assert main.query_one(TabbedContent).active == "vms"
        table = main.table()
        assert app.focused is table
        shown = rows(table)
        # one row per reserved demo guest's NIC, plus each host's edge guest's two NICs
        assert len(shown) == 4 * (8 + 2)
        hosts = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert hosts == {"trop01", "trop02", "trop03", "trop04"}
        calenwyth = next(r for r in shown if "calenwyth" in r)
        assert "52:54:00:02:01:08 default ok running 192.168.201.8 192.168.201.8" in calenwyth
        edge = [r for r in shown if r.startswith("trop01 edge01")]
        assert "bridged no DHCP" in edge[0] and "REACHABLE" in edge[0]
        assert "br0 (bridged) OUT OF RANGE" in edge[1]
        assert line(main, "vms", "summary") == (
            "36 domains, 40 NICs  ·  8 with a verdict worth a look"
        )
        await to_row(pilot, "52:54:00:aa:01:01")
        said = line(main, "vms", "detail")
        assert "trop01/edge01: running, 2 vCPU, 2G" in said
        assert "MAC outside the host's range" in said and "52:54:00:aa:01:01" in said
        await to_row(pilot, "52:54:00:02:01:b1")
        assert "seen on br0: 129.215.175" in line(main, "vms", "detail")
        await pilot.press("h", "h")  # trop02 only
        await pilot.pause()
        assert {r.split()[0] for r in rows(table)} == {"trop02"}
        await pilot.press("slash", *"edge")
        await pilot.pause()
        assert len(rows(table)) == 2
        await pilot.press("escape")


@pytest.mark.asyncio
async def test_a_on_a_nic_fills_the_form_with_its_mac_and_the_domain_name(make_console) -> None:
    console = make_console()
    app = console.app
    # git loses Ganwen's reservation (the domain stays): its NIC is now unreserved
    console.service.remove("trop01", "default", name="Ganwen")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert "default UNRESERVED" in next(r for r in rows(app.main.table()) if "ganwen" in r)
        await to_row(pilot, "ganwen")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ReservationForm))
        await form_checked(pilot)
        form = app.screen
        assert form.query_one("#name", Input).value == "ganwen"
        assert form.query_one("#mac", Input).value == "52:54:00:02:01:0e"
        assert form.request().host == "trop01" and form.request().network == "default"
        assert "name='ganwen'" in form_text(form, "#diff")
        form.query_one("#apply", Checkbox).value = False
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert console.log()[0].startswith("trop01/default: reserve ganwen 52:54:00:02:01:0e")
        await until(pilot, lambda: "ganwen" in " ".join(rows(app.main.table())))
        ganwen = next(r for r in rows(app.main.table()) if "ganwen" in r)
        assert "default ok" in ganwen


@pytest.mark.asyncio
async def test_a_on_a_bridged_nic_fills_mac_and_name_and_leaves_the_network(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        await to_row(pilot, "52:54:00:02:02:b1")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ReservationForm))
        await form_checked(pilot)
        form = app.screen
        assert form.query_one("#name", Input).value == "edge02"
        assert form.query_one("#mac", Input).value == "52:54:00:02:02:b1"
        request = form.request()
        assert request.host == "trop02" and request.network == "default"  # bridged: no DHCP


@pytest.mark.asyncio
async def test_7_lists_reservation_commits_newest_first(make_console) -> None:
    console = make_console()
    made = make_history(console.repo)
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await open_history(pilot)
        main = app.main
        assert main.query_one(TabbedContent).active == "history"
        shown = rows(main.table())
        assert shown[0].startswith(f"2024-04-10 17:45 {made['two'][:7]} trop03 default no: 2")
        assert "+2 -0 entries" in shown[0]
        assert shown[1].startswith(f"2024-03-05 14:00 {made['removed'][:7]} trop01 default yes")
        assert "- Ganwen 52:54:00:02:01:0e 192.168.201.14 Bob Ops" in shown[1]
        assert shown[2].startswith(f"2024-02-01 09:30 {made['added'][:7]} trop02 default yes")
        assert [r.split()[3] for r in shown[3:]] == ["trop01", "trop02", "trop03", "trop04"]
        assert "4 reservation commits, newest first" in line(main, "history", "summary")
        assert "u refuses:" in line(main, "history", "detail")
        await pilot.press("h", "h")  # trop02: its two commits
        await pilot.pause()
        assert [r.split()[3] for r in rows(main.table())] == ["trop02", "trop02"]


@pytest.mark.asyncio
async def test_u_shows_the_undo_diff_and_y_commits_it(make_console) -> None:
    console = make_console()
    app = console.app
    # an unreserve made elsewhere, committed and applied live; u puts it back, live too
    removed = console.service.remove("trop01", "default", name="Ganwen", apply=True).commit
    assert removed == console.head()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_history(pilot)
        assert rows(app.main.table())[0].split()[2] == removed[:7]  # the cursor is on it
        await pilot.press("u")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, RevertConfirm)
        await until(pilot, lambda: confirm._planned is not None)
        diff = form_text(confirm, "#diff")
        assert "reserve Ganwen 52:54:00:02:01:0e 192.168.201.14 (revert" in diff
        assert "+      <host mac='52:54:00:02:01:0E' ip='192.168.201.14' name='Ganwen'/>" in diff
        assert confirm.query_one("#apply", Checkbox).value  # trop01 answers: live too
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert console.log()[0] == (
            f"trop01/default: reserve Ganwen 52:54:00:02:01:0e 192.168.201.14 "
            f"(revert {removed[:7]})"
        )
        assert "Ganwen" in console.show(
            "src/cfg/tropo/trop01/etc/libvirt/qemu/networks/default.xml"
        )
        # (not the last notice: the refresh after the write tells that trop01's pool,
        # freed by the removal, is full again)
        assert any("live: applied" in n for n in notices(app))
        live = app.snapshot.host("trop01").snapshot.network("default").running
        assert any(r.name == "Ganwen" for r in live.reservations)
        # the view reads the history again after the console's own write: the undo on top
        head = console.head()[:7]
        await until(pilot, lambda: rows(app.main.table())[0].split()[2] == head)
        assert "+ Ganwen" in rows(app.main.table())[0]


@pytest.mark.asyncio
async def test_u_on_a_refused_commit_says_why_and_writes_nothing(make_console) -> None:
    console = make_console()
    make_history(console.repo)
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await open_history(pilot)  # the cursor is on the two-entry commit
        await pilot.press("u")
        await settle(pilot)
        confirm = app.screen
        await until(pilot, lambda: confirm._planned is not None)
        assert "changed 2 reservation entries" in form_text(confirm, "#diff")
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, RevertConfirm)
        await pilot.press("n")
        assert len(console.log()) == 4


@pytest.mark.asyncio
async def test_u_elsewhere_says_where_it_works(make_console) -> None:
    console = make_console()
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "go to History (7)" in notices(app)[-1]


@pytest.mark.asyncio
async def test_palette_and_help_list_the_new_keys(make_console) -> None:
    console = make_console()
    make_history(console.repo)
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await open_history(pilot)
        names = [name for name, _h, _r in console_commands(app.main)]
        assert "VMs view" in names and "History view" in names
        assert any(n.startswith("Undo the reservation commit") for n in names)
        helped = {key: (what, str(state)) for key, what, state in help_rows(app.main)}
        assert helped["u"] == (
            "Undo the reservation commit under the cursor (History) as a new commit",
            "available",
        )
        assert helped["6"][0] == "VMs view" and helped["7"][0] == "History view"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


REFUSED_REVERT = "read-only mode: reverting a reservation commit is refused"


@pytest.mark.asyncio
async def test_read_only_hides_and_refuses_u_at_every_level(make_console) -> None:
    from textual.widgets import Footer

    from tropconsole.core.errors import ReadOnlyError
    from tropconsole.ui.messages import RevertRequested
    from tropconsole.view.common import CommitItem

    console = make_console(read_only=True)
    made = make_history(console.repo)
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await open_history(pilot)
        main = app.main
        footer = " ".join(str(k.render()) for k in main.query_one(Footer).children)
        assert "Refresh" in footer and "Undo" not in footer
        names = [name for name, _h, _r in console_commands(main)]
        assert not any(n.startswith("Undo") for n in names)
        assert "read-only: u (undo) is refused" in line(main, "history", "summary")
        helped = {key: str(state) for key, _what, state in help_rows(main)}
        assert helped["u"] == "REFUSED: read-only"
        await to_row(pilot, made["added"][:7])
        await pilot.press("u")  # the key
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert REFUSED_REVERT in notices(app)[-1]
        main.action_revert_commit()  # the action called directly
        await main.attempt("revert_commit")  # what a palette command runs
        app.post_message(RevertRequested(made["added"]))  # the request message
        await settle(pilot)
        assert all(REFUSED_REVERT in n for n in notices(app)[-3:])
        item = main.cursor_target().item
        assert isinstance(item, CommitItem)
        app.push_screen(RevertConfirm(item))  # the modal, opened anyway
        await settle(pilot)
        assert not app.screen.query_one("#apply", Checkbox).value
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, RevertConfirm)
        assert REFUSED_REVERT in notices(app)[-1]
    with pytest.raises(ReadOnlyError):  # and the service itself
        console.service.revert(made["added"])
    assert len(console.log()) == 4


@pytest.mark.asyncio
async def test_history_is_read_on_opening_and_r_not_on_every_poll(make_console) -> None:
    from historykit import commit, edit

    console = make_console()
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        reader = app.main._history
        assert reader.generation == 0  # never read before the view is opened
        await open_history(pilot)
        assert reader.generation == 1 and len(rows(app.main.table())) == 4
        app.refresh_now()  # polls with the same HEAD: no new read
        await settle(pilot)
        app.refresh_now()
        await settle(pilot)
        assert reader.generation == 1
        rel = edit(
            console.repo,
            "trop04",
            "default",
            add=("<host mac='52:54:00:02:04:20' ip='192.168.204.32' name='web09'/>",),
        )
        made = commit(console.repo, rel, "web09", "Carol <c@example.invalid>", "2024-06-01T08:00")
        await pilot.press("r")  # someone else's commit: r reads it
        await settle(pilot)
        await until(pilot, lambda: rows(app.main.table())[0].split()[2] == made[:7])
        await pilot.press("1")
        await settle(pilot)
        before = reader.generation
        await pilot.press("7")  # opening the view again reads again
        await settle(pilot)
        assert reader.generation == before + 1
