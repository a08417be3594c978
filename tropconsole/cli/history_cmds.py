"""``history`` and ``revert``: who reserved what and when, and undoing one such commit.

``history`` reads the config repo's git log (``core.history``); ``revert`` goes through the
same door as ``reserve``/``unreserve`` (``ReservationService.revert``) with the same write
options, so validation, the lock, the compare-and-swap on HEAD, ``--apply`` and the
read-only refusal are the ones those commands have.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from tropconsole.cli.config_cmds import (
    add_write_options,
    print_table,
    repo_from_args,
    report_write,
    show_plan,
    write_service,
)
from tropconsole.core.errors import RefusedError

if TYPE_CHECKING:
    from tropconsole.core.history import HistoryCommit


def register(subparsers: Any) -> None:
    hist = subparsers.add_parser(
        "history",
        help="list the config repo's reservation commits, newest first",
        description="Every commit of the config repo that added or removed a <host> "
        "reservation in a libvirt network file: hash, author date, author, host/network and "
        "the entry (+ added, - removed; a changed entry is a removal and an addition). "
        "REVERT says whether 'tropconsole revert' can undo the commit: only a commit that "
        "added or removed exactly one entry and changed nothing else can be reverted.",
    )
    hist.add_argument("--host", metavar="H", help="only this hyper-visor's networks")
    hist.add_argument(
        "--limit", metavar="N", type=int, help="at most the N newest commits (default: all)"
    )
    hist.add_argument(
        "--json",
        action="store_true",
        help="machine-readable output: one object per commit, with its changes, "
        "'revertible' and the 'refusal' reason",
    )
    hist.set_defaults(func=run_history)

    rev = subparsers.add_parser(
        "revert",
        help="undo one reservation commit (commits to the config repo)",
        description="Undo the one <host> entry COMMIT added or removed, as a new commit of "
        "one line made like 'reserve'/'unreserve' do: validated against the whole fleet, "
        "under the repo's lock, only if the branch did not move meanwhile. Refused (exit 2) "
        "when COMMIT is a merge, changed other files, other lines or more than one entry, "
        "when the entry it added is gone, when the MAC/IP it removed is taken since, and in "
        "read-only mode. With --apply, also apply the undo live on the hyper-visor.",
    )
    rev.add_argument("commit", metavar="COMMIT", help="the commit to undo (hash, as in history)")
    add_write_options(rev)
    rev.set_defaults(func=run_revert)


def run_history(args: argparse.Namespace) -> int:
    from tropconsole.core.history import read_history

    if args.limit is not None and args.limit < 1:
        raise RefusedError(f"--limit {args.limit}: give a number of commits, 1 or more")
    repo = repo_from_args(args)
    commits = read_history(repo, host=args.host, limit=args.limit)
    if args.host and not commits:
        _refuse_unknown_host(repo, args.host)
    if args.json:
        import json

        json.dump([c.to_json() for c in commits], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not commits:
        print("no commit in the config repo added or removed a reservation")
        return 0
    rows: list[tuple[str, ...]] = [
        ("COMMIT", "DATE", "AUTHOR", "HOST/NETWORK", "", "NAME", "MAC", "IP", "REVERT")
    ]
    rows += [row for commit in commits for row in _rows(commit)]
    print_table(rows)
    return 0


def _rows(commit: HistoryCommit) -> list[tuple[str, ...]]:
    when = commit.date.strftime("%Y-%m-%d %H:%M %z")
    can = "yes" if commit.revertible else "no"
    out: list[tuple[str, ...]] = []
    for i, change in enumerate(commit.changes):
        res = change.reservation
        first = i == 0
        out.append(
            (
                commit.short if first else "",
                when if first else "",
                commit.author if first else "",
                change.where,
                "+" if change.action == "added" else "-",
                res.name or "-",
                res.mac or "-",
                res.ip,
                can if first else "",
            )
        )
    return out


def _refuse_unknown_host(repo: Any, host: str) -> None:
    from tropconsole.core.configrepo import load_fleet

    fleet = load_fleet(repo)
    if fleet.host(host) is None:
        known = ", ".join(h.name for h in fleet.hosts) or "none"
        raise RefusedError(f"unknown host {host!r}; the config repo has: {known}")


def run_revert(args: argparse.Namespace) -> int:
    service = write_service(args)
    if args.dry_run:
        return show_plan(service.plan_revert(args.commit))
    return report_write(service.revert(args.commit, apply=args.apply), args)
