"""``drift``, ``sync`` and ``leases``: is git the truth on every host, and make it so.

``drift`` is for cron: silent when clean, one grep-able line per finding otherwise, and
an exit code a wrapper can branch on (0 clean, 3 drift found, 1 when drift could not be
determined: no config, or a host unreachable and nothing else found). It opens libvirt
read-only: monitoring never needs write access. ``sync`` is the fix for reservation
drift and goes through ``core.sync`` (the LiveApplier port), so read-only mode refuses it
before anything is opened for writing. ``leases`` exports what the console shows.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tropconsole.core.errors import ReadOnlyError, RefusedError, RemoteError, TropError

if TYPE_CHECKING:
    from tropconsole.core.live import FleetSnapshot, HostSnapshot
    from tropconsole.core.ports import FleetSource, LiveApplier

EXIT_CLEAN, EXIT_FAILED, EXIT_DRIFT = 0, 1, 3


def register(subparsers: Any) -> None:
    drift = subparsers.add_parser(
        "drift",
        help="report where hosts differ from git (exit 0 clean, 3 drift, 1 failure)",
        description="Compare every host with the config repo: libvirt networks three ways "
        "(git, persistent, running), bridges against /etc/network/interfaces, leases "
        "against reservations. Silent when clean; one line per finding otherwise.",
    )
    drift.add_argument("--host", metavar="H", help="only this hyper-visor")
    drift.add_argument("--json", action="store_true", help="machine-readable output")
    drift.add_argument(
        "--level",
        choices=("error", "warning", "info"),
        default="warning",
        help="report findings at this level or worse (default: warning; info adds unreserved "
        "leases and unused reservations)",
    )
    drift.set_defaults(func=cmd_drift)

    sync = subparsers.add_parser(
        "sync",
        help="apply git's reservations to a host's libvirt network (live and persistent)",
        description="Make the running and persistent definitions of a libvirt network hold "
        "exactly the reservations git has: remove extra entries, then add missing ones "
        "(virNetworkUpdate, LIVE|CONFIG). Git is not changed. Refused in read-only mode.",
    )
    sync.add_argument("--host", metavar="H", required=True, help="hyper-visor, e.g. trop02")
    sync.add_argument("--network", metavar="N", default="default", help="default: default")
    sync.add_argument("--dry-run", action="store_true", help="print the steps, change nothing")
    sync.set_defaults(func=cmd_sync)

    leases = subparsers.add_parser(
        "leases",
        help="export the fleet's DHCP leases as CSV or JSON",
        description="Columns: host, network, mac, ip, hostname, expiry (ISO-8601 UTC), "
        "reserved (yes/no: git reserves the MAC on that network), source.",
    )
    leases.add_argument("--format", choices=("csv", "json"), default="csv", help="default: csv")
    leases.add_argument("--host", metavar="H", help="only this hyper-visor")
    leases.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    leases.set_defaults(func=cmd_leases)


def _open(
    args: argparse.Namespace, *, read_only: bool, host: str | None
) -> tuple[FleetSource, Path | None]:
    """The fleet source and the config repo path (None when none is configured)."""
    repo = Path(args.repo).expanduser() if getattr(args, "repo", None) else None
    if getattr(args, "demo", False):
        from tropconsole.demo import DemoFleet, ensure_demo_repo

        repo = repo or ensure_demo_repo()
        return DemoFleet(repo, read_only=read_only), repo
    from tropconsole.remote.inventory import inventory_from_args
    from tropconsole.remote.poller import FleetPoller

    inv = inventory_from_args(args)
    if host is not None:
        if inv.host(host) is None:
            raise RefusedError(
                f"unknown host {host!r}; {inv.path} has: {', '.join(inv.host_names)}"
            )
        inv = dataclasses.replace(inv, hosts=tuple(h for h in inv.hosts if h.name == host))
    if repo is None and inv.repo:
        repo = Path(inv.repo)
    return FleetPoller(inv, read_only=read_only), repo


def _need_repo(repo: Path | None) -> Path:
    if repo is None:
        raise RefusedError(
            'no config repo given: pass --repo PATH (or set repo = "..." in the inventory)'
        )
    return repo


def cmd_drift(args: argparse.Namespace) -> int:
    from tropconsole.cli.config_cmds import read_fleet
    from tropconsole.core.drift import (
        Kind,
        Severity,
        at_least,
        count_by_host,
        fleet_drift,
        sort_findings,
    )

    try:
        source, repo = _open(args, read_only=True, host=args.host)
        try:
            fleet = read_fleet(_need_repo(repo))
            if args.host and fleet.host(args.host) is None:
                raise RefusedError(
                    f"unknown host {args.host!r}; the config repo has: "
                    f"{', '.join(h.name for h in fleet.hosts)}"
                )
            snapshot = source.poll()
        finally:
            source.close()
    except TropError as err:
        print(f"tropconsole: {err.message}", file=sys.stderr)
        return EXIT_FAILED
    hosts = [args.host] if args.host else None
    shown = sort_findings(at_least(fleet_drift(fleet, snapshot, hosts), Severity(args.level)))
    if args.json:
        import json

        counts = count_by_host(shown, hosts or [h.name for h in fleet.hosts])
        print(
            json.dumps(
                {
                    "clean": not shown,
                    "level": args.level,
                    "repo": str(repo),
                    "head": fleet.head,
                    "counts": {
                        h: {"error": c.error, "warning": c.warning, "info": c.info}
                        for h, c in counts.items()
                    },
                    "findings": [f.to_dict() for f in shown],
                },
                indent=2,
            )
        )
    else:
        for finding in shown:
            print(finding.line())
    if any(f.kind is not Kind.HOST_UNREACHABLE for f in shown):
        return EXIT_DRIFT
    return EXIT_FAILED if shown else EXIT_CLEAN


def _read_only(args: argparse.Namespace) -> bool:
    if getattr(args, "read_only", False) or getattr(args, "demo", False):
        return bool(getattr(args, "read_only", False))
    from tropconsole.remote.inventory import inventory_from_args

    return inventory_from_args(args).read_only


def _host_snapshot(snapshot: FleetSnapshot, host: str) -> HostSnapshot:
    status = snapshot.host(host)
    if status is None or status.snapshot is None:
        why = status.error if status is not None and status.error else "no answer"
        raise RemoteError(host, f"cannot read live state: {why}")
    return status.snapshot


def _applier(source: FleetSource) -> LiveApplier | None:
    """The poller's connections with explicit sides (ScopedLibvirtApplier), else the
    source's own applier (the demo's)."""
    session = getattr(source, "session", None)
    if session is not None and not source.read_only:
        from tropconsole.remote.scoped import ScopedLibvirtApplier

        return ScopedLibvirtApplier(session, read_only=False)
    return source.applier()


def cmd_sync(args: argparse.Namespace) -> int:
    from tropconsole.cli.config_cmds import read_fleet
    from tropconsole.core.drift import network_drift
    from tropconsole.core.sync import SyncOutcome, resolve_sync, run_sync

    read_only = _read_only(args)
    if read_only and not args.dry_run:
        raise ReadOnlyError(f"sync of {args.host}/{args.network}")
    source, repo = _open(args, read_only=read_only or args.dry_run, host=args.host)
    try:
        fleet = read_fleet(_need_repo(repo))
        git_net, live_net = resolve_sync(fleet, source.poll(), args.host, args.network)
        host = fleet.host(args.host)
        assert host is not None
        verb = "would" if args.dry_run else "will"
        print(f"sync {args.host}/{args.network}: git {fleet.head or '(no commit)'}")

        def show(outcome: SyncOutcome) -> None:
            print(f"  {outcome.line()}", flush=True)

        outcomes = run_sync(
            _applier(source),
            args.host,
            git_net,
            live_net,
            read_only=read_only,
            dry_run=args.dry_run,
            on_step=show,
        )
        if not outcomes:
            print(f"  reservations already match git; nothing {verb} change")
            return 0
        if not all(o.ok for o in outcomes):
            print(
                f"sync {args.host}/{args.network}: FAILED (steps above); git is unchanged",
                file=sys.stderr,
            )
            return EXIT_FAILED
        if args.dry_run:
            return 0
        left = [
            f
            for f in network_drift(host, _host_snapshot(source.poll(), args.host))
            if f.network == args.network and f.aspect == "reservation"
        ]
        for finding in left:
            print(f"  still differs: {finding.line()}", file=sys.stderr)
        if left:
            return EXIT_FAILED
        print(f"sync {args.host}/{args.network}: done; running and persistent match git")
        return 0
    finally:
        source.close()


def cmd_leases(args: argparse.Namespace) -> int:
    from tropconsole.cli.config_cmds import read_fleet
    from tropconsole.core.export import leases_csv, leases_json

    source, repo = _open(args, read_only=True, host=args.host)
    try:
        fleet = read_fleet(repo) if repo is not None else None
        snapshot = source.poll()
    finally:
        source.close()
    down = [h for h in snapshot.hosts if h.snapshot is None]
    for status in down:
        print(
            f"tropconsole: {status.host}: no leases ({status.error or 'no answer'})",
            file=sys.stderr,
        )
    leases = [x for x in snapshot.leases if not args.host or x.host == args.host]
    text = (leases_json if args.format == "json" else leases_csv)(leases, fleet)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_FAILED if down else 0
