"""Helpers for the console tests (imported as a plain module, like tests/core's kits)."""

from __future__ import annotations

import time
from collections.abc import Callable


async def settle(pilot: object) -> None:
    """Wait until every worker is done and the messages they posted are handled."""
    app = pilot.app  # type: ignore[attr-defined]
    if getattr(app, "polls", 1) == 0:  # the first poll starts just after the first frame
        await until(pilot, lambda: app.polls > 0)
    for _ in range(5):
        await pilot.pause()  # type: ignore[attr-defined]
        await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def until(pilot: object, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Pause until ``condition()`` holds; fail after ``timeout`` seconds (a loaded CI box
    is slow, so tests wait for facts, never for fixed durations)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await pilot.pause(0.05)  # type: ignore[attr-defined]


async def form_checked(pilot: object) -> None:
    """Wait until the open form has shown the core's verdict on its current input."""
    form = pilot.app.screen  # type: ignore[attr-defined]
    await settle(pilot)  # let pending Input.Changed messages bump the generation first

    def done() -> bool:
        checked = getattr(form, "_checked", None)
        return checked is not None and checked.generation == form._generation

    await until(pilot, done)
    await settle(pilot)


async def open_form(pilot: object) -> None:
    await pilot.press("a")  # type: ignore[attr-defined]
    await until(pilot, lambda: hasattr(pilot.app.screen, "_checked"))  # type: ignore[attr-defined]
    await form_checked(pilot)


def form_text(screen: object, widget_id: str) -> str:
    """The plain text a Static in the form shows."""
    widget = screen.query_one(widget_id)  # type: ignore[attr-defined]
    return str(widget.render())


def notices(app: object) -> list[str]:
    return [n.message for n in app._notifications]  # type: ignore[attr-defined]


def detail_line(app: object) -> str:
    """The main screen's detail line (the cursor row's detail, under the table)."""
    line = app.main.query_one("#detail")  # type: ignore[attr-defined]
    return str(line.render()) if line.display else ""


def screen_lines(app: object) -> list[str]:
    """The screen as the terminal shows it: one string per line, styles dropped."""
    strips = app.screen._compositor.render_strips()  # type: ignore[attr-defined]
    return ["".join(segment.text for segment in strip) for strip in strips]
