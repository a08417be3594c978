"""Helpers for the collector tests against the real lab (see tests/conftest.py's ``lab``)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tropconsole.core.live import FleetSnapshot, HostState
from tropconsole.remote.inventory import Inventory, load_inventory
from tropconsole.remote.poller import FleetPoller


def lab_inventory(lab: Any, **changes: object) -> Inventory:
    inv = load_inventory(lab.inventory)
    return dataclasses.replace(inv, **changes) if changes else inv


def quiet_host(lab: Any) -> Any:
    """The host the disruptive tests (live apply, sshd killed) use: the last one, so they
    stay clear of trop01 (where the other suites start) and trop03 (the drift tests)."""
    return lab.hosts[-1]


PATIENT = 30.0  # a per-host timeout for tests that are not about timeouts: the lab box is busy


def settled(poller: FleetPoller, timeout: float = 30) -> FleetSnapshot:
    """Poll until no host is still on its first connection (a busy machine can take
    longer than one refresh timeout to open both connections)."""
    deadline = time.monotonic() + timeout
    while True:
        snap = poller.poll()
        if all(h.state != HostState.CONNECTING for h in snap.hosts):
            return snap
        assert time.monotonic() < deadline, snap
        time.sleep(0.2)


def poll_until(
    poller: FleetPoller, host: str, state: HostState, timeout: float = 20
) -> FleetSnapshot:
    deadline = time.monotonic() + timeout
    while True:
        snap = poller.poll()
        status = snap.host(host)
        assert status is not None
        if status.state == state:
            return snap
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{host} not {state} after {timeout}s: {status.state} {status.error}"
            )
        time.sleep(0.3)


def fingerprint(pub: Path) -> str:
    """OpenSSH's own SHA256 fingerprint of a public key file (not paramiko's)."""
    out = subprocess.run(
        ["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True, check=True
    )
    return out.stdout.split()[1]


def file_state(*paths: Path) -> list[tuple[str, bytes | None, int | None]]:
    """Content and mtime of files (None when absent), to prove nothing wrote them."""
    state = []
    for p in paths:
        try:
            state.append((str(p), p.read_bytes(), p.stat().st_mtime_ns))
        except FileNotFoundError:
            state.append((str(p), None, None))
    return state


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:") and int(line.split()[1]) == pid:
                out.append(int(d.name))
    return out


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def sshd_tree(host: Any) -> list[int]:
    """The host's sshd listener and its session processes (ids, listener first). Only
    sshd itself: a shell under a session must end normally (root's .bashrc takes a pyenv
    lock that a SIGKILL would leave stale for every later login)."""
    master = int((host.dir / "run/sshd.pid").read_text().strip())
    tree, todo = [master], [master]
    while todo:
        kids = [k for k in _children(todo.pop()) if _comm(k).startswith("sshd")]
        tree += kids
        todo += kids
    return tree


def signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


@contextmanager
def sshd_frozen(host: Any) -> Iterator[None]:
    """SIGSTOP the host's sshd and its sessions: TCP still accepts, nothing answers."""
    pids = sshd_tree(host)
    signal_all(pids, signal.SIGSTOP)
    try:
        yield
    finally:
        signal_all(pids, signal.SIGCONT)


def kill_sshd(lab: Any, host: Any) -> None:
    """Kill the host's sshd *and* its open sessions, as a crash or an OOM kill would
    (``lab.sshd_stop`` alone leaves sessions running, so a reused connection survives)."""
    sessions = sshd_tree(host)[1:]
    lab.sshd_stop(host)
    signal_all(sessions, signal.SIGTERM)
