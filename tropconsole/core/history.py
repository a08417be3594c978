"""The config repo's reservation history, read from git: who reserved what, when.

Why one streamed ``git log``: heliodines has years of commits. One ``git log -p
--unified=0`` limited to the network files is read line by line and parsed as it comes,
so the first rows arrive at once, a ``limit`` stops git early, and 10 000 commits cost
one process (see ``bench/history.py``), never one git call per commit.

Why ``--full-diff``: the log lists commits that touched a network file, but whether a
commit can be reverted depends on everything it changed (other files, other lines), so
each listed commit carries its whole diff. Only ``<host .../>`` lines become entries; any
other changed line or file is kept as a reason why ``revert`` refuses the commit.
A changed entry shows as a remove plus an add. Merges carry no diff here (git's default
for ``log -p``): the commits they bring in are listed themselves.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from tropconsole.core.configrepo import HOSTS_DIR, NETWORKS_REL
from tropconsole.core.errors import RefusedError, TropError
from tropconsole.core.gitident import git_env
from tropconsole.core.models import Reservation
from tropconsole.core.xmledit import tag_attributes

NETWORK_GLOB = f"{HOSTS_DIR}/*/{NETWORKS_REL}/*.xml"
_NETWORK_RE = re.compile(
    rf"^{re.escape(HOSTS_DIR)}/(?P<host>[^/]+)/{re.escape(NETWORKS_REL)}/(?P<net>[^/]+)\.xml$"
)
_HOST_RE = re.compile(
    r"""^\s*<host(?P<attrs>(?:\s+[A-Za-z_:][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*/>"""
)
_COMMENTS_RE = re.compile(r"^(?:\s*<!--(?:(?!-->).)*-->)*\s*$")
_SAFE_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SAFE_REV = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/~^@{}-]*$")
_MARK = "\x01"  # starts each commit header: no diff line can start with it
_FORMAT = f"{_MARK}%H%x00%P%x00%an%x00%ae%x00%aI%x00%s"


@dataclass(frozen=True, slots=True)
class EntryChange:
    """One ``<host>`` line a commit added or removed in one network file."""

    action: Literal["added", "removed"]
    host: str
    network: str
    reservation: Reservation  # MAC in lower case, as the models hold it; no line number
    path: str  # the network file, relative to the repo

    @property
    def where(self) -> str:
        return f"{self.host}/{self.network}"

    def describe(self) -> str:
        res = self.reservation
        parts = (
            f"name {res.name}" if res.name else None,
            f"mac {res.mac}" if res.mac else None,
            f"ip {res.ip}",
        )
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class HistoryCommit:
    """One commit as the History view and ``tropconsole history`` show it."""

    commit: str  # full hash
    parents: tuple[str, ...]
    author: str
    email: str
    date: datetime  # the author date, with the author's UTC offset
    subject: str
    changes: tuple[EntryChange, ...]  # in diff order: per file, removals before additions
    other_files: tuple[str, ...] = ()  # files changed outside the network files
    other_lines: tuple[str, ...] = ()  # network files with a changed line that is no <host>
    hidden: tuple[EntryChange, ...] = ()  # entries on other hosts than a ``host`` filter's

    @property
    def short(self) -> str:
        return self.commit[:7]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def refusal(self) -> str | None:
        """Why ``revert`` refuses this commit, or None when it undoes cleanly."""
        what = f"commit {self.short}"
        if self.is_merge:
            return f"{what} is a merge; revert the commits it brought in one at a time"
        if self.other_files:
            files = ", ".join(self.other_files[:3]) + (", ..." if len(self.other_files) > 3 else "")
            return f"{what} also changed other files ({files}); revert it by hand with git"
        if self.other_lines:
            return (
                f"{what} also changed lines that are not <host> entries in "
                f"{', '.join(self.other_lines)}; revert it by hand with git"
            )
        every = self.changes + self.hidden
        if not every:
            return f"{what} added or removed no reservation; nothing to revert"
        if len(every) > 1:
            listed = "; ".join(f"{c.action} {c.where} {c.describe()}" for c in every[:4])
            more = "; ..." if len(every) > 4 else ""
            return (
                f"{what} changed {len(every)} reservation entries ({listed}{more}); "
                "revert undoes a commit that added or removed exactly one"
            )
        return None

    def on_host(self, host: str) -> HistoryCommit:
        """The same commit showing only ``host``'s entries (the others stay in ``hidden``,
        so ``refusal`` still judges the whole commit)."""
        every = self.changes + self.hidden
        return replace(
            self,
            changes=tuple(c for c in every if c.host == host),
            hidden=tuple(c for c in every if c.host != host),
        )

    @property
    def revertible(self) -> bool:
        return self.refusal is None

    def to_json(self) -> dict[str, object]:
        return {
            "commit": self.commit,
            "short": self.short,
            "parents": list(self.parents),
            "author": self.author,
            "email": self.email,
            "date": self.date.isoformat(),
            "subject": self.subject,
            "revertible": self.revertible,
            "refusal": self.refusal,
            "hidden_changes": len(self.hidden),
            "changes": [
                {
                    "action": c.action,
                    "host": c.host,
                    "network": c.network,
                    "name": c.reservation.name,
                    "mac": c.reservation.mac,
                    "ip": c.reservation.ip,
                    "file": c.path,
                }
                for c in self.changes
            ],
        }


@dataclass(slots=True)
class _Building:
    commit: str
    parents: tuple[str, ...]
    author: str
    email: str
    date: datetime
    subject: str
    changes: list[EntryChange] = field(default_factory=list)
    other_files: list[str] = field(default_factory=list)
    other_lines: list[str] = field(default_factory=list)

    def done(self) -> HistoryCommit:
        return HistoryCommit(
            commit=self.commit,
            parents=self.parents,
            author=self.author,
            email=self.email,
            date=self.date,
            subject=self.subject,
            changes=tuple(self.changes),
            other_files=tuple(self.other_files),
            other_lines=tuple(self.other_lines),
        )


def parse_log(lines: Iterable[str]) -> Iterator[HistoryCommit]:
    """Commits from the output of ``git log --format=<_FORMAT> -p --unified=0 --no-renames``.

    Pure: fed any iterable of lines (with or without their endings), so a test can give
    it text and ``iter_history`` a pipe. Every commit is yielded, with or without entries.
    """
    current: _Building | None = None
    network: tuple[str, str, str] | None = None  # (path, host, net) of the file being read
    path = ""
    in_hunk = False
    for raw in lines:
        line = raw.rstrip("\n")
        if line.startswith(_MARK):
            if current is not None:
                yield current.done()
            current = _header(line[1:])
            network, in_hunk = None, False
            continue
        if current is None:
            continue
        if line.startswith("diff --git "):
            path = _diff_path(line)
            match = _NETWORK_RE.match(path)
            network = (path, match["host"], match["net"]) if match else None
            in_hunk = False
            if network is None:
                current.other_files.append(path)
            continue
        if network is None:
            continue
        if line.startswith("@@"):
            in_hunk = True
            continue
        if not in_hunk:
            if line.startswith(("Binary files", "old mode", "new mode")):
                _other_line(current, network[0])
            continue
        if line.startswith(("+", "-")):
            body = line[1:].rstrip("\r")
            res = _host_entry(body)
            if res is None:
                if body.strip():
                    _other_line(current, network[0])
                continue
            action: Literal["added", "removed"] = "added" if line[0] == "+" else "removed"
            current.changes.append(EntryChange(action, network[1], network[2], res, network[0]))
    if current is not None:
        yield current.done()


def iter_history(
    repo: Path, *, host: str | None = None, rev: str = "HEAD"
) -> Generator[HistoryCommit, None, None]:
    """Commits reachable from ``rev`` that added or removed a reservation, newest first.

    ``host`` narrows the pathspec to that hyper-visor's network files. The generator
    streams one ``git log``; closing it early (a limit, a closed view) stops git.
    """
    if host is not None and not _SAFE_HOST.match(host):
        raise RefusedError(f"--host {host!r}: not a host name")
    pattern = NETWORK_GLOB if host is None else f"{HOSTS_DIR}/{host}/{NETWORKS_REL}/*.xml"
    args = ["log", "--full-diff", f"--format={_FORMAT}"]
    args += [*_rev_args(rev), "--", f":(top,glob){pattern}"]
    stream = _stream(repo, args)
    try:
        for commit in stream:
            if host is not None:
                commit = commit.on_host(host)
            if commit.changes:
                yield commit
    finally:
        stream.close()


def read_history(
    repo: Path, *, host: str | None = None, limit: int | None = None, rev: str = "HEAD"
) -> list[HistoryCommit]:
    """``iter_history`` as a list, at most ``limit`` commits (newest first)."""
    out: list[HistoryCommit] = []
    if limit is not None and limit <= 0:
        return out
    gen = iter_history(repo, host=host, rev=rev)
    try:
        for commit in gen:
            out.append(commit)
            if limit is not None and len(out) >= limit:
                break
    finally:
        gen.close()
    return out


def read_commit(repo: Path, commit: str) -> HistoryCommit:
    """One commit with its whole diff (any files), as ``revert`` judges it.

    Refused (exit 2) when ``commit`` names no commit or one outside the history of HEAD:
    undoing a change the current branch never had would add a stray line.
    """
    if not _SAFE_REV.match(commit):
        raise RefusedError(f"{commit!r}: not a commit name")
    resolved = _git(repo, "rev-parse", "--verify", "-q", f"{commit}^{{commit}}")
    if resolved.returncode != 0:
        raise RefusedError(f"{repo}: no commit {commit!r} (git log shows the commits)")
    full = resolved.stdout.strip()
    if _git(repo, "merge-base", "--is-ancestor", full, "HEAD").returncode != 0:
        raise RefusedError(
            f"{repo}: commit {full[:7]} is not in the history of the current branch; "
            "nothing of it to undo here"
        )
    found = list(_stream(repo, ["log", "-1", f"--format={_FORMAT}", full, "--"]))
    if len(found) != 1:
        raise TropError(f"{repo}: git log did not show commit {full[:7]}")
    return found[0]


def revert_change(repo: Path, commit: str) -> tuple[HistoryCommit, EntryChange]:
    """The one entry ``commit`` added or removed, or a refusal (exit 2) saying why not."""
    found = read_commit(repo, commit)
    refusal = found.refusal
    if refusal is not None:
        raise RefusedError(f"cannot revert: {refusal}")
    return found, found.changes[0]


def _stream(repo: Path, args: list[str]) -> Generator[HistoryCommit, None, None]:
    env = git_env()
    cmd = ["git", "-C", str(repo), "-c", "core.quotePath=false", "-c", "log.showSignature=false"]
    cmd += [*args[:1], "-p", "--unified=0", "--no-renames", "--no-color", "--no-ext-diff"]
    cmd += ["--no-textconv", "--no-relative", "--src-prefix=a/", "--dst-prefix=b/", *args[1:]]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        encoding="utf-8",
        errors="replace",
    )
    assert proc.stdout is not None and proc.stderr is not None
    finished = False
    try:
        yield from parse_log(proc.stdout)
        finished = True
    finally:
        if not finished:
            proc.kill()
        proc.stdout.close()
        err = proc.stderr.read()
        proc.stderr.close()
        code = proc.wait()
    if finished and code != 0:
        why = err.strip().splitlines()
        raise TropError(f"{repo}: git log failed: {why[-1] if why else f'exit {code}'}")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=git_env(), check=False
    )


def _rev_args(rev: str) -> list[str]:
    if not _SAFE_REV.match(rev):
        raise RefusedError(f"{rev!r}: not a revision")
    return [rev]


def _header(text: str) -> _Building:
    commit, parents, author, email, date, subject = (text.split("\x00") + [""] * 6)[:6]
    return _Building(
        commit=commit,
        parents=tuple(parents.split()),
        author=author,
        email=email,
        date=datetime.fromisoformat(date),
        subject=subject,
    )


def _diff_path(line: str) -> str:
    """The path of ``diff --git a/P b/P`` (same P on both sides: renames are off)."""
    rest = line[len("diff --git ") :]
    if rest.startswith('"'):
        return _unquote(rest.split('" ', 1)[0][1:]).removeprefix("a/")
    half = (len(rest) - 1) // 2
    return rest[:half].removeprefix("a/")


def _unquote(text: str) -> str:
    """git's C-style quoting of unusual paths (``core.quotePath=false`` keeps UTF-8)."""
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


def _other_line(current: _Building, path: str) -> None:
    if path not in current.other_lines:
        current.other_lines.append(path)


def _host_entry(body: str) -> Reservation | None:
    """The reservation on a diff line that holds exactly one ``<host .../>`` (comments after
    it allowed), or None for any other line."""
    match = _HOST_RE.match(body)
    if match is None or not _COMMENTS_RE.match(body[match.end() :]):
        return None
    attrs = tag_attributes(match["attrs"])
    ip = attrs.get("ip")
    if not ip:
        return None
    mac = attrs.get("mac")
    return Reservation(ip=ip, mac=mac.lower() if mac else None, name=attrs.get("name"))
