"""Read-only (monitoring) mode says no at every level: footer, palette, key, action,
message, form, service and libvirt itself."""

from __future__ import annotations

import pytest
from textual.widgets import Footer
from uikit import form_checked, notices, settle, until

from tropconsole.core.errors import ReadOnlyError
from tropconsole.core.models import Reservation, ReservationRequest
from tropconsole.ui.commands import console_commands
from tropconsole.ui.messages import RemovalRequested, ReservationRequested
from tropconsole.ui.screens.main import MainScreen
from tropconsole.ui.screens.reservation_form import ReservationForm

REFUSED = "read-only mode: adding a reservation is refused"


def footer_text(screen) -> str:
    footer = screen.query_one(Footer)
    return " ".join(str(key.render()) for key in footer.children)


@pytest.mark.asyncio
async def test_badge_footer_and_palette_hide_writes(make_console) -> None:
    app = make_console(read_only=True).app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main
        assert str(main.query_one("#badge-readonly").render()).strip() == "READ-ONLY"
        shown = footer_text(main)
        assert "Refresh" in shown and "Add" not in shown and "Remove" not in shown
        names = [name for name, _h, _r in console_commands(main)]
        assert not any(n.startswith(("Add", "Remove")) for n in names)
        assert "Refresh every host now" in names


@pytest.mark.asyncio
async def test_footer_shows_writes_when_not_read_only(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert "Add" in footer_text(app.main)
        assert not app.main.query("#badge-readonly")


@pytest.mark.asyncio
async def test_write_keys_are_refused_with_a_notice(make_console) -> None:
    console = make_console(read_only=True)
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert notices(app)[-1] == REFUSED + " (start without --read-only to write)"
        await pilot.press("4", "d")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "removing a reservation is refused" in notices(app)[-1]
        assert len(console.log()) == 1


@pytest.mark.asyncio
async def test_direct_action_call_and_palette_path_are_refused(make_console) -> None:
    app = make_console(read_only=True).app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.main.action_add_reservation()
        await pilot.pause()
        assert REFUSED in notices(app)[-1]
        await app.main.attempt("remove_reservation")  # what a palette command runs
        await pilot.pause()
        assert "removing a reservation is refused" in notices(app)[-1]
        assert isinstance(app.screen, MainScreen)


@pytest.mark.asyncio
async def test_messages_asking_for_writes_are_refused(make_console) -> None:
    console = make_console(read_only=True)
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.post_message(
            ReservationRequested(
                ReservationRequest(
                    "trop02", "default", "web09", "52:54:00:02:02:30", "192.168.202.48"
                )
            )
        )
        app.post_message(
            RemovalRequested(
                "trop02", "default", Reservation("192.168.202.10", "52:54:00:02:02:0a", "Ulov")
            )
        )
        await settle(pilot)
        said = notices(app)
        assert REFUSED in said[-2] and "removing a reservation is refused" in said[-1]
        assert len(console.log()) == 1


@pytest.mark.asyncio
async def test_a_form_opened_anyway_refuses_to_save(make_console) -> None:
    console = make_console(read_only=True)
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.push_screen(ReservationForm(host="trop02", network="default"))
        await form_checked(pilot)
        await pilot.press(*"web05", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReservationForm)
        assert REFUSED in notices(app)[-1]
        assert len(console.log()) == 1


def test_the_service_refuses_too(make_console) -> None:
    console = make_console(read_only=True)
    with pytest.raises(ReadOnlyError):
        console.service.add(
            ReservationRequest("trop02", "default", "web06", "52:54:00:02:02:31", "192.168.202.49")
        )
    assert len(console.log()) == 1


def test_a_read_only_app_needs_a_read_only_service(make_console) -> None:
    from tropconsole.core.service import ReservationService
    from tropconsole.ui.app import create_app

    console = make_console(read_only=True)
    with pytest.raises(ValueError, match="read-only"):
        create_app(console.source, ReservationService(console.repo), read_only=True)


def test_libvirt_is_opened_read_only_and_refuses_updates(make_console) -> None:
    import libvirt

    from tropconsole.demo import DemoApplier

    console = make_console(read_only=True)
    conn = console.source.connection("trop02")
    assert conn.isAlive()
    net = conn.networkLookupByName("default")
    with pytest.raises(libvirt.libvirtError, match="read only"):
        net.update(
            libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
            libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
            -1,
            "<host mac='52:54:00:02:02:32' ip='192.168.202.50'/>",
            libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE,
        )
    assert console.source.applier() is None
    with pytest.raises(ReadOnlyError):
        DemoApplier(console.source).add_reservation(
            "trop02", "default", Reservation("192.168.202.50", "52:54:00:02:02:32")
        )


@pytest.mark.asyncio
async def test_palette_search_finds_no_write_commands(make_console) -> None:
    from textual.command import CommandList

    app = make_console(read_only=True).app
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"reservation")
        found = app.screen.query_one(CommandList)

        def prompts() -> list[str]:
            return [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]

        # the search has answered (it did run)
        await until(pilot, lambda: any("Reservations view" in p for p in prompts()))
        shown = prompts()
        assert not any(p.startswith(("Add", "Remove")) for p in shown), shown
