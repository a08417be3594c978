"""Drift as the console shows it: the state of one poll, host badges, the fix words.

Plain data, no Textual, like ``common``. The findings come from ``core.drift``, computed in
the poll worker (``drift_rows.compute_drift``) so the event loop only ever looks them up.
Severity is said in words and in colour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tropconsole.core.findings import Action, DriftCounts, Finding, Severity
from tropconsole.view.common import ERROR, STALE, WARN

DRIFT_COLUMNS: tuple[str, ...] = ("Severity", "Host", "Network", "Kind", "Subject", "Where", "Fix")

# Rows sort like the other views (naturally, on these columns), and the severity cell
# sorts worst first by its first character (■ < ▲ < ○): errors lead, as in the CLI.
DRIFT_SORT_COLUMNS: tuple[int, ...] = (0, 1, 2, 4)

SEVERITY_CELLS: dict[Severity, tuple[str, str]] = {
    Severity.ERROR: ("■ ERROR", ERROR),
    Severity.WARNING: ("▲ WARNING", WARN),
    Severity.INFO: ("○ info", "cyan"),
}

# What the fix key does for each action, in the words of the Fix column; the other
# actions are done by hand, and the key shows how.
ACTION_WORDS: dict[Action, str] = {
    Action.SYNC_NETWORK: "sync git→live",
    Action.RESERVE_LEASE: "reserve lease",
}
SHOW_FIX = "show fix"
WRITE_FIXES = frozenset(ACTION_WORDS)  # refused in read-only mode


@dataclass(frozen=True, slots=True)
class DriftState:
    """The findings of one snapshot against one read of the config repo.

    ``findings`` is None when drift is unknown (no config repo, or it could not be read
    or computed): the view then says so instead of looking clean."""

    findings: tuple[Finding, ...] | None
    by_key: Mapping[str, Finding] = field(default_factory=dict)
    counts: Mapping[str, DriftCounts] = field(default_factory=dict)
    error: str | None = None

    def summary(self) -> str:
        if self.error is not None:
            return f"drift unknown: it could not be computed ({self.error})"
        if self.findings is None:
            return "drift unknown: the config repo has not been read (or cannot be)"
        if not self.findings:
            return "no drift: every host matches git"
        per = {s: sum(1 for f in self.findings if f.severity is s) for s in Severity}
        parts = [f"{n} {s.value}" for s, n in per.items() if n]
        return f"{len(self.findings)} findings: {', '.join(parts)}"


def drift_badge(state: DriftState | None, host: str) -> tuple[str, str]:
    """Text and style for a host card: the count in words, '!' when a fix is due."""
    if state is None or state.findings is None:
        return ("drift ?", STALE)
    counts = state.counts.get(host, DriftCounts())
    worst = counts.worst
    if worst is None:
        return ("no drift", "green")
    if worst is Severity.ERROR:
        return (f"drift {counts.total} ERR", ERROR)
    if worst is Severity.WARNING:
        return (f"drift {counts.total}!", WARN)
    return (f"drift {counts.total}", "cyan")


def fix_words(finding: Finding, *, read_only: bool = False) -> str:
    """'f: sync git→live'; in read-only mode a write fix says it will not be done."""
    words = ACTION_WORDS.get(finding.action, SHOW_FIX)
    if read_only:
        return f"read-only: {words}" if finding.action in WRITE_FIXES else "see the fix below"
    return f"f: {words}"
