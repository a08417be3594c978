"""``tropconsole vms``: every libvirt domain of every host, each NIC with its verdict.

One poll of the fleet (read-only: listing domains needs no write access), then
``core.vms.vm_rows``: the same rows the console's VMs view shows. Per NIC: MAC, network
or bridge, model, the DHCP lease, the git reservation, the addresses the host's neighbour
table holds for the MAC on its bridge ("seen on br0") and the verdict. Exit status 0
when every host answered, 1 otherwise (its domains are then unknown, not absent).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tropconsole.core.errors import RefusedError

if TYPE_CHECKING:
    from tropconsole.core.vms import NicRow, SeenAddress, VmRow


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "vms",
        help="list every libvirt domain with its NICs, leases, reservations and verdicts",
        description="Poll the fleet once and list every libvirt domain: state, vCPUs, "
        "memory, and per NIC its MAC, network or bridge, model, DHCP lease, git "
        "reservation, the addresses seen for its MAC in the host's neighbour table on its "
        "bridge, and a verdict: ok, no reservation, leased another address than reserved, "
        "reserved elsewhere, MAC outside the "
        "host's range, or no DHCP (a bridged guest sets its own address). Exit status 0 "
        "when every host answered, 1 otherwise.",
    )
    parser.add_argument("--host", metavar="H", help="only this hyper-visor")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=cmd_vms)


def cmd_vms(args: argparse.Namespace) -> int:
    from tropconsole.cli.drift_cmds import _need_repo, _open
    from tropconsole.core.configrepo import load_fleet
    from tropconsole.core.live import HostState
    from tropconsole.core.vms import vm_rows

    source, repo = _open(args, read_only=True, host=args.host)
    try:
        fleet = load_fleet(_need_repo(repo))
        snapshot = source.poll()
        if any(h.state is HostState.CONNECTING for h in snapshot.hosts):
            snapshot = source.poll()  # a first connection may take longer than one refresh
    finally:
        source.close()
    if args.host and snapshot.host(args.host) is None:
        names = ", ".join(h.host for h in snapshot.hosts)
        raise RefusedError(f"unknown host {args.host!r}; the fleet has: {names}")
    rows = vm_rows(fleet, snapshot, args.host)
    statuses = [h for h in snapshot.hosts if args.host is None or h.host == args.host]
    if args.json:
        import json

        out = {
            "taken_at": snapshot.taken_at,
            "hosts": [{"host": h.host, "state": str(h.state), "error": h.error} for h in statuses],
            "vms": [vm_json(r) for r in rows],
        }
        print(json.dumps(out, indent=2))
    else:
        print(vms_text(rows, statuses), end="")
    return 0 if all(h.state is HostState.OK for h in statuses) else 1


def _seen_json(s: SeenAddress) -> dict[str, Any]:
    return {
        "ip": s.ip,
        "dev": s.dev,
        "state": s.state,
        "updated_s": s.updated,
        "confirmed_s": s.confirmed,
        "used_s": s.used,
    }


def nic_json(n: NicRow) -> dict[str, Any]:
    res = n.reservation
    return {
        "mac": n.mac,
        "type": n.kind,
        "network": n.network,
        "bridge": n.bridge,
        "model": n.model,
        "dhcp": n.dhcp,
        "lease": None
        if n.lease is None
        else {"ip": n.lease.ip, "hostname": n.lease.hostname, "expiry": n.lease.expiry},
        "reservation": None if res is None else {"ip": res.ip, "name": res.name},
        "reserved_elsewhere": [
            {"host": p.host, "network": p.network, "ip": p.reservation.ip} for p in n.elsewhere
        ],
        "seen": [_seen_json(s) for s in n.seen],
        "verdict": n.verdict.value,
        "detail": n.detail,
    }


def vm_json(r: VmRow) -> dict[str, Any]:
    return {
        "host": r.host,
        "name": r.name,
        "state": r.state,
        "vcpus": r.vcpus,
        "memory_mib": r.memory_kib // 1024,
        "uuid": r.uuid,
        "verdict": r.verdict.value,
        "nics": [nic_json(n) for n in r.nics],
    }


def _seen_text(s: SeenAddress) -> str:
    age = f" {s.age}s ago" if s.age is not None else ""
    return f"{s.ip} {s.state}{age}"


def vms_text(rows: tuple[VmRow, ...], statuses: list[Any]) -> str:
    out: list[str] = []
    for h in statuses:
        if h.error:
            out.append(f"{h.host}  {h.state.value.upper()}: {h.error}")
    for r in rows:
        out.append(
            f"{r.host}  {r.name:<16} {r.state:<9} {r.vcpus} vCPU  {r.memory_kib // 1024} MiB"
        )
        for n in r.nics:
            where = n.network or "-"
            where += f" ({n.bridge})" if n.bridge else ""
            parts = [f"  {n.mac}  {where:<20} {n.model or '-':<8}"]
            parts.append(f"lease {n.lease_ip or '-':<15}")
            parts.append(f"reserved {n.reserved_ip or '-':<15}")
            if n.seen:
                parts.append(f"seen on {n.bridge}: " + ", ".join(_seen_text(s) for s in n.seen))
            parts.append(f"[{n.verdict.value}]")
            out.append(" ".join(parts))
            if n.verdict.bad:
                out.append(f"      {n.detail}")
    if not rows and not out:
        out.append("no domains")
    return "\n".join(out) + "\n"
