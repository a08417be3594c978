"""``tropconsole serve`` end to end in Debian's headless Chromium, over DevTools.

The browser loads the page from the loopback server, textual.js opens its websocket and
the server starts one console for it; the test reads the terminal's text from xterm.js's
buffer, types keys as a keyboard would, OCRs a screenshot (tesseract), and lists every
request the page made.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tests.web.cdp import Browser, attach_terminal, focus_terminal, press, terminal_text
from tests.web.served import (  # the fixtures: browser, demo_repo
    ROOT,
    Served,
    browser_fixture,
    demo_repo_fixture,
    git_head,
    start_server,
    stop_server,
)

__all__ = ["browser_fixture", "demo_repo_fixture"]

if TYPE_CHECKING:
    from tests.conftest import Lab

FLEET = ("trop01", "trop02", "trop03", "trop04")
# The README's screenshot is refreshed by running this test with
# TROPCONSOLE_UPDATE_SCREENSHOT=1; otherwise the test leaves the tree alone.
SCREENSHOT = ROOT / "docs" / "web-view.png"


def text_with(browser: Browser, *words: str) -> str | None:
    """The terminal's text if it has every word, else None (a wait_for check)."""
    text = terminal_text(browser)
    return text if all(w in text for w in words) else None


def fleet_up(text: str) -> str | None:
    """The text once every host's card says OK (the names alone show before the poll)."""
    return text if all(re.search(rf"{h}\W{{0,4}}OK\b", text) for h in FLEET) else None


def open_console(browser: Browser, served: Served) -> str:
    browser.call("Network.enable")
    browser.call("Page.enable")
    browser.call("Page.navigate", url=served.url)
    attach_terminal(browser)
    text = browser.wait_for(
        "the fleet polled, every host OK, on the terminal",
        lambda: fleet_up(terminal_text(browser)),
        timeout=45,
    )
    focus_terminal(browser)
    return str(text)


def requested_urls(browser: Browser) -> list[str]:
    browser.pump(0.2)
    urls = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e["method"] == "Network.requestWillBeSent"
    ]
    urls += [
        e["params"]["url"] for e in browser.events if e["method"] == "Network.webSocketCreated"
    ]
    return urls


def ocr(png: Path) -> str:
    tesseract = shutil.which("tesseract")
    assert tesseract, "tesseract-ocr is not installed (scripts/dev test installs it)"
    out = subprocess.run(
        [tesseract, str(png), "-", "--psm", "6"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def hosts_in_ocr(text: str) -> set[str]:
    """Host names OCR'd from the page. Roboto Mono's zero has a dot in it, which tesseract
    reads as @, 8, 6, e or o: between "trop" and the host number only those stand for 0."""
    return {f"trop0{m}" for m in re.findall(r"trop[0@86eoO]{1,2}([1-4])\b", text)}


def test_browser_shows_the_fleet_switches_views_and_refuses_writes(
    browser: Browser, demo_repo: Path, tmp_path: Path
) -> None:
    head = git_head(demo_repo)
    served = start_server("--demo", "--repo", str(demo_repo))
    try:
        assert served.lines[-1].startswith(
            f"serving the console read-only on {served.url} (loopback only)"
        )
        text = open_console(browser, served)
        assert "READ-ONLY" in text and "Ports" in text and "Expires" not in text  # Bridges

        # the spawned console carries the fleet options and --read-only
        consoles = served.consoles()
        assert consoles, "no console process under the server"
        for argv in consoles:
            assert "--read-only" in argv and "--demo" in argv
            assert argv[argv.index("--repo") + 1] == str(demo_repo)

        press(browser, "3")  # digits switch views: 3 is Leases
        browser.wait_for(
            "the Leases view",
            lambda: "Expires" in (t := terminal_text(browser)) and "Ports" not in t,
            timeout=20,
        )

        press(browser, "a")  # add a reservation: a write
        refused = browser.wait_for(
            "the read-only refusal",
            lambda: text_with(browser, "adding a reservation is refused"),
            timeout=20,
        )
        assert "New reservation" not in refused  # no form opened
        png = browser.screenshot(tmp_path / "web-view.png")
        if os.environ.get("TROPCONSOLE_UPDATE_SCREENSHOT") == "1":
            SCREENSHOT.write_bytes(png)
        assert png.startswith(b"\x89PNG") and len(png) > 20_000  # a rendered page, not blank
        # the host cards, cut out and enlarged by Chromium, read back by OCR
        clip = tmp_path / "cards.png"
        clip.write_bytes(browser.clip_png(x=0, y=0, width=1280, height=90, scale=2))
        assert hosts_in_ocr(ocr(clip)) == set(FLEET)

        assert git_head(demo_repo) == head  # nothing committed
        urls = requested_urls(browser)
        assert any(u.endswith("/static/js/textual.js") for u in urls)
        assert any(u.endswith("/static/fonts/RobotoMono-VariableFont_wght.ttf") for u in urls)
        assert any(u.startswith("ws://") for u in urls)
        # data: URLs (images inlined in xterm.css) fetch nothing; all else is the server
        outside = [
            u
            for u in urls
            if urlsplit(u).scheme != "data"
            and (urlsplit(u).hostname, urlsplit(u).port) != ("127.0.0.1", served.port)
        ]
        assert outside == [], f"the page fetched from elsewhere: {outside}"
    finally:
        stop_server(served)


def test_write_key_opens_the_form_only_with_write(browser: Browser, demo_repo: Path) -> None:
    """The contrast to the read-only test: with --write the same key opens the form."""
    served = start_server("--demo", "--repo", str(demo_repo), "--write")
    try:
        assert "with writes allowed" in served.lines[-1]
        text = open_console(browser, served)
        assert "READ-ONLY" not in text
        assert all("--read-only" not in argv for argv in served.consoles())
        press(browser, "a")
        browser.wait_for(
            "the reservation form", lambda: "New reservation" in terminal_text(browser)
        )
        press(browser, "escape")
        browser.wait_for(
            "the form to close", lambda: "New reservation" not in terminal_text(browser)
        )
    finally:
        stop_server(served)


def test_browser_on_the_lab_fleet_read_only(browser: Browser, lab: Lab) -> None:
    """The same page over the real lab (SSH + libvirt): hosts OK, writes refused."""
    head = git_head(lab.repo)
    served = start_server("--config", str(lab.inventory))
    try:
        assert "read-only" in served.lines[-1]
        text = open_console(browser, served)
        assert "READ-ONLY" in text and "DEMO" not in text
        assert all("--read-only" in argv for argv in served.consoles())
        press(browser, "a")
        browser.wait_for(
            "the read-only refusal",
            lambda: text_with(browser, "adding a reservation is refused"),
            timeout=20,
        )
        assert "New reservation" not in terminal_text(browser)
        assert git_head(lab.repo) == head
    finally:
        stop_server(served)
