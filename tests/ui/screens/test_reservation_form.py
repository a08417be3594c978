"""The reservation form: prefilled, checked by the core while typing, committing on save."""

from __future__ import annotations

import pytest
from textual.widgets import Checkbox, Input, Select
from uikit import form_checked, form_text, notices, open_form, settle

from tropconsole.ui.screens.main import MainScreen
from tropconsole.ui.screens.reservation_form import ReservationForm

TWIN = "trop02 / default / src/cfg/tropo/trop02/etc/libvirt/qemu/networks/default.xml:16"


async def to_trop02(pilot) -> None:
    await settle(pilot)
    await pilot.press("h", "h")  # host filter trop01 -> trop02: the cursor row is on trop02
    await pilot.pause()


@pytest.mark.asyncio
async def test_form_defaults_from_cursor_row_and_commits_with_live_apply(make_console) -> None:
    console = make_console()
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await to_trop02(pilot)
        await open_form(pilot)
        form = app.screen
        assert isinstance(form, ReservationForm)
        assert form.query_one("#host", Select).value == "trop02"
        assert form.query_one("#network", Select).value == "default"
        # The range .8-.15 is full, so the next free pair is the first outside it, paired.
        assert form.query_one("#mac", Input).value == "52:54:00:02:02:10"
        assert form.query_one("#ip", Input).value == "192.168.202.16"
        assert form.query_one("#apply", Checkbox).value is True  # host connected
        await pilot.press(*"web01")
        await form_checked(pilot)
        problems = form_text(form, "#problems")
        assert "warning" in problems and "outside the DHCP range" in problems
        diff = form_text(form, "#diff")
        assert "+      <host mac='52:54:00:02:02:10' ip='192.168.202.16' name='web01'/>" in diff
        assert "a/src/cfg/tropo/trop02/etc/libvirt/qemu/networks/default.xml" in diff
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert console.log()[0] == "trop02/default: reserve web01 52:54:00:02:02:10 192.168.202.16"
        said = "\n".join(notices(app))
        assert f"commit {console.head()[:7]}" in said and "live: applied" in said
        live = app.snapshot.host("trop02").snapshot.network("default").running
        assert any(r.name == "web01" and r.ip == "192.168.202.16" for r in live.reservations)


CASES = [
    # (field, value, what the core says, twin named, refused)
    ("mac", "52:54:00:02:02:0a", "is already reserved for Ulov", TWIN, True),
    ("ip", "192.168.202.10", "is already reserved for Ulov", TWIN, True),
    ("name", "ulov", "is already used by Ulov", TWIN, True),
    ("mac", "52:54:zz", "is not a MAC address", None, True),
    ("ip", "192.168.202.300", "is not an IPv4 address", None, True),
    ("ip", "10.0.0.5", "is outside trop02/default's subnet", None, True),
    ("ip", "192.168.202.100", "outside the DHCP range", None, False),
]


@pytest.mark.asyncio
async def test_every_kind_of_bad_input_is_explained_and_refused(make_console) -> None:
    console = make_console()
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await to_trop02(pilot)
        await open_form(pilot)
        form = app.screen
        good = {f: form.query_one(f"#{f}", Input).value for f in ("mac", "ip")}
        good["name"] = "web02"
        for field, value, said, twin, refused in CASES:
            for name, ok in good.items():
                form.query_one(f"#{name}", Input).value = ok
            form.query_one(f"#{field}", Input).value = value
            await form_checked(pilot)
            problems = form_text(form, "#problems")
            assert said in problems, (field, value, problems)
            if twin:
                assert f"twin: {TWIN}" in problems.replace("\n", " "), problems
            box = form.query_one(f"#{field}", Input)
            assert box.has_class("-invalid") is refused
            if refused:
                assert "(no diff" in form_text(form, "#diff")
                await pilot.press("ctrl+s")
                await pilot.pause()
                assert app.screen is form, f"{field}={value} was not refused"
                assert "fix the errors" in notices(app)[-1]
        assert console.log() == ["Sample heliodines config for trop01-trop04"]
        await pilot.press("ctrl+s")  # the last case is only a warning: it saves
        await settle(pilot)
        assert console.log()[0] == "trop02/default: reserve web02 52:54:00:02:02:10 192.168.202.100"


@pytest.mark.asyncio
async def test_escape_cancels_without_writing(make_console) -> None:
    console = make_console()
    app = console.app
    async with app.run_test(size=(120, 36)) as pilot:
        await to_trop02(pilot)
        await open_form(pilot)
        await pilot.press(*"web03", "escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert len(console.log()) == 1


@pytest.mark.asyncio
async def test_changing_host_refills_the_next_free_pair(make_console) -> None:
    app = make_console().app
    async with app.run_test(size=(120, 36)) as pilot:
        await to_trop02(pilot)
        await open_form(pilot)
        form = app.screen
        form.query_one("#host", Select).value = "trop04"
        await form_checked(pilot)
        assert form.query_one("#mac", Input).value == "52:54:00:02:04:10"
        assert form.query_one("#ip", Input).value == "192.168.204.16"
