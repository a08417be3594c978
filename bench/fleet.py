"""Fleet section: cold and warm snapshots of N lab hosts vs the sysadmin's serial loop.

Run as ``python -m bench.fleet --lab-dir DIR --hosts N --rounds R --warm W``. Each round:

1. the serial shell loop with the real tools, host after host: ``ssh -F <ssh_config> host
   'ip -j -d addr; bridge -j link'`` then ``virsh -c <uri> net-list --all --name`` and, per
   network, ``net-dumpxml`` and ``net-dhcp-leases`` (every virsh is a new connection);
2. cold: a new ``FleetPoller`` on the N hosts, timed from construction to the first
   snapshot in which every host is OK (bridges + networks + leases), in this process
   (imports are not included: they are the start-up section's business);
3. warm: W more ``poll()`` calls back to back on that poller, with the per-host counter
   deltas (handshakes, execs, RPCs) per refresh;
4. each host alone: a new single-host poller, cold, timed the same way; the slowest one;
5. the same cold fleet and slowest single host with ``libvirt_transport = "ssh"`` (libvirt's
   own ``qemu+ssh``, one OpenSSH client per host: the transport before the tunnel), for
   comparison.

Ratios are taken within a round (cold_r / serial_r, ...) and their median reported.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import emit, log, median

COLD_DEADLINE = 60.0  # a cold snapshot that takes longer than this is a failure


def _serial_script(lab: dict[str, Any], hosts: list[dict[str, Any]]) -> str:
    cfg = shlex.quote(lab["ssh_config"])
    lines = ["set -eu"]
    for h in hosts:
        uri = shlex.quote(h["libvirt_uri"])
        lines += [
            f"ssh -F {cfg} {h['name']} 'ip -j -d addr; bridge -j link'",
            f"for n in $(virsh -c {uri} net-list --all --name); do",
            f'  virsh -c {uri} net-dumpxml "$n"',
            f'  virsh -c {uri} net-dhcp-leases "$n"',
            "done",
        ]
    return "\n".join(lines) + "\n"


def serial_loop(lab: dict[str, Any], hosts: list[dict[str, Any]]) -> tuple[float, int]:
    """Seconds for the whole loop, and the number of leases it printed."""
    script = _serial_script(lab, hosts)
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=30 + 15 * len(hosts)
    )
    secs = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"serial loop failed: {proc.stderr.strip()[-400:]}")
    leases = sum(1 for line in proc.stdout.splitlines() if " ipv4 " in f" {line} ")
    return secs, leases


def cpu_now() -> tuple[float, float]:
    """(whole machine busy core-seconds, this process's CPU seconds) so far."""
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:9]]
    tick = os.sysconf("SC_CLK_TCK")
    t = os.times()
    return (sum(f) - f[3] - f[4]) / tick, t.user + t.system


def children_cpu() -> dict[int, float]:
    """CPU seconds of this process's live children (the ssh clients libvirt started)."""
    me, tick, out = os.getpid(), os.sysconf("SC_CLK_TCK"), {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(f[1]) == me:
            out[int(d)] = (int(f[11]) + int(f[12])) / tick
    return out


def _complete(snap: Any) -> bool:
    """Every host OK with bridges, networks and leases: a full fleet snapshot."""
    from tropconsole.core.live import HostState

    for h in snap.hosts:
        s = h.snapshot
        if h.state is not HostState.OK or s is None:
            return False
        if not (s.bridges and s.networks and s.leases):
            return False
    return True


def cold(inv: Any) -> tuple[float, Any, Any]:
    """Seconds from a new poller to a full snapshot; the snapshot and the poller (open)."""
    from tropconsole.remote.poller import FleetPoller

    t0 = time.perf_counter()
    poller = FleetPoller(inv, read_only=True)
    deadline = t0 + COLD_DEADLINE
    while True:
        snap = poller.poll()
        if _complete(snap):
            return time.perf_counter() - t0, snap, poller
        if time.perf_counter() > deadline:
            poller.close()
            bad = {h.host: (h.state.value, h.error) for h in snap.hosts if h.state.value != "ok"}
            raise RuntimeError(f"no full snapshot after {COLD_DEADLINE:.0f}s: {bad}")
        time.sleep(0.05)


def each_alone(inv: Any) -> dict[str, tuple[float, list[float]]]:
    """Each host of ``inv`` alone, cold: by host, the seconds to its full snapshot and the
    CPU it took ([machine core-seconds, this process's seconds])."""
    out = {}
    for entry in inv.hosts:
        c0 = cpu_now()
        secs, _, poller = cold(dataclasses.replace(inv, hosts=(entry,)))
        c1 = cpu_now()
        poller.close()
        out[entry.name] = (secs, [c1[0] - c0[0], c1[1] - c0[1]])
    return out


def counters(snap: Any) -> dict[str, tuple[int, int, int]]:
    return {h.host: (h.counters.handshakes, h.counters.execs, h.counters.rpcs) for h in snap.hosts}


def run(lab_dir: Path, n: int, rounds: int, warm: int, serial_rounds: int) -> dict[str, Any]:
    import json

    from tropconsole.remote.inventory import load_inventory

    lab = json.loads((lab_dir / "lab.json").read_text())
    hosts = lab["hosts"][:n]
    if len(hosts) < n:
        raise SystemExit(f"{lab_dir} has {len(lab['hosts'])} hosts, {n} asked for")
    full = load_inventory(Path(lab["inventory"]))
    names = [h["name"] for h in hosts]
    inv = dataclasses.replace(full, hosts=tuple(e for e in full.hosts if e.name in names))
    out: dict[str, Any] = {"n": n, "rounds": []}
    for r in range(rounds):
        rec: dict[str, Any] = {}
        if r < serial_rounds:
            c0 = cpu_now()
            rec["serial"], rec["serial_leases"] = serial_loop(lab, hosts)
            rec["serial_cpu"] = cpu_now()[0] - c0[0]
        c0, k0 = cpu_now(), children_cpu()
        rec["cold"], snap, poller = cold(inv)
        c1, k1 = cpu_now(), children_cpu()
        kids = sum(v for pid, v in k1.items() if pid not in k0)
        rec["cold_cpu"] = [c1[0] - c0[0], c1[1] - c0[1], kids]
        rec["cold_leases"] = len(snap.leases)
        base = counters(snap)
        rec["cold_counters"] = base
        warm_times = []
        c0 = cpu_now()
        try:
            for _ in range(warm):
                t0 = time.perf_counter()
                snap = poller.poll()
                warm_times.append(time.perf_counter() - t0)
                if not _complete(snap):
                    raise RuntimeError(
                        "a warm refresh was not a full snapshot: "
                        + ", ".join(f"{h.host}={h.state.value} {h.error or ''}" for h in snap.hosts)
                    )
            c1, k2 = cpu_now(), children_cpu()
        finally:
            poller.close()
        kids = sum(v - k1.get(pid, 0.0) for pid, v in k2.items() if pid not in k0)
        rec["warm_cpu"] = [(c1[0] - c0[0]) / warm, (c1[1] - c0[1]) / warm, kids / warm]
        end = counters(snap)
        rec["warm"] = warm_times
        rec["warm_median"] = median(warm_times)
        rec["per_refresh"] = {
            host: [(end[host][i] - base[host][i]) / warm for i in range(3)] for host in end
        }
        alone = each_alone(inv)
        singles = {name: secs for name, (secs, _) in alone.items()}
        rec["single_cpu"] = [cpu for _, cpu in alone.values()]
        via_ssh = dataclasses.replace(inv, libvirt_transport="ssh")
        rec["cold_ssh"], _, p2 = cold(via_ssh)
        p2.close()
        rec["single_max_ssh"] = max(secs for secs, _ in each_alone(via_ssh).values())
        rec["singles"] = singles
        rec["single_max"] = max(singles.values())
        rec["single_max_host"] = max(singles, key=singles.__getitem__)
        out["rounds"].append(rec)
        log(
            f"N={n} round {r + 1}/{rounds}: serial "
            + (f"{rec['serial']:.2f}s " if "serial" in rec else "(not this round) ")
            + f"cold {rec['cold']:.3f}s warm {rec['warm_median']:.3f}s "
            f"slowest single {rec['single_max']:.3f}s ({rec['single_max_host']}); "
            f"qemu+ssh: cold {rec['cold_ssh']:.3f}s slowest single {rec['single_max_ssh']:.3f}s"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.fleet")
    ap.add_argument("--lab-dir", type=Path, required=True)
    ap.add_argument("--hosts", type=int, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warm", type=int, default=5)
    ap.add_argument("--serial-rounds", type=int, default=None)
    a = ap.parse_args(argv)
    serial_rounds = a.rounds if a.serial_rounds is None else a.serial_rounds
    emit(run(a.lab_dir, a.hosts, a.rounds, a.warm, serial_rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
