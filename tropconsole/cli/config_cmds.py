"""``hosts``, ``reservations``, ``reserve`` and ``unreserve``: the config repo from a shell.

These are thin: every read goes through ``load_fleet`` and every write through the core's
``ReservationService`` (the one door), so the CLI cannot do anything the console could not.
Output is plain text for people and ``--json`` for scripts; refusals are one line on
stderr with exit 2 (raised as ``TropError`` and printed by ``tropconsole.cli.main``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tropconsole.core.errors import RefusedError, TropError

if TYPE_CHECKING:
    from tropconsole.core.models import FleetConfig, HostConfig
    from tropconsole.core.ports import LiveApplier
    from tropconsole.core.service import Plan, ReservationService, WriteResult


def register(subparsers: Any) -> None:
    hosts = subparsers.add_parser(
        "hosts",
        help="list the hyper-visors in the config repo",
        description="One line per hyper-visor: its allocation scheme, bridges and networks.",
    )
    hosts.set_defaults(func=run_hosts)

    res = subparsers.add_parser(
        "reservations",
        help="list DHCP reservations from the config repo",
        description="Every <host> reservation of every network, as committed in the repo.",
    )
    res.add_argument("--host", metavar="H", help="only this hyper-visor")
    res.add_argument("--json", action="store_true", help="machine-readable output")
    res.set_defaults(func=run_reservations)

    add = subparsers.add_parser(
        "reserve",
        help="add a DHCP reservation (commits to the config repo)",
        description="Validate against the whole fleet, add one <host> line to the network "
        "file and commit it. With --apply, also add it live on the hyper-visor.",
    )
    add.add_argument("--host", metavar="H", required=True, help="hyper-visor, e.g. trop02")
    add.add_argument("--name", metavar="N", required=True, help="guest host name (one label)")
    add.add_argument("--network", metavar="NET", default="default", help="default: default")
    add.add_argument("--mac", metavar="MAC", default="auto", help="a MAC, or auto (default)")
    add.add_argument("--ip", metavar="IP", default="auto", help="an IPv4 address, or auto")
    add_write_options(add)
    add.set_defaults(func=run_reserve)

    rm = subparsers.add_parser(
        "unreserve",
        help="remove a DHCP reservation (commits to the config repo)",
        description="Remove the one <host> line that matches, and commit. With --apply, also "
        "remove it live on the hyper-visor.",
    )
    rm.add_argument("--host", metavar="H", required=True, help="hyper-visor, e.g. trop02")
    rm.add_argument("--network", metavar="NET", default="default", help="default: default")
    which = rm.add_mutually_exclusive_group(required=True)
    which.add_argument("--name", metavar="N", help="the reservation's name")
    which.add_argument("--mac", metavar="M", help="the reservation's MAC")
    which.add_argument("--ip", metavar="I", help="the reservation's IP")
    add_write_options(rm)
    rm.set_defaults(func=run_unreserve)


def add_write_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    parser.add_argument(
        "--author", metavar='"NAME <EMAIL>"', help="commit author (default: your git identity)"
    )
    parser.add_argument("--pull", action="store_true", help="git pull --ff-only first")
    parser.add_argument("--push", action="store_true", help="git push after committing")
    parser.add_argument(
        "--apply", action="store_true", help="after committing, apply live (needs the inventory)"
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="skip the repo's pre-commit and commit-msg hooks, as git commit --no-verify does",
    )


def repo_from_args(args: argparse.Namespace) -> Path:
    """``--repo``, else the demo's repo (``--demo``), else the inventory's ``repo``; a
    clear refusal when none exists."""
    if getattr(args, "repo", None):
        return Path(args.repo).expanduser()
    if getattr(args, "demo", False):
        from tropconsole.demo import ensure_demo_repo

        return ensure_demo_repo()
    hint = 'pass --repo PATH (or set repo = "..." in the inventory)'
    try:
        from tropconsole.remote.inventory import inventory_from_args
    except ImportError:
        raise RefusedError(f"no config repo given: {hint}") from None
    try:
        inventory = inventory_from_args(args)
    except TropError as err:
        raise RefusedError(f"no config repo given: {hint} ({err.message})") from None
    if not inventory.repo:
        raise RefusedError(f"no config repo given: {hint}; {inventory.path} has no repo")
    return Path(inventory.repo)


def _read_only(args: argparse.Namespace) -> bool:
    """``--read-only``, or ``read_only = true`` in an inventory that exists."""
    if getattr(args, "read_only", False):
        return True
    if getattr(args, "demo", False):
        return False  # the demo fleet has no inventory
    try:
        from tropconsole.remote.inventory import default_inventory_path, inventory_from_args
    except ImportError:
        return False
    if not getattr(args, "config", None) and not default_inventory_path().is_file():
        return False
    return inventory_from_args(args).read_only


def _load(args: argparse.Namespace) -> FleetConfig:
    return read_fleet(repo_from_args(args))


def read_fleet(repo: Path) -> FleetConfig:
    """``load_fleet`` for a read command: its warnings one line each on stderr, so a
    script reading ``--json`` on stdout still gets clean JSON."""
    from tropconsole.core.configrepo import load_fleet

    fleet = load_fleet(repo)
    for warning in fleet.warnings:
        print(f"tropconsole: warning: {warning}", file=sys.stderr)
    return fleet


def run_hosts(args: argparse.Namespace) -> int:
    from tropconsole.core.errors import ValidationError
    from tropconsole.core.scheme import scheme_for

    fleet = _load(args)
    rows = [("HOST", "INDEX", "MAC PREFIX", "SUBNET", "BRIDGES", "NETWORKS (RESERVATIONS)")]
    for host in fleet.hosts:
        try:
            scheme = scheme_for(host)
            prefix, subnet = scheme.mac_range, scheme.subnet
        except ValidationError:
            prefix, subnet = "-", "-"
        nets = " ".join(f"{n.name}({len(n.reservations)})" for n in host.networks)
        index = "-" if host.index is None else str(host.index)
        rows.append((host.name, index, prefix, subnet, _bridges(host), nets or "-"))
    print_table(rows)
    return 0


def _bridges(host: HostConfig) -> str:
    from netaddr import AddrFormatError, IPNetwork

    if host.interfaces is None:
        return "-"
    shown: list[str] = []
    for bridge in host.interfaces.bridges:
        if bridge.address and bridge.netmask:
            try:
                addr = (
                    f"{bridge.address}/{IPNetwork(f'{bridge.address}/{bridge.netmask}').prefixlen}"
                )
            except (AddrFormatError, ValueError):
                addr = bridge.address
        else:
            addr = bridge.address or bridge.method
        shown.append(f"{bridge.name}={addr}")
    return ", ".join(shown) or "-"


def run_reservations(args: argparse.Namespace) -> int:
    fleet = _load(args)
    hosts = fleet.hosts
    if args.host:
        host = fleet.host(args.host)
        if host is None:
            known = ", ".join(h.name for h in fleet.hosts)
            raise RefusedError(f"unknown host {args.host!r}; the config repo has: {known}")
        hosts = (host,)
    entries = [
        {
            "host": h.name,
            "network": n.name,
            "name": r.name,
            "mac": r.mac,
            "ip": r.ip,
            "file": n.path,
            "line": r.line,
        }
        for h in hosts
        for n in h.networks
        for r in n.reservations
    ]
    if args.json:
        import json

        json.dump(entries, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    rows = [("HOST", "NETWORK", "NAME", "MAC", "IP", "LINE")]
    rows += [
        (
            str(e["host"]),
            str(e["network"]),
            str(e["name"] or "-"),
            str(e["mac"] or "-"),
            str(e["ip"]),
            str(e["line"] or "-"),
        )
        for e in entries
    ]
    print_table(rows)
    return 0


def run_reserve(args: argparse.Namespace) -> int:
    from tropconsole.core.models import ReservationRequest

    request = ReservationRequest(
        host=args.host, network=args.network, name=args.name, mac=args.mac, ip=args.ip
    )
    service = write_service(args)
    if args.dry_run:
        return show_plan(service.plan_add(request))
    return report_write(service.add(request, apply=args.apply), args)


def run_unreserve(args: argparse.Namespace) -> int:
    service = write_service(args)
    which = {"name": args.name, "mac": args.mac, "ip": args.ip}
    if args.dry_run:
        return show_plan(service.plan_remove(args.host, args.network, **which))
    return report_write(service.remove(args.host, args.network, apply=args.apply, **which), args)


def write_service(args: argparse.Namespace) -> ReservationService:
    from tropconsole.core.service import ReservationService

    repo = repo_from_args(args)
    read_only = _read_only(args)
    applier = _applier(args) if args.apply and not args.dry_run and not read_only else None
    return ReservationService(
        repo,
        read_only=read_only,
        applier=applier,
        author=args.author,
        pull=args.pull,
        push=args.push,
        on_wait=_say_waiting,
        verify=not args.no_verify,
    )


def _say_waiting(line: str) -> None:
    print(f"tropconsole: {line}", file=sys.stderr, flush=True)


def _applier(args: argparse.Namespace) -> LiveApplier:
    """Built before anything is written, so a missing inventory refuses the whole command."""
    try:
        from tropconsole.remote.apply import applier_from_args
    except ImportError as err:
        raise RefusedError(
            f"--apply is not available here ({err}); commit without --apply and apply later"
        ) from None
    applier: LiveApplier = applier_from_args(args)
    return applier


def show_plan(plan: Plan) -> int:
    for warning in plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    sys.stdout.write(plan.diff)
    print(f'dry run: would commit "{plan.subject}"; nothing was written')
    return 0


def report_write(result: WriteResult, args: argparse.Namespace) -> int:
    for warning in result.plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"git: committed {result.short} {result.plan.subject}")
    for note in result.warnings:
        print(f"git: warning: {note}", file=sys.stderr)
    status = 0
    if args.push:
        if result.push_error is None:
            print("git: pushed")
        else:
            print(f"git: push FAILED: {result.push_error} (the commit stands; run git push)")
            status = 1
    if result.live is not None:
        print(f"live: {result.live}")
        if not result.live_ok:
            status = 1
    return status


def print_table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
