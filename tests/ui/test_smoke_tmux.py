"""The installed ``tropconsole --demo`` in a real terminal: tmux sends keys, capture-pane
reads the screen back, and git shows the commit landed in the demo's config repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
EXE = Path(sys.executable).parent / "tropconsole"

pytestmark = pytest.mark.skipif(
    TMUX is None or not EXE.exists(), reason="needs tmux and the installed tropconsole script"
)


class Tmux:
    """A private tmux server on a socket in the test's temp dir: no user session is
    touched and nothing is left behind."""

    def __init__(self, name: str, socket: Path) -> None:
        self.name = name
        self.socket = socket

    def run(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), *args], capture_output=True, text=True, check=check
        )
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        for key in keys:  # one at a time: ESC followed fast by a key reads as alt+key
            self.run("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", self.name, "-l", text)

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_demo_in_tmux_reserves_and_commits(tmp_path: Path) -> None:
    demo = tmp_path / "demo-repo"
    done_file = tmp_path / "exit-code"
    name = f"tropconsole-smoke-{uuid.uuid4().hex[:8]}"
    env = {
        "TROPCONSOLE_DEMO_DIR": str(demo),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "TERM": "xterm-256color",
    }
    # COLUMNS/LINES from the test runner's environment would override the pane's size.
    command = " ".join(
        [
            "env -u COLUMNS -u LINES",
            *(f"{k}={v}" for k, v in env.items()),
            str(EXE),
            "--demo",
            f"; echo $? > {done_file}",
        ]
    )
    tmux = Tmux(name, tmp_path / "tmux.sock")
    tmux.run("-f", os.devnull, "new-session", "-d", "-s", name, "-x", "120", "-y", "36", command)
    try:
        tmux.run("resize-window", "-t", name, "-x", "120", "-y", "36")
        tmux.wait_for("trop04 ● OK")
        tmux.keys("h", "h")  # host filter: trop02, so the form defaults to it
        tmux.wait_for("host: trop02")
        tmux.keys("a")
        tmux.wait_for("New reservation")
        tmux.type("smoke01")
        screen = tmux.wait_for("name='smoke01'")  # the diff preview caught up
        assert "Host     trop02" in screen
        tmux.keys("C-s")
        screen = tmux.wait_for("Reservation committed")
        assert "live: applied" in screen
        head = git(demo, "rev-parse", "--short=7", "HEAD")
        assert f"commit {head}" in screen
        tmux.keys("4")
        tmux.wait_for("smoke01")
        tmux.keys("q")
        deadline = time.monotonic() + 10
        while not done_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert done_file.read_text().strip() == "0"
    finally:
        tmux.run("kill-server", check=False)
    subject = git(demo, "log", "-1", "--format=%s")
    assert subject == "trop02/default: reserve smoke01 52:54:00:02:02:10 192.168.202.16"
    diff = git(demo, "show", "HEAD", "--format=")
    assert "+      <host mac='52:54:00:02:02:10' ip='192.168.202.16' name='smoke01'/>" in diff
    assert git(demo, "status", "--porcelain") == ""
