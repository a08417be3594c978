"""``revert --apply`` on the real lab: undoing a reservation commit changes the hyper-visor's
live network (and its persistent definition), through the same door as ``reserve``.

Commits go to a clone of the lab repo; the entry uses a MAC no lab client has, so no
client's lease moves; whatever happens, the entry is removed live again at the end.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from livekit import quiet_host

from tropconsole.cli import main

AUTHOR = "tropconsole tests <tests@lab.invalid>"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def live_macs(lab: Any, host: Any, *flags: str) -> list[str]:
    xml = lab.virsh(host, "net-dumpxml", *flags, "default").stdout
    return [line.strip().lower() for line in xml.splitlines() if "<host " in line]


def test_revert_apply_changes_the_live_network(
    lab: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host = quiet_host(lab)
    mac = f"52:54:00:02:{host.index:02x}:ee"
    assert all(c.mac.lower() != mac for c in lab.clients)
    ip = f"192.168.{200 + host.index}.238"
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(lab.repo), str(repo)], check=True)
    common = ["--config", str(lab.inventory), "--repo", str(repo)]
    write = ["--apply", "--author", AUTHOR]

    def present(*flags: str) -> bool:
        return any(mac in h for h in live_macs(lab, host, *flags))

    assert not present() and not present("--inactive")
    try:
        reserve = ["reserve", "--host", host.name, "--name", "histprobe", "--mac", mac]
        assert main([*common, *reserve, "--ip", ip, *write]) == 0
        assert "live: applied" in capsys.readouterr().out
        added = git(repo, "rev-parse", "HEAD").strip()
        assert present() and present("--inactive")

        assert main([*common, "revert", added[:7], *write]) == 0
        out = capsys.readouterr().out
        assert f"unreserve histprobe {mac} {ip} (revert {added[:7]})" in out
        assert "live: applied (live+config)" in out
        assert not present() and not present("--inactive")  # the live network changed
        undone = git(repo, "rev-parse", "HEAD").strip()
        assert git(repo, "rev-parse", "HEAD~1").strip() == added

        # the undo is a reservation commit itself: reverting it re-adds the entry live
        assert main([*common, "revert", undone, *write]) == 0
        assert "live: applied (live+config)" in capsys.readouterr().out
        assert present() and present("--inactive")

        assert main([*common, "history", "--host", host.name, "--json", "--limit", "3"]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert [(c["changes"][0]["action"], c["revertible"]) for c in shown] == [
            ("added", True),
            ("removed", True),
            ("added", True),
        ]
        assert shown[1]["commit"] == undone and shown[2]["commit"] == added
    finally:
        if present() or present("--inactive"):
            main([*common, "unreserve", "--host", host.name, "--mac", mac, *write])
            capsys.readouterr()
    assert not present() and not present("--inactive")
