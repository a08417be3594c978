"""``tropconsole status``: the live fleet, once, from a shell or a monitoring script.

It runs exactly one poll of the real fleet (the same ``FleetPoller`` the console uses), so
what it prints is what the console would show, including stale and unreachable hosts.
The exit code is 0 only when every host answered, so ``status`` can gate a script or feed
a monitoring check; ``--json`` is for those scripts (raw XML is left out: use virsh).
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when a command runs: parsing (and the console) stay fast
    from tropconsole.core.live import FleetSnapshot, HostStatus


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "status",
        help="poll every hyper-visor once and print its live state",
        description="Poll every host of the inventory once (SSH + libvirt) and print, per "
        "host: state, round trip, age, error; bridges; libvirt networks; DHCP leases. "
        "Exit status 0 when every host answered, 1 otherwise.",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_status)


def run_status(args: argparse.Namespace) -> int:
    from tropconsole.core.live import HostState
    from tropconsole.remote.inventory import inventory_from_args
    from tropconsole.remote.poller import FleetPoller

    if getattr(args, "demo", False):
        from pathlib import Path

        from tropconsole.demo import DemoFleet, ensure_demo_repo

        repo = Path(args.repo).expanduser() if getattr(args, "repo", None) else None
        demo = DemoFleet(ensure_demo_repo(repo), read_only=True)
        try:
            snap = demo.poll()
        finally:
            demo.close()
    else:
        inventory = inventory_from_args(args)
        with FleetPoller(inventory, read_only=inventory.read_only) as poller:
            snap = poller.poll()
            if any(h.state == HostState.CONNECTING for h in snap.hosts):
                snap = poller.poll()  # a first connection may take longer than one refresh
    if args.json:
        import json

        print(json.dumps(fleet_json(snap), indent=2))
    else:
        print(fleet_text(snap), end="")
    return 0 if all(h.state == HostState.OK for h in snap.hosts) else 1


def host_json(h: HostStatus, now: float) -> dict[str, Any]:
    s = h.snapshot
    age = h.age(now)
    return {
        "host": h.host,
        "state": str(h.state),
        "error": h.error,
        "rtt_ms": None if s is None or s.rtt_ms is None else round(s.rtt_ms, 3),
        "age_s": None if age is None else round(age, 1),
        "read_only": h.read_only,
        "counters": {
            "handshakes": h.counters.handshakes,
            "execs": h.counters.execs,
            "rpcs": h.counters.rpcs,
        },
        "bridges": [
            {
                "name": b.name,
                "state": b.state,
                "addresses": [a.cidr for a in b.addresses],
                "ports": list(b.ports),
            }
            for b in (s.bridges if s else ())
        ],
        "networks": [
            {
                "name": n.name,
                "active": n.active,
                "autostart": n.autostart,
                "persistent": n.persistent,
                "bridge": n.bridge,
                "reservations": len(n.running.reservations) if n.running else None,
            }
            for n in (s.networks if s else ())
        ],
        "leases": [
            {
                "network": lease.network,
                "mac": lease.mac,
                "ip": lease.ip,
                "hostname": lease.hostname,
                "expiry": lease.expiry,
                "source": lease.source,
            }
            for lease in (s.leases if s else ())
        ],
        "nics": [
            {"domain": n.domain, "mac": n.mac, "network": n.network, "bridge": n.bridge}
            for n in (s.nics if s else ())
        ],
    }


def fleet_json(snap: FleetSnapshot) -> dict[str, Any]:
    return {"taken_at": snap.taken_at, "hosts": [host_json(h, snap.taken_at) for h in snap.hosts]}


def _when(epoch: int | None) -> str:
    return "never" if epoch is None else time.strftime("%H:%M:%S", time.localtime(epoch))


def fleet_text(snap: FleetSnapshot) -> str:
    out: list[str] = []
    for h in snap.hosts:
        s = h.snapshot
        age = h.age(snap.taken_at)
        rtt = f"rtt {s.rtt_ms:.1f} ms" if s and s.rtt_ms is not None else "rtt -"
        age_text = "age -" if age is None else f"age {age:.0f}s"
        out.append(f"{h.host}  {h.state.value.upper()}  {rtt}  {age_text}")
        if h.error:
            out.append(f"  error: {h.error}")
        if s is None:
            continue
        for b in s.bridges:
            addrs = " ".join(a.cidr for a in b.addresses if a.family == "inet") or "-"
            ports = ",".join(b.ports) or "none"
            out.append(f"  bridge {b.name:<10} {b.state:<7} {addrs:<20} ports: {ports}")
        for n in s.networks:
            flags = [
                "active" if n.active else "inactive",
                "autostart" if n.autostart else "no-autostart",
                "persistent" if n.persistent else "transient",
            ]
            count = len(n.running.reservations) if n.running else 0
            out.append(
                f"  network {n.name:<9} {' '.join(flags)}  bridge {n.bridge or '-'}"
                f"  {count} reservations"
            )
        for lease in s.leases:
            out.append(
                f"  lease {lease.network:<9} {lease.mac}  {lease.ip:<15} "
                f"{lease.hostname or '-':<16} until {_when(lease.expiry)}"
            )
    return "\n".join(out) + "\n"
