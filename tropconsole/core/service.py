"""The one door for writes: plan, validate, commit to the config repo, then apply live.

Why one door: the console, the CLI and any script must reach the same checks in the
same order, so a reservation that reaches git has been validated against the whole
fleet and committed safely (``gitrepo``), and a live apply only ever follows a commit.
Git is the source of truth: when the live apply fails the commit stands, and the result
says so together with the command that retries the live half.

``plan_*`` only read; they return a frozen ``Plan`` with the exact diff, used by
``--dry-run`` and the console's preview. ``add``/``remove`` re-plan under the safety
checks and write. ``read_only=True`` refuses every write before anything is touched.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from tropconsole import __version__
from tropconsole.core.configrepo import load_fleet, network_path
from tropconsole.core.errors import Problem, ReadOnlyError, TropError, ValidationError
from tropconsole.core.gitrepo import GitRepo
from tropconsole.core.models import FleetConfig, Reservation, ReservationRequest
from tropconsole.core.netxml import parse_network
from tropconsole.core.ports import LiveApplier
from tropconsole.core.propose import resolve
from tropconsole.core.validate import normalise_ip, normalise_mac, validate_reservation
from tropconsole.core.xmledit import HostMatch, add_host, find_host, host_element, remove_host

_log = logging.getLogger(__name__)
_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


@dataclass(frozen=True, slots=True)
class Plan:
    """One intended change of one network file, complete enough to show and to commit."""

    action: Literal["add", "remove"]
    host: str
    network: str
    reservation: Reservation
    warnings: tuple[Problem, ...]
    path: Path  # the network file
    relpath: str  # the same, relative to the repo (as in the diff and the message)
    old_text: str
    new_text: str
    diff: str  # unified diff, a/ and b/ prefixed like git's
    head: str | None  # commit the fleet was read at
    reverts: str | None = None  # the commit this plan undoes (``revert``), full hash

    @property
    def subject(self) -> str:
        verb = "reserve" if self.action == "add" else "unreserve"
        res = self.reservation
        who = " ".join(p for p in (res.name or "(no name)", res.mac, res.ip) if p)
        undo = f" (revert {self.reverts[:7]})" if self.reverts else ""
        return f"{self.host}/{self.network}: {verb} {who}{undo}"

    @property
    def message(self) -> str:
        """The commit message: the subject, then every detail a reviewer of git log needs."""
        res = self.reservation
        body = [
            f"Host:    {self.host}",
            f"Network: {self.network}",
            f"Name:    {res.name or '-'}",
            f"MAC:     {res.mac or '-'}",
            f"IP:      {res.ip}",
            f"File:    {self.relpath}",
        ]
        body += [f"Warning: {w}" for w in self.warnings]
        if self.reverts:
            body.append(f"\nThis reverts commit {self.reverts}.")
        return f"{self.subject}\n\n" + "\n".join(body) + f"\n\nvia tropconsole {__version__}\n"


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write did: the commit always; the live apply and the push when asked."""

    plan: Plan
    commit: str
    live: str | None = None  # "applied (live+config)" or "FAILED: ..."; None: not asked
    live_ok: bool | None = None
    push_error: str | None = None  # None when not asked or pushed fine
    warnings: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        return self.commit[:7]


class ReservationService:
    """Reads and writes DHCP reservations of one config repo (see the module doc)."""

    def __init__(
        self,
        repo: Path,
        *,
        read_only: bool = False,
        applier: LiveApplier | None = None,
        author: str | None = None,
        pull: bool = False,
        push: bool = False,
        lock_wait: float | None = None,
        on_wait: Callable[[str], None] | None = None,
        verify: bool = True,
    ) -> None:
        self.repo = Path(repo)
        self.read_only = read_only
        self.applier = applier
        self.author = author
        self.pull = pull
        self.push = push
        # A second writer waits this long for the first (None: gitrepo.LOCK_WAIT_S);
        # ``on_wait`` hears one line when it starts waiting (the CLI prints it, else logged).
        self.lock_wait = lock_wait
        self.on_wait = on_wait or _log.warning
        self.verify = verify  # run the repo's pre-commit and commit-msg hooks (git's default)
        # Test seam: runs after the file is written, just before the branch is swapped,
        # so a test can commit "from another terminal" at the worst possible moment.
        self.before_commit: Callable[[], None] | None = None

    def load(self) -> FleetConfig:
        return load_fleet(self.repo)

    def plan_add(self, request: ReservationRequest) -> Plan:
        """Resolve ``auto`` MAC/IP, validate against the whole fleet, and compute the edit."""
        fleet = self.load()
        mac, ip = resolve(fleet, request)
        problems = validate_reservation(
            fleet, request.host, request.network, name=request.name, mac=mac, ip=ip
        )
        if any(p.severity == "error" for p in problems):
            raise ValidationError(problems)
        reservation = Reservation(
            ip=normalise_ip(ip), mac=normalise_mac(mac) if mac else None, name=request.name
        )
        path, old = self._read(request.host, request.network)
        new = add_host(old, str(path), reservation)
        return self._plan(
            "add", request.host, request.network, reservation, problems, path, old, new, fleet.head
        )

    def plan_remove(
        self,
        host: str,
        network: str = "default",
        *,
        name: str | None = None,
        mac: str | None = None,
        ip: str | None = None,
    ) -> Plan:
        """Find the one reservation named by name/MAC/IP and compute the line's removal."""
        if name is None and mac is None and ip is None:
            raise ValidationError(
                (
                    Problem(
                        "reservation",
                        "say which reservation to remove: give a name, a MAC or an IP",
                    ),
                )
            )
        fleet = self.load()
        host_cfg = fleet.host(host)
        if host_cfg is None:
            known = ", ".join(h.name for h in fleet.hosts) or "none"
            raise ValidationError(
                (Problem("host", f"unknown host {host!r}; the config repo has: {known}"),)
            )
        if host_cfg.network(network) is None:
            known = ", ".join(n.name for n in host_cfg.networks) or "none"
            raise ValidationError(
                (Problem("network", f"{host} has no network {network!r}; it has: {known}"),)
            )
        match = HostMatch(
            name=name,
            mac=normalise_mac(mac) if mac is not None else None,
            ip=normalise_ip(ip) if ip is not None else None,
        )
        path, old = self._read(host, network)
        target = find_host(parse_network(old, str(path)), match, str(path))
        new = remove_host(old, str(path), target)
        return self._plan("remove", host, network, target, (), path, old, new, fleet.head)

    def add(self, request: ReservationRequest, *, apply: bool = False) -> WriteResult:
        """Commit the reservation, then (``apply``) add it live; a live failure keeps the
        commit and is reported in the result, never raised."""
        self._refuse_if_read_only("adding a reservation")
        return self._write(lambda: self.plan_add(request), apply)

    def remove(
        self,
        host: str,
        network: str = "default",
        *,
        name: str | None = None,
        mac: str | None = None,
        ip: str | None = None,
        apply: bool = False,
    ) -> WriteResult:
        """Commit the removal, then (``apply``) remove it live, as ``add`` does."""
        self._refuse_if_read_only("removing a reservation")
        return self._write(
            lambda: self.plan_remove(host, network, name=name, mac=mac, ip=ip), apply
        )

    def plan_revert(self, commit: str) -> Plan:
        """Undo the one entry ``commit`` added or removed: its opposite through
        ``plan_add``/``plan_remove``, so the same validation decides (``core.history``
        refuses any commit that did more)."""
        from tropconsole.core.history import revert_change

        found, change = revert_change(self.repo, commit)
        res = change.reservation
        if change.action == "removed":
            if res.mac is None:
                raise ValidationError(
                    (
                        Problem(
                            "revert",
                            f"the entry {found.short} removed has no MAC ({change.describe()}); "
                            "re-add it by hand with reserve",
                        ),
                    )
                )
            request = ReservationRequest(
                host=change.host, network=change.network, name=res.name, mac=res.mac, ip=res.ip
            )
            try:
                plan = self.plan_add(request)
            except ValidationError as err:
                undo = f"cannot re-add the entry {found.short} removed ({change.describe()})"
                raise ValidationError((Problem("revert", undo), *err.problems)) from err
            return replace(plan, reverts=found.commit)
        host_cfg = self.load().host(change.host)
        current = host_cfg.network(change.network) if host_cfg is not None else None
        if current is not None and not any(
            (r.mac or "").lower() == (res.mac or "") and (r.ip, r.name) == (res.ip, res.name)
            for r in current.reservations
        ):
            raise ValidationError(
                (
                    Problem(
                        "revert",
                        f"{change.where} no longer has the entry {found.short} added "
                        f"({change.describe()}): it was removed or changed since; "
                        "nothing to revert",
                    ),
                )
            )
        plan = self.plan_remove(change.host, change.network, name=res.name, mac=res.mac, ip=res.ip)
        return replace(plan, reverts=found.commit)

    def revert(self, commit: str, *, apply: bool = False) -> WriteResult:
        """Commit the undo of one reservation commit, then (``apply``) apply it live,
        as ``add`` and ``remove`` do."""
        self._refuse_if_read_only("reverting a reservation commit")
        return self._write(lambda: self.plan_revert(commit), apply)

    def _write(self, make_plan: Callable[[], Plan], apply: bool) -> WriteResult:
        git = GitRepo(self.repo)
        # Everything from the pull to the commit under the lock: a writer that waited
        # plans from what the first one committed, never from its half-done write.
        with git.write_lock(wait=self.lock_wait, on_wait=self.on_wait):
            if self.pull:
                git.pull_ff_only()
            head = git.head()  # read first: every later check compares against this commit
            author, committer = git.identity(self.author)
            plan = make_plan()
            rel = git.relpath(plan.path)
            git.ensure_clean(rel)
            done = git.commit_file(
                rel,
                plan.old_text,
                plan.new_text,
                plan.message,
                expected=head,
                author=author,
                committer=committer,
                before_swap=self.before_commit,
                verify=self.verify,
            )
        result = WriteResult(plan=plan, commit=done.commit, warnings=done.warnings)
        if self.push:
            result = replace(result, push_error=git.push())
        if apply:
            result = self._apply(result)
        return result

    def _apply(self, result: WriteResult) -> WriteResult:
        plan = result.plan
        retry = self.retry_hint(plan)
        if self.applier is None:
            return replace(
                result,
                live_ok=False,
                live=f"FAILED: no live connection to "
                f"{plan.host} (the commit stands; retry with: {retry})",
            )
        try:
            if plan.action == "add":
                what = self.applier.add_reservation(plan.host, plan.network, plan.reservation)
            else:
                what = self.applier.remove_reservation(plan.host, plan.network, plan.reservation)
        except Exception as err:  # the commit stands whatever the live side raised
            why = err.message if isinstance(err, TropError) else f"{type(err).__name__}: {err}"
            return replace(
                result,
                live_ok=False,
                live=f"FAILED: {why} (the commit stands; retry with: {retry})",
            )
        return replace(result, live_ok=True, live=f"applied ({what})")

    @staticmethod
    def retry_hint(plan: Plan) -> str:
        """The virsh command that redoes the live half by hand on the host."""
        op = "add-last" if plan.action == "add" else "delete"
        element = host_element(plan.reservation)
        return (
            f'virsh net-update {plan.network} {op} ip-dhcp-host "{element}" '
            f"--live --config  (on {plan.host})"
        )

    def _refuse_if_read_only(self, action: str) -> None:
        if self.read_only:
            raise ReadOnlyError(action)

    def _read(self, host: str, network: str) -> tuple[Path, str]:
        """The network file's exact text: bytes decoded, CRLF and all, never translated."""
        path = network_path(self.repo, host, network)
        try:
            return path, path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise TropError(f"{path}: cannot read: {err}") from err

    def _plan(
        self,
        action: Literal["add", "remove"],
        host: str,
        network: str,
        reservation: Reservation,
        warnings: tuple[Problem, ...],
        path: Path,
        old: str,
        new: str,
        head: str | None,
    ) -> Plan:
        rel = path.relative_to(self.repo).as_posix()
        return Plan(
            action=action,
            host=host,
            network=network,
            reservation=reservation,
            warnings=tuple(w for w in warnings if w.severity != "error"),
            path=path,
            relpath=rel,
            old_text=old,
            new_text=new,
            diff=unified_diff(old, new, rel),
            head=head,
        )


def unified_diff(old: str, new: str, rel: str) -> str:
    """A git-style unified diff (3 lines of context, ``\\ No newline at end of file``)."""
    out: list[str] = []
    for line in difflib.unified_diff(
        _LINES.findall(old), _LINES.findall(new), fromfile=f"a/{rel}", tofile=f"b/{rel}"
    ):
        if line.startswith(("---", "+++")):
            out.append(line.rstrip("\n") + "\n")
        elif line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
