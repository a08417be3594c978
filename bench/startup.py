"""Start-up section: process start to the first frame of ``tropconsole --demo``, and imports.

Run as ``python -m bench.startup [--repeats R]``. Three measurements:

* **headless**: ``python -m bench.firstframe`` (the console's own ``main(["--demo"])`` with
  ``App.run`` made headless and an auto-pilot that stamps the first screen refresh); timed
  from just before the parent spawns the process to that stamp. This is the target's
  number.
* **terminal**: ``tropconsole --demo`` itself in a pseudo-terminal (120x36, xterm-256color),
  from just before the spawn until the terminal output holds ``DEMO FLEET`` (the badge of
  the main screen): what an operator waits for, including the bytes written to the tty.
  Then ``q`` quits it.
* ``python -X importtime -c "import tropconsole.cli.console"`` and, for the whole start-up
  path, ``python -X importtime -m bench.firstframe``: the top entries by cumulative time
  (microseconds), and whether paramiko / libvirt are imported before the first frame.

A first, untimed run creates the demo's config repo (``TROPCONSOLE_DEMO_DIR`` points at a
scratch directory) and the byte-code caches (``PYTHONPYCACHEPREFIX``, in the same scratch
directory; ``PYTHONDONTWRITEBYTECODE`` is dropped), so every timed run is a warm start.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, emit, log, median, python

ANSI = re.compile(
    rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][A-Z0-9]|[=>78])"
)
MARKER = b"DEMO FLEET"


def _env(demo_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TROPCONSOLE_DEMO_DIR=str(demo_dir),
        TERM="xterm-256color",
        COLUMNS="120",
        LINES="36",
        PYTHONPATH=str(ROOT),
        # Byte-code in a scratch directory: the untimed first run writes it, the timed runs
        # read it (an installed console has its .pyc from pip), and the checkout is left
        # alone. PYTHONDONTWRITEBYTECODE in the caller's environment would otherwise make
        # every run compile tropconsole from source (~50-90 ms) and time that instead.
        PYTHONPYCACHEPREFIX=str(demo_dir.parent / "pycache"),
    )
    env.pop("TEXTUAL", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def headless_once(
    env: dict[str, str], info: list[dict[str, Any]] | None = None, module: str = "firstframe"
) -> float:
    t0 = time.time()
    proc = subprocess.run(
        [python(), "-m", f"bench.{module}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    m = re.search(r"FIRST-FRAME (\d+\.\d+) (\d+\.\d+) (\S+)", proc.stderr)
    if proc.returncode or not m:
        raise RuntimeError(f"firstframe failed ({proc.returncode}): {proc.stderr[-600:]}")
    frame, entered = float(m.group(1)), float(m.group(2))
    if info is not None:
        info.append(
            {"to_app_run": entered - t0, "app_run_to_frame": frame - entered, "loaded": m.group(3)}
        )
    return frame - t0


def terminal_once(env: dict[str, str]) -> float:
    exe = shutil.which("tropconsole", path=str(ROOT / ".venv" / "bin")) or "tropconsole"
    t0 = time.time()
    pid, fd = pty.fork()
    if pid == 0:  # child
        with contextlib.suppress(Exception):
            os.execve(exe, [exe, "--demo"], env)
        os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    buf = b""
    seen: float | None = None
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.5)
            if not r:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if seen is None and MARKER in ANSI.sub(b"", buf):
                seen = time.time()
                os.write(fd, b"q")
                deadline = min(deadline, time.monotonic() + 10)
        if seen is None:
            raise RuntimeError(f"no {MARKER!r} on the terminal in 30 s: {buf[-300:]!r}")
        return seen - t0
    finally:
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)  # only the console this function started
            end = time.monotonic() + 3
            done = False
            while time.monotonic() < end:
                if os.waitpid(pid, os.WNOHANG) != (0, 0):
                    done = True
                    break
                time.sleep(0.05)
            if done:
                break
        os.close(fd)


def importtime(args: list[str], env: dict[str, str], top: int = 12) -> dict[str, Any]:
    proc = subprocess.run(
        [python(), "-X", "importtime", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m.group(2)), int(m.group(1)), len(m.group(3)) // 2, m.group(4)))
    names = {r[3] for r in rows}
    total = sum(r[0] for r in rows if r[2] == 0)
    biggest = sorted(rows, reverse=True)[:top]
    return {
        "command": " ".join(["python", "-X", "importtime", *args]),
        "total_us": total,
        "top": [
            {"module": n, "cumulative_us": c, "self_us": s, "depth": d} for c, s, d, n in biggest
        ],
        "paramiko": any(n == "paramiko" or n.startswith("paramiko.") for n in names),
        "libvirt": any(n in ("libvirt", "libvirtmod") for n in names),
        "textual": "textual" in names,
        "modules": len(rows),
        "returncode": proc.returncode,
    }


def run(repeats: int) -> dict[str, Any]:
    demo_dir = Path(tempfile.mkdtemp(prefix="tropconsole-bench-demo-"))
    env = _env(demo_dir / "repo")
    try:
        headless_once(env)  # creates the demo repo and byte-code caches
        headless, terminal, info = [], [], []
        for _ in range(repeats):
            headless.append(headless_once(env, info))
            try:
                terminal.append(terminal_once(env))
            except (RuntimeError, OSError) as err:
                log(f"terminal start-up run failed: {err}")
        no_poll_env = dict(env, BENCH_NO_POLL="1")
        no_poll = [headless_once(no_poll_env) for _ in range(max(2, repeats // 2))]
        floor = [headless_once(env, module="floorframe") for _ in range(max(2, repeats // 2))]
        imports = []
        for _ in range(3):
            imports.append(importtime(["-c", "import tropconsole.cli.console"], env))
        cli = sorted(imports, key=lambda r: r["total_us"])[1]
        paths = [importtime(["-m", "bench.firstframe"], env, top=15) for _ in range(3)]
        path = sorted(paths, key=lambda r: r["total_us"])[1]
    finally:
        shutil.rmtree(demo_dir, ignore_errors=True)
    log(
        f"start-up: headless first frame {median(headless) * 1000:.0f} ms, terminal "
        f"{median(terminal) * 1000:.0f} ms; imports of the start path "
        f"{path['total_us'] / 1000:.0f} ms"
    )
    return {
        "headless": headless,
        "terminal": terminal,
        "headless_no_poll": no_poll,
        "bare_textual": floor,
        "to_app_run": [i["to_app_run"] for i in info],
        "app_run_to_frame": [i["app_run_to_frame"] for i in info],
        "loaded_at_first_frame": [i["loaded"] for i in info],
        "importtime_cli": cli,
        "importtime_startup": path,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.startup")
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)
    emit(run(a.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
