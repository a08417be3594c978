"""The vocabulary of drift: what a finding is, how bad it is, and which fix it maps to.

Kept apart from the comparisons so that the CLI, the console's Drift view and the JSON
export share one shape: a frozen ``Finding`` with a stable ``key`` (for keyed tables), a
``severity`` (for counts and exit codes) and an ``action`` id (for the one key that opens
the matching fix). Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # something is broken or about to break for guests
    WARNING = "warning"  # git is not the truth on the host; a fix is known
    INFO = "info"  # worth knowing, no action needed today

    @property
    def rank(self) -> int:
        """Higher is worse, so ``max`` and thresholds read naturally."""
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Kind(StrEnum):
    """What kind of drift. Values are stable: they appear in ``drift --json`` output."""

    # libvirt networks, three-way: git vs persistent vs running
    NETWORK_MISSING = "network-missing"  # in git, not defined on the host
    NETWORK_NOT_IN_GIT = "network-not-in-git"  # defined on the host, not in git
    NETWORK_INACTIVE = "network-inactive"  # defined, not running
    NETWORK_TRANSIENT = "network-transient"  # running, no persistent definition
    NETWORK_UNREADABLE = "network-unreadable"  # libvirt's XML could not be read
    NOT_APPLIED = "not-applied"  # git differs from both persistent and running
    LIVE_ONLY = "live-only"  # running differs from persistent: a restart would lose it
    CONFIG_ONLY = "config-only"  # persistent differs from running: pending a restart
    # host bridges vs /etc/network/interfaces in git
    BRIDGE_MISSING = "bridge-missing"
    BRIDGE_PORT_MISSING = "bridge-port-missing"
    BRIDGE_PORT_EXTRA = "bridge-port-extra"
    BRIDGE_ADDRESS = "bridge-address"
    BRIDGE_UNEXPECTED = "bridge-unexpected"
    # leases, domains and reservations
    LEASE_WRONG_IP = "lease-wrong-ip"  # reserved MAC holding a lease on another IP
    LEASE_UNRESERVED = "lease-unreserved"
    RESERVATION_UNUSED = "reservation-unused"  # no domain on the host uses the MAC
    NIC_UNRESERVED = "nic-unreserved"  # a domain NIC on a DHCP network without reservation
    SCHEME_VIOLATION = "scheme-violation"  # MAC prefix or subnet of another host
    # the host's own checkout of the config repo vs the console's
    CHECKOUT_DRIFT = "checkout-drift"  # behind / ahead / diverged / dirty / unknown commit
    CHECKOUT_UNREADABLE = "checkout-unreadable"  # no checkout, no git, no commit
    # whole hosts
    HOST_UNREACHABLE = "host-unreachable"
    HOST_STALE = "host-stale"
    HOST_NOT_IN_GIT = "host-not-in-git"


class Action(StrEnum):
    """The fix a finding maps to. The CLI prints ``fix``; the console binds these ids."""

    SYNC_NETWORK = "sync-network"  # tropconsole sync --host H --network N
    RESERVE_LEASE = "reserve-lease"  # open the reservation form pre-filled with mac/ip
    EDIT_CONFIG = "edit-config"  # change the file in git (the finding names it)
    REDEFINE_NETWORK = "redefine-network"  # virsh net-define from git, then restart it
    RESTART_NETWORK = "restart-network"  # virsh net-destroy + net-start
    START_NETWORK = "start-network"  # virsh net-start (+ net-autostart)
    FIX_BRIDGE = "fix-bridge"  # ip link / ip addr on the host, or ifreload
    RENEW_LEASE = "renew-lease"  # the guest must renew (or wait for expiry)
    CHECK_HOST = "check-host"  # reach the host first
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference between what git says and what a host does, with its fix.

    ``subject`` is what an operator scans for (a network, a bridge, a MAC); ``where``
    says which side holds it ("only in git", "only running", "git≠live", ...);
    ``network``/``mac``/``ip`` are structured so that an action can be opened without
    parsing text.
    """

    host: str
    kind: Kind
    severity: Severity
    subject: str
    where: str
    detail: str
    fix: str
    action: Action = Action.NONE
    aspect: str = ""  # "reservation", "dhcp-range", "address", "forward", "bridge", "port", ...
    network: str | None = None
    mac: str | None = None
    ip: str | None = None

    @property
    def key(self) -> str:
        """Stable identity across refreshes, for keyed table rows and de-duplication."""
        return "|".join(
            (self.host, self.kind.value, self.aspect, self.network or "", self.subject, self.where)
        )

    def line(self) -> str:
        """One line for logs and cron mail: grep-able, host first."""
        return (
            f"{self.host} {self.severity.value} {self.kind.value} {self.subject} "
            f"[{self.where}]: {self.detail} -> {self.fix}"
        )

    def to_dict(self) -> dict[str, str | None]:
        return {
            "host": self.host,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "subject": self.subject,
            "where": self.where,
            "detail": self.detail,
            "fix": self.fix,
            "action": self.action.value,
            "aspect": self.aspect,
            "network": self.network,
            "mac": self.mac,
            "ip": self.ip,
        }


@dataclass(frozen=True, slots=True)
class DriftCounts:
    """Per-host counts for the host panel: one badge per severity."""

    error: int = 0
    warning: int = 0
    info: int = 0

    @property
    def total(self) -> int:
        return self.error + self.warning + self.info

    @property
    def worst(self) -> Severity | None:
        if self.error:
            return Severity.ERROR
        if self.warning:
            return Severity.WARNING
        return Severity.INFO if self.info else None


def count_by_host(
    findings: Iterable[Finding], hosts: Iterable[str] = ()
) -> Mapping[str, DriftCounts]:
    """Counts per host; every name in ``hosts`` appears, with zeros when it is clean."""
    tally: dict[str, dict[Severity, int]] = {h: {} for h in hosts}
    for f in findings:
        per = tally.setdefault(f.host, {})
        per[f.severity] = per.get(f.severity, 0) + 1
    return {
        host: DriftCounts(
            error=per.get(Severity.ERROR, 0),
            warning=per.get(Severity.WARNING, 0),
            info=per.get(Severity.INFO, 0),
        )
        for host, per in tally.items()
    }


def at_least(findings: Iterable[Finding], level: Severity) -> tuple[Finding, ...]:
    """The findings at ``level`` or worse: cron wants warnings, the console shows all."""
    return tuple(f for f in findings if f.severity.rank >= level.rank)


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Worst first, then by host and subject, so output is stable between runs."""
    return tuple(
        sorted(
            findings, key=lambda f: (-f.severity.rank, f.host, f.network or "", f.subject, f.kind)
        )
    )
