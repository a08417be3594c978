"""A small Chrome DevTools Protocol client over Debian's Chromium, for the web view tests.

It starts ``/usr/bin/chromium`` headless with a fresh profile and no background
networking, connects to the page's DevTools websocket (websocket-client) and keeps every
event it receives, so a test can both drive the page and list each request it made.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import websocket

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


class CdpError(RuntimeError):
    pass


class Browser:
    """One headless Chromium with one page; ``close()`` ends it and removes its profile."""

    def __init__(self, width: int = 1280, height: int = 800, timeout: float = 30.0) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="tropconsole-chromium-"))
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                *FLAGS,
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        try:
            port = self._devtools_port(timeout)
            with urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as resp:
                targets = json.load(resp)
            page = next(t for t in targets if t["type"] == "page")
            self.ws = websocket.create_connection(
                page["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True
            )
        except BaseException:
            self.close()
            raise

    def _devtools_port(self, timeout: float) -> int:
        active = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise CdpError(f"chromium exited ({self.proc.returncode}): {err[-2000:]}")
            if active.exists():
                first = active.read_text().splitlines()[:1]
                if first and first[0].isdigit():
                    return int(first[0])
            time.sleep(0.05)
        raise CdpError(f"chromium did not open its DevTools port within {timeout}s")

    def call(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer, keeping the events that come first."""
        self._next_id += 1
        mid = self._next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            msg = self._receive(deadline)
            if msg is None:
                raise CdpError(f"{method}: no answer within {timeout}s")
            if msg.get("id") == mid:
                if "error" in msg:
                    raise CdpError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result

    def _receive(self, deadline: float) -> dict[str, Any] | None:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        self.ws.settimeout(left)
        try:
            msg: dict[str, Any] = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None
        if "method" in msg:
            self.events.append(msg)
        return msg

    def pump(self, seconds: float = 0.05) -> None:
        """Read the events that arrived (waiting at most ``seconds``)."""
        deadline = time.monotonic() + seconds
        while self._receive(deadline) is not None:
            pass

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise CdpError(f"{expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(
        self, what: str, check: Callable[[], Any], timeout: float = 30.0, every: float = 0.1
    ) -> Any:
        """Poll ``check`` until it returns something true; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = check()
            if last:
                return last
            self.pump(every)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")

    def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
        path.write_bytes(data)
        return data

    def clip_png(self, *, x: int, y: int, width: int, height: int, scale: float) -> bytes:
        """A part of the page as PNG, rendered ``scale`` times larger (for OCR)."""
        clip = {"x": x, "y": y, "width": width, "height": height, "scale": scale}
        data = self.call("Page.captureScreenshot", format="png", clip=clip)["data"]
        return base64.b64decode(data)

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)


# --- the console page: textual-serve's xterm.js terminal -------------------------------

# The rows on screen, as xterm.js holds them (its buffer, not the canvas it paints).
TERMINAL_TEXT = """(() => {
  const t = window.__tropconsoleTestTerminal, b = t.buffer.active, rows = [];
  for (let y = 0; y < t.rows; y++) {
    const line = b.getLine(b.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
})()"""


def attach_terminal(browser: Browser, timeout: float = 30.0) -> None:
    """Find the page's xterm.js Terminal and keep it as window.__tropconsoleTestTerminal.

    textual.js keeps its terminal inside a closure. Its session class is visible in the
    scope of the window.onresize handler it installs; DevTools lists the live instances of
    that class (queryObjects), and the instance holds the Terminal."""
    browser.wait_for(
        "textual.js to start its terminal",
        lambda: browser.evaluate("typeof window.onresize === 'function'"),
        timeout=timeout,
    )
    handler = browser.call("Runtime.evaluate", expression="window.onresize")["result"]
    internal = browser.call("Runtime.getProperties", objectId=handler["objectId"])
    scopes = next(p for p in internal["internalProperties"] if p["name"] == "[[Scopes]]")
    session_class = None
    for scope in browser.call("Runtime.getProperties", objectId=scopes["value"]["objectId"])[
        "result"
    ]:
        names = browser.call("Runtime.getProperties", objectId=scope["value"]["objectId"])
        for var in names["result"]:
            value = var.get("value", {})
            if value.get("type") == "function" and "this.terminal=new" in value.get(
                "description", ""
            ):
                session_class = value["objectId"]
    if session_class is None:
        raise CdpError("textual.js's terminal session class not found (textual-serve changed?)")
    proto = browser.call(
        "Runtime.callFunctionOn",
        objectId=session_class,
        functionDeclaration="function () { return this.prototype; }",
    )["result"]["objectId"]
    sessions = browser.call("Runtime.queryObjects", prototypeObjectId=proto)["objects"]
    count = browser.call(
        "Runtime.callFunctionOn",
        objectId=sessions["objectId"],
        functionDeclaration="function () {"
        " if (this.length === 1) window.__tropconsoleTestTerminal = this[0].terminal;"
        " return this.length; }",
        returnByValue=True,
    )["result"]["value"]
    if count != 1:
        raise CdpError(f"expected one terminal session on the page, found {count}")


def terminal_text(browser: Browser) -> str:
    text: str = browser.evaluate(TERMINAL_TEXT)
    return text


KEYS = {"escape": ("Escape", "Escape", 27, "")}


def press(browser: Browser, key: str) -> None:
    """Type one key into the focused terminal, as a user's keyboard would."""
    if key in KEYS:
        name, code, vk, text = KEYS[key]
    elif key.isdigit():
        name, code, vk, text = key, f"Digit{key}", ord(key), key
    else:
        name, code, vk, text = key, f"Key{key.upper()}", ord(key.upper()), key
    browser.call(
        "Input.dispatchKeyEvent",
        type="keyDown",
        key=name,
        code=code,
        windowsVirtualKeyCode=vk,
        text=text,
    )
    browser.call(
        "Input.dispatchKeyEvent", type="keyUp", key=name, code=code, windowsVirtualKeyCode=vk
    )


def focus_terminal(browser: Browser) -> None:
    # Headless Chromium has no focused window unless told to act as if it had one.
    browser.call("Emulation.setFocusEmulationEnabled", enabled=True)
    browser.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
