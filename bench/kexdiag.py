"""Diagnostic (not part of the default run): what the ssh key exchange costs a cold snapshot.

Run as ``python -m bench.kexdiag --lab-dir DIR --hosts N [--rounds R]``. It measures the
old transport (each host's ``qemu+ssh`` URI from the lab's ``lab.json``; the console now
tunnels libvirt over paramiko by default, see ``bench.fleet``). libvirt's
``qemu+ssh`` runs the OpenSSH client once per host; OpenSSH 9.x negotiates
``sntrup761x25519-sha512`` by default, whose client side costs tens of milliseconds of CPU
per connection. This times cold snapshots (as ``bench.fleet`` does) with the lab's own
``ssh`` wrapper, and with a copy of it that adds ``-o KexAlgorithms=curve25519-sha256``
(paramiko's side is unchanged), alternating, plus the slowest single host of each.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import emit, log, median
from bench.fleet import children_cpu, cold, cpu_now, each_alone


def _rounds(inv: Any, inv_fast: Any, rounds: int, out: dict[str, Any]) -> None:
    for r in range(rounds):
        for name, i in (("default", inv), ("curve25519", inv_fast)):
            c0, k0 = cpu_now(), children_cpu()
            secs, _, p = cold(i)
            c1, k1 = cpu_now(), children_cpu()
            p.close()
            singles = [secs for secs, _ in each_alone(i).values()]
            out[name].append(
                {
                    "cold": secs,
                    "machine_cpu": c1[0] - c0[0],
                    "self_cpu": c1[1] - c0[1],
                    "ssh_children_cpu": sum(v for pid, v in k1.items() if pid not in k0),
                    "single_max": max(singles),
                }
            )
            log(f"kex {name} round {r + 1}: cold {secs:.3f}s single max {max(singles):.3f}s")


def run(lab_dir: Path, n: int, rounds: int) -> dict[str, Any]:
    from tropconsole.remote.inventory import load_inventory

    lab = json.loads((lab_dir / "lab.json").read_text())
    full = load_inventory(Path(lab["inventory"]))
    names = [h["name"] for h in lab["hosts"][:n]]
    uris = {h["name"]: h["libvirt_uri"] for h in lab["hosts"]}  # the lab's own qemu+ssh
    inv = dataclasses.replace(
        full,
        hosts=tuple(
            dataclasses.replace(e, libvirt_uri=uris[e.name]) for e in full.hosts if e.name in names
        ),
    )
    wrapper = Path(lab["ssh_wrapper"])
    tmp = Path(tempfile.mkdtemp(prefix="tropconsole-bench-kex-"))
    fast = tmp / "ssh"
    fast.write_text(
        wrapper.read_text().replace("exec ssh ", "exec ssh -o KexAlgorithms=curve25519-sha256 ")
    )
    fast.chmod(0o755)
    inv_fast = dataclasses.replace(
        inv,
        hosts=tuple(
            dataclasses.replace(
                e, libvirt_uri=(e.libvirt_uri or "").replace(str(wrapper), str(fast))
            )
            for e in inv.hosts
        ),
    )
    out: dict[str, Any] = {"n": n, "default": [], "curve25519": []}
    try:
        _rounds(inv, inv_fast, rounds, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for name in ("default", "curve25519"):
        rs = out[name]
        out[f"{name}_summary"] = {
            "cold": median(x["cold"] for x in rs),
            "single_max": median(x["single_max"] for x in rs),
            "ratio": median(x["cold"] / x["single_max"] for x in rs),
            "machine_cpu": median(x["machine_cpu"] for x in rs),
            "ssh_children_cpu": median(x["ssh_children_cpu"] for x in rs),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.kexdiag")
    ap.add_argument("--lab-dir", type=Path, required=True)
    ap.add_argument("--hosts", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args(argv)
    emit(run(a.lab_dir, a.hosts, a.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
