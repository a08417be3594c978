"""Tear-down: everything a lab made goes, whatever state it was left in."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

from labcore import LAB_FILES, MARKER, Lab, LabError, alive, mounts_under, netns_list, run


def _lab_netns(lab: Lab) -> list[str]:
    return [n for n in netns_list() if n.startswith(f"{lab.prefix}-")]


def _ns_inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _lab_pids(lab: Lab) -> set[int]:
    """Processes in any of the lab's namespaces, or named by one of its pidfiles."""
    net = {_ns_inode(f"/run/netns/{n}") for n in _lab_netns(lab)} - {None}
    mounted = set(mounts_under(lab.dir / "ns"))
    mnt = {_ns_inode(str(p)) for p in (lab.dir / "ns").glob("*.mnt") if str(p) in mounted}
    mnt -= {None}
    pids: set[int] = set()
    me = os.getpid()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) in (1, me):
            continue
        try:
            if os.stat(d / "ns/net").st_ino in net or os.stat(d / "ns/mnt").st_ino in mnt:
                pids.add(int(d.name))
        except OSError:
            continue
    for pf in (lab.dir / "clients").glob("*.pid"):
        try:
            pid = int(pf.read_text().strip())
            if "udhcpc" in Path(f"/proc/{pid}/cmdline").read_text():
                pids.add(pid)
        except (OSError, ValueError):
            continue
    return pids


def kill_all(pids: set[int], grace: float = 3.0) -> set[int]:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            pids = {p for p in pids if alive(p)}
            if not pids:
                return set()
            time.sleep(0.05)
    return pids


def down(lab: Lab) -> list[str]:
    """Remove everything the lab made; returns what could not be removed."""
    if lab.dir.exists() and not (lab.dir / MARKER).exists():
        strange = sorted({p.name for p in lab.dir.iterdir()} - LAB_FILES)
        if strange:
            raise LabError(f"{lab.dir} is not a lab directory (has {', '.join(strange[:5])})")
    # Several rounds: a process can be between fork and exec when the first one runs.
    left: set[int] = set()
    for _ in range(3):
        pids = _lab_pids(lab)
        if not pids:
            break
        left = kill_all(pids)
    for n in _lab_netns(lab):
        run("ip", "netns", "delete", n, check=False)
    links = json.loads(run("ip", "-j", "link", "show").stdout or "[]")
    for link in links:
        if re.fullmatch(rf"{re.escape(lab.prefix)}-m\d+", link["ifname"]):
            run("ip", "link", "delete", link["ifname"], check=False)
    for mp in mounts_under(lab.dir):
        if run("umount", mp, check=False).returncode:
            run("umount", "-l", mp, check=False)
    problems = []
    if mounts_under(lab.dir):
        problems.append(f"mounts left: {mounts_under(lab.dir)}")
    elif lab.dir.exists():
        shutil.rmtree(lab.dir, ignore_errors=True)
    left = {p for p in left | _lab_pids(lab) if alive(p)}
    if left:
        problems.append(f"processes left: {sorted(left)}")
    if _lab_netns(lab):
        problems.append(f"namespaces left: {_lab_netns(lab)}")
    if lab.dir.exists():
        problems.append(f"directory left: {lab.dir}")
    return problems
