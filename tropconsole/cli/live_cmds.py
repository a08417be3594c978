"""``tropconsole status``: the live fleet, once, from a shell or a monitoring script.

It runs exactly one poll of the real fleet (the same ``FleetPoller`` the console uses), so
what it prints is what the console would show, including stale and unreachable hosts.
It also prints the alerts of ``core.alerts`` (full or nearly full DHCP ranges, leases from
MACs outside the host's scheme, leases about to expire unrenewed, hosts unreachable for
the inventory's number of refreshes), so ``status`` can gate a script or feed a
monitoring check: 0 when every host answered and nothing alerts, 3 when an alert is
present, 1 when a host did not answer (and nothing alerts). ``--json`` is for those
scripts (raw XML is left out: use virsh).
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when a command runs: parsing (and the console) stay fast
    from tropconsole.core.alerts import Alert, PoolStats
    from tropconsole.core.live import FleetSnapshot, HostStatus

EXIT_OK, EXIT_UNANSWERED, EXIT_ALERTS = 0, 1, 3


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "status",
        help="poll every hyper-visor once, print its live state and alerts "
        "(exit 0 ok, 3 alerts, 1 a host did not answer)",
        description="Poll every host of the inventory once (SSH + libvirt) and print, per "
        "host: state, round trip, age, error; bridges; libvirt networks with their DHCP pool "
        "(addresses in the range, reserved, leased, free = in the range, neither reserved nor "
        "leased); DHCP leases; then the alerts: DHCP range full or nearly full "
        "([alerts] pool_warn_percent, default 90), a lease from a MAC outside the host's "
        "scheme, a lease expiring within lease_expiry_minutes (default 10) unrenewed, a host "
        "unreachable for unreachable_refreshes refreshes (default 3; one status run makes one "
        "or two). Exit status: 0 every host answered and no alert; 3 at least one alert; "
        "1 a host did not answer (no alert); 2 bad input (inventory, options).",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_status)


def run_status(args: argparse.Namespace) -> int:
    from tropconsole.core.alerts import AlertTracker
    from tropconsole.core.live import HostState
    from tropconsole.remote.inventory import inventory_from_args
    from tropconsole.remote.poller import FleetPoller

    if getattr(args, "demo", False):
        from pathlib import Path

        from tropconsole.core.alerts import AlertPolicy
        from tropconsole.demo import DemoFleet, ensure_demo_repo

        repo = Path(args.repo).expanduser() if getattr(args, "repo", None) else None
        tracker = AlertTracker(AlertPolicy())
        demo = DemoFleet(ensure_demo_repo(repo), read_only=True)
        try:
            snap = demo.poll()
        finally:
            demo.close()
    else:
        inventory = inventory_from_args(args)
        tracker = AlertTracker(inventory.alerts)
        with FleetPoller(inventory, read_only=inventory.read_only) as poller:
            snap = poller.poll()
            if any(h.state == HostState.CONNECTING for h in snap.hosts):
                tracker.update(snap)
                snap = poller.poll()  # a first connection may take longer than one refresh
    alerts = tracker.update(snap)
    if args.json:
        import json

        data = fleet_json(snap, tracker.pools)
        data["alerts"] = [a.to_dict() for a in alerts]
        print(json.dumps(data, indent=2))
    else:
        print(fleet_text(snap, tracker.pools), end="")
        print(alerts_text(alerts), end="")
    if alerts:
        return EXIT_ALERTS
    return EXIT_OK if all(h.state == HostState.OK for h in snap.hosts) else EXIT_UNANSWERED


def alerts_text(alerts: tuple[Alert, ...]) -> str:
    if not alerts:
        return "alerts: none\n"
    return f"alerts: {len(alerts)}\n" + "".join(f"  {a.line()}\n" for a in alerts)


def _pool(pools: tuple[PoolStats, ...], host: str, network: str) -> PoolStats | None:
    return next((p for p in pools if p.host == host and p.network == network), None)


def pool_json(p: PoolStats | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "size": p.size,
        "reserved": p.reserved_in_range,
        "leased": p.leased_in_range,
        "free": p.free,
        "used_percent": round(p.used_percent, 1),
    }


def host_json(h: HostStatus, now: float, pools: tuple[PoolStats, ...] = ()) -> dict[str, Any]:
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
                "pool": pool_json(_pool(pools, h.host, n.name)),
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


def fleet_json(snap: FleetSnapshot, pools: tuple[PoolStats, ...] = ()) -> dict[str, Any]:
    return {
        "taken_at": snap.taken_at,
        "hosts": [host_json(h, snap.taken_at, pools) for h in snap.hosts],
    }


def _when(epoch: int | None) -> str:
    return "never" if epoch is None else time.strftime("%H:%M:%S", time.localtime(epoch))


def fleet_text(snap: FleetSnapshot, pools: tuple[PoolStats, ...] = ()) -> str:
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
            pool = _pool(pools, h.host, n.name)
            dhcp = (
                f"  pool {pool.size} in range, {pool.reserved_in_range} reserved, "
                f"{pool.leased_in_range} leased, {pool.free} free"
                if pool is not None
                else ""
            )
            out.append(
                f"  network {n.name:<9} {' '.join(flags)}  bridge {n.bridge or '-'}"
                f"  {count} reservations{dhcp}"
            )
        for lease in s.leases:
            out.append(
                f"  lease {lease.network:<9} {lease.mac}  {lease.ip:<15} "
                f"{lease.hostname or '-':<16} until {_when(lease.expiry)}"
            )
    return "\n".join(out) + "\n"
