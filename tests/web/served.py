"""Start ``tropconsole serve`` and a headless Chromium for the web view tests (fixtures
and helpers, imported by the test modules: no conftest, whose module name others share).

Servers run in a session of their own so that the consoles they start per browser session
end with them. Everything listens on loopback only.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.web.cdp import Browser
from tropconsole.core.sample import write_sample_repo

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    proc: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def consoles(self) -> list[list[str]]:
        """The command lines of the consoles this server started (its descendants)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        found: list[list[str]] = []
        todo = list(children.get(self.proc.pid, []))
        while todo:
            pid = todo.pop()
            todo += children.get(pid, [])
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
            except OSError:
                continue
            words = [a.decode() for a in argv]
            if "tropconsole" in words and "serve" not in words:
                found.append(words)
        return found


def start_server(*args: str, timeout: float = 60.0) -> Served:
    """``tropconsole serve ARGS --port <free>``, once it says it is serving."""
    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tropconsole", "serve", *args, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    served = Served(proc, port)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            served.lines.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    try:
        while True:
            line = lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"serve exited: {''.join(served.lines)}")
            if line.startswith("serving the console"):
                return served
    except BaseException:
        stop_server(served)
        raise


def stop_server(served: Served) -> None:
    if served.proc.poll() is None:
        try:
            os.killpg(served.proc.pid, signal.SIGTERM)
            served.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(served.proc.pid, signal.SIGKILL)
            served.proc.wait()
    # consoles left behind by the server (its process group) end with it
    with contextlib.suppress(ProcessLookupError):
        os.killpg(served.proc.pid, signal.SIGKILL)


# Fixtures under their own names, so a test module imports them without its arguments
# shadowing the import.
@pytest.fixture(name="demo_repo")
def demo_repo_fixture(tmp_path: Path) -> Path:
    repo = tmp_path / "demo-repo"
    write_sample_repo(repo)
    return repo


@pytest.fixture(name="browser")
def browser_fixture() -> Iterator[Browser]:
    b = Browser(width=1280, height=720)
    try:
        yield b
    finally:
        b.close()


def git_head(repo: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
