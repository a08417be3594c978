"""The History view: the config repo's reservation commits, newest first.

Read with ``core.history`` in a worker (never on the event loop, never on every poll),
at most ``HISTORY_LIMIT`` commits: one streamed ``git log`` that stops early, so a repo of
10 000 commits costs what its newest 500 cost. One row per commit and host (a commit that
touched four hosts shows under each, so the host filter works); ``u`` undoes the commit.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tropconsole.core.history import EntryChange, HistoryCommit, read_history
from tropconsole.view.common import OK, STALE, CommitItem, RowTarget, ViewRows

HISTORY_LIMIT = 500
NO_COMMIT = "no commit under the cursor"


def when_text(commit: HistoryCommit) -> str:
    """The author date, in the author's own offset (as ``git log`` shows it)."""
    return commit.date.strftime("%Y-%m-%d %H:%M")


def revert_cell(commit: HistoryCommit) -> tuple[str, str]:
    """Whether ``u`` can undo it; why not in a few words (the detail line has the rest)."""
    if commit.revertible:
        return ("yes", OK)
    every = commit.changes + commit.hidden
    if commit.is_merge:
        why = "merge"
    elif commit.other_files:
        why = "other files"
    elif commit.other_lines:
        why = "other lines"
    elif len(every) > 1:
        why = f"{len(every)} entries"
    else:
        why = "nothing"
    return (f"no: {why}", STALE)


def change_text(changes: tuple[EntryChange, ...]) -> str:
    if len(changes) == 1:
        change = changes[0]
        res = change.reservation
        sign = "+" if change.action == "added" else "-"
        return " ".join(p for p in (sign, res.name or "(no name)", res.mac, res.ip) if p)
    added = sum(1 for c in changes if c.action == "added")
    return f"+{added} -{len(changes) - added} entries"


def history_rows(commits: list[HistoryCommit]) -> ViewRows:
    """Rows in the order given (newest first): never re-sorted."""
    out = ViewRows()
    for commit in commits:
        hosts: dict[str, list[EntryChange]] = {}
        for change in commit.changes:
            hosts.setdefault(change.host, []).append(change)
        revert = revert_cell(commit)
        for host, changes in hosts.items():
            networks = sorted({c.network for c in changes})
            row = (
                when_text(commit),
                commit.short,
                host,
                ", ".join(networks),
                revert,
                change_text(tuple(changes)),
                commit.author,
            )
            network = networks[0] if len(networks) == 1 else None
            target = RowTarget(host, network, CommitItem(commit, host))
            out.add(f"{commit.commit}|{host}", row, replace(target, detail=commit_detail(target)))
    return out


def read_history_rows(repo: Path, limit: int = HISTORY_LIMIT) -> tuple[ViewRows, str]:
    """The newest ``limit`` reservation commits of ``repo`` as rows, and the view's line
    saying how many (and that there are more, when there are)."""
    commits = read_history(repo, limit=limit + 1)
    more = len(commits) > limit
    commits = commits[:limit]
    if more:
        line = (
            f"the newest {limit} reservation commits, newest first "
            "(more in git: tropconsole history --limit N lists them)"
        )
    else:
        count = len(commits)
        line = f"{count} reservation commit{'' if count == 1 else 's'}, newest first"
    return history_rows(commits), line


def commit_detail(target: RowTarget | None) -> str:
    """The line under the table: the commit's subject, its entries, and whether ``u``
    undoes it (or the reason it is refused, in the core's words)."""
    item = target.item if target is not None else None
    if not isinstance(item, CommitItem):
        return NO_COMMIT
    commit = item.commit
    lines = [f"{commit.short} {when_text(commit)} {commit.author}: {commit.subject}"]
    entries = [f"{c.action} {c.where} {c.describe()}" for c in commit.changes]
    if commit.hidden:
        entries.append(f"and {len(commit.hidden)} on other hosts")
    lines.append("; ".join(entries[:6]) + ("; ..." if len(entries) > 6 else ""))
    refusal = commit.refusal
    lines.append("u undoes it as a new commit" if refusal is None else f"u refuses: {refusal}")
    return "\n".join(lines)
