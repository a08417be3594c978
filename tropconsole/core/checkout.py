"""Each host's own checkout of the config repo vs the console's: behind, ahead, dirty.

Every hyper-visor keeps a copy of heliodines (``/var/local/projects/heliodines/git``,
the inventory's ``checkout`` per host). The refresh reads its HEAD and whether it is
dirty (``remote.hostread``); here that HEAD is placed relative to the console's HEAD with
git in the console's repo, locally (``git rev-list --left-right --count``, no fetch). A
HEAD the console's repo does not have cannot be counted: that is said as it is.

Commits never change, so a count is cached per (repo, console HEAD, host HEAD): a refresh
that finds the same heads costs no git process at all. A HEAD the console's repo lacks
is asked about again next time (a fetch may bring it).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from tropconsole.core.findings import Action, Finding, Kind, Severity
from tropconsole.core.gitident import git_env
from tropconsole.core.live import CheckoutState
from tropconsole.core.models import FleetConfig


@dataclass(frozen=True, slots=True)
class Relation:
    """Where a host's HEAD stands against the console's."""

    ahead: int = 0  # commits the host has that the console's HEAD has not
    behind: int = 0  # commits the console's HEAD has that the host has not
    known: bool = True  # False: the console's repo has no such commit
    error: str | None = None  # git could not count (not a repo, git missing)

    def describe(self) -> str:
        if self.error is not None:
            return f"cannot be compared ({self.error})"
        if not self.known:
            return "at a commit the console's repo does not have"
        if self.ahead and self.behind:
            return f"diverged ({_n(self.ahead)} ahead, {_n(self.behind)} behind)"
        if self.behind:
            return f"{_n(self.behind)} behind"
        if self.ahead:
            return f"{_n(self.ahead)} ahead"
        return "current"


def _n(count: int) -> str:
    return f"{count} commit" if count == 1 else f"{count} commits"


def _git(repo: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", repo, *args],
        capture_output=True,
        text=True,
        env=git_env({"GIT_OPTIONAL_LOCKS": "0"}),
        stdin=subprocess.DEVNULL,
        check=False,
    )


_counted: dict[tuple[str, str, str], Relation] = {}  # (repo, console, host) -> counts
_CACHE_MAX = 512


def relation(repo: str, console_head: str, host_head: str) -> Relation:
    """Count ``host_head`` against ``console_head`` in ``repo``. Counts are cached (commits
    are immutable); "unknown commit" and errors are not, so a fetch is seen next time."""
    if console_head == host_head:
        return Relation()
    key = (repo, console_head, host_head)
    hit = _counted.get(key)
    if hit is not None:
        return hit
    try:
        probe = _git(repo, "cat-file", "-e", f"{host_head}^{{commit}}")
        if probe.returncode:
            return Relation(known=False)
        counted = _git(repo, "rev-list", "--left-right", "--count", f"{host_head}...{console_head}")
    except OSError as err:
        return Relation(error=f"git: {err.strerror or err}")
    words = counted.stdout.split()
    if counted.returncode or len(words) != 2:
        why = (counted.stderr.strip().splitlines() or ["git rev-list failed"])[0]
        return Relation(error=why)
    if len(_counted) >= _CACHE_MAX:
        _counted.clear()
    found = _counted[key] = Relation(ahead=int(words[0]), behind=int(words[1]))
    return found


def checkout_finding(fleet: FleetConfig, host: str, state: CheckoutState | None) -> Finding | None:
    """The drift finding for one host's checkout, or None when it matches (or was not
    read: the demo fleet reads none)."""
    if state is None:
        return None
    subject = f"checkout {state.path}"

    def finding(kind: Kind, severity: Severity, detail: str, fix: str) -> Finding:
        return Finding(
            host=host,
            kind=kind,
            severity=severity,
            subject=subject,
            where="host checkout",
            detail=detail,
            fix=fix,
            action=Action.NONE,
            aspect="checkout",
        )

    if state.head is None:
        return finding(
            Kind.CHECKOUT_UNREADABLE,
            Severity.INFO,
            f"{host}'s checkout at {state.path} cannot be read: {state.error or 'unknown'}",
            f"clone the config repo to {state.path} on {host}, or set 'checkout' for "
            f"{host} in the inventory",
        )
    if fleet.head is None:
        return None  # the console's own copy is no git repo: nothing to count against
    rel = relation(fleet.repo, fleet.head, state.head)
    if rel.error is None and rel.known and not rel.ahead and not rel.behind and not state.dirty:
        return None
    parts = [] if rel.known and not rel.ahead and not rel.behind else [rel.describe()]
    if state.dirty:
        parts.append("dirty")
    short = state.head[:12]
    detail = (
        f"{host}'s checkout is {' and '.join(parts)} (at {short}, console at {fleet.head[:12]})"
    )
    if rel.behind and not rel.ahead and not state.dirty:
        fix = f"on {host}: git -C {state.path} pull --ff-only"
    elif not rel.known:
        fix = f"fetch from {host}'s checkout ({state.path}) to see what it holds"
    else:
        fix = f"on {host}: look at git -C {state.path} status / log, then commit or reset it"
    return finding(Kind.CHECKOUT_DRIFT, Severity.WARNING, detail, fix)
