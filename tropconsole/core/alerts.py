"""Alerts: what an operator should hear about before a guest fails to get an address.

Four conditions, each defined here once so the console, ``tropconsole status`` and the
metrics exporter agree:

* **pool-full / pool-nearly-full** (per DHCP network of a reachable host): the range's
  addresses are counted from the definition dnsmasq runs (libvirt's running XML, else the
  persistent one). An address is *free* when it is inside a DHCP range, no reservation
  names it and no lease holds it. The pool is *full* when nothing is free (error) and
  *nearly full* when ``used = range - free`` reaches ``pool_warn_percent`` of the range
  (warning). A guest with a reservation still gets its address from a full pool; an
  unreserved one does not.
* **lease-foreign-mac**: a lease whose MAC lies outside the leasing host's MAC prefix
  (``core.scheme``), naming the host whose prefix it is when there is one. Drift judges
  only git's reservations against the scheme; this judges what is live.
* **host-unreachable**: the host has not answered for ``unreachable_refreshes`` refreshes
  in a row (any state but OK counts: stale, down, still connecting).
* **lease-expiring**: a lease that expires within ``lease_expiry_minutes`` of the refresh
  and whose expiry did not move since the previous refresh that saw it (or that is seen
  for the first time that close to its end). DHCP clients renew at half the lease time,
  so a lease this close to its end has missed its renewals; a lease without expiry never
  alerts.

The last two need history, so they come from an ``AlertTracker`` fed one
``FleetSnapshot`` after another (one tracker per console, status run or exporter).
Every alert has a stable ``key`` (host, kind, network, subject): a consumer notifies once
per key it has not seen and drops keys that are gone. Nothing here does I/O.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from netaddr import AddrFormatError, IPAddress

from tropconsole.core.alertmemo import HostMemo
from tropconsole.core.configrepo import host_index
from tropconsole.core.errors import ValidationError
from tropconsole.core.findings import Severity
from tropconsole.core.live import FleetSnapshot, HostSnapshot, HostState, LiveNetwork
from tropconsole.core.models import FleetConfig, HostConfig, Lease, LibvirtNetwork
from tropconsole.core.scheme import HostScheme, norm_mac, scheme_for

DEFAULT_POOL_WARN_PERCENT = 90.0
DEFAULT_UNREACHABLE_REFRESHES = 3
DEFAULT_LEASE_EXPIRY_MINUTES = 10.0


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """Thresholds, from the inventory's ``[alerts]`` table (remote/inventory.py)."""

    pool_warn_percent: float = DEFAULT_POOL_WARN_PERCENT  # 0 < p <= 100
    unreachable_refreshes: int = DEFAULT_UNREACHABLE_REFRESHES  # >= 1
    lease_expiry_minutes: float = DEFAULT_LEASE_EXPIRY_MINUTES  # > 0


class AlertKind(StrEnum):
    """Values are stable: they appear in ``status --json`` and in metric labels."""

    POOL_FULL = "pool-full"
    POOL_NEARLY_FULL = "pool-nearly-full"
    LEASE_FOREIGN_MAC = "lease-foreign-mac"
    HOST_UNREACHABLE = "host-unreachable"
    LEASE_EXPIRING = "lease-expiring"


@dataclass(frozen=True, slots=True)
class Alert:
    host: str
    kind: AlertKind
    severity: Severity
    subject: str  # the network, MAC or host the alert is about
    detail: str  # one sentence an operator can act on
    network: str | None = None
    mac: str | None = None
    ip: str | None = None

    @property
    def key(self) -> str:
        """Stable while the condition lasts (no counts or times in it): notify once per key."""
        return "|".join((self.host, self.kind.value, self.network or "", self.subject))

    def line(self) -> str:
        return f"{self.host} {self.severity.value} {self.kind.value} {self.subject}: {self.detail}"

    def to_dict(self) -> dict[str, str | None]:
        return {
            "key": self.key,
            "host": self.host,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "subject": self.subject,
            "detail": self.detail,
            "network": self.network,
            "mac": self.mac,
            "ip": self.ip,
        }


@dataclass(frozen=True, slots=True)
class PoolStats:
    """One DHCP network's range on one host. ``free`` = in a range, not reserved, not
    leased; ``reserved_in_range``/``leased_in_range`` count distinct addresses inside the
    range; ``reservations``/``leases`` count every entry of the network."""

    host: str
    network: str
    size: int  # addresses in the DHCP range(s)
    reserved_in_range: int
    leased_in_range: int
    free: int
    reservations: int
    leases: int

    @property
    def used(self) -> int:
        return self.size - self.free

    @property
    def used_percent(self) -> float:
        return 100.0 * self.used / self.size if self.size else 0.0


def _ip(text: str | None) -> int | None:
    try:
        return int(IPAddress(text)) if text else None
    except (AddrFormatError, ValueError, TypeError):
        return None


def enforced_definition(live: LiveNetwork) -> LibvirtNetwork | None:
    """What dnsmasq serves: the running definition of an active network, else the
    persistent one (what it will serve when started)."""
    if live.active and live.running is not None:
        return live.running
    return live.persistent_def or live.running


def pool_stats(snap: HostSnapshot) -> tuple[PoolStats, ...]:
    """Every IPv4 DHCP network of one host's snapshot, in the host's order."""
    out: list[PoolStats] = []
    for live in snap.networks:
        net = enforced_definition(live)
        dhcp = net.dhcp_ip if net is not None else None
        if net is None or dhcp is None:
            continue
        spans = []
        for r in dhcp.ranges:
            lo, hi = _ip(r.start), _ip(r.end)
            if lo is not None and hi is not None and lo <= hi:
                spans.append((lo, hi))
        spans.sort()
        merged: list[tuple[int, int]] = []
        for lo, hi in spans:
            if merged and lo <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
            else:
                merged.append((lo, hi))

        def inside(ip: int | None, spans: list[tuple[int, int]] = merged) -> bool:
            return ip is not None and any(lo <= ip <= hi for lo, hi in spans)

        reservations = net.reservations
        leases = [lease for lease in snap.leases if lease.network == live.name]
        reserved = {ip for r in reservations if inside(ip := _ip(r.ip))}
        leased = {ip for lease in leases if inside(ip := _ip(lease.ip))}
        size = sum(hi - lo + 1 for lo, hi in merged)
        out.append(
            PoolStats(
                host=snap.host,
                network=live.name,
                size=size,
                reserved_in_range=len(reserved),
                leased_in_range=len(leased),
                free=size - len(reserved | leased),
                reservations=len(reservations),
                leases=len(leases),
            )
        )
    return tuple(out)


def fleet_pool_stats(snapshot: FleetSnapshot) -> tuple[PoolStats, ...]:
    """Pool stats of every host that answered the last refresh (state OK)."""
    return tuple(
        stats
        for h in snapshot.hosts
        if h.state is HostState.OK and h.snapshot is not None
        for stats in pool_stats(h.snapshot)
    )


def pool_alerts(stats: Iterable[PoolStats], policy: AlertPolicy) -> tuple[Alert, ...]:
    out: list[Alert] = []
    for s in stats:
        if s.size == 0:
            continue
        counts = (
            f"{s.free} of {s.size} range addresses free "
            f"({s.reserved_in_range} reserved, {s.leased_in_range} leased)"
        )
        if s.free == 0:
            kind, sev, what = AlertKind.POOL_FULL, Severity.ERROR, "DHCP range is full"
        elif s.used_percent >= policy.pool_warn_percent:
            kind, sev = AlertKind.POOL_NEARLY_FULL, Severity.WARNING
            what = f"DHCP range is {s.used_percent:.0f}% used"
        else:
            continue
        out.append(
            Alert(
                host=s.host,
                kind=kind,
                severity=sev,
                subject=s.network,
                detail=f"{what}: {counts}; an unreserved guest may get no address",
                network=s.network,
            )
        )
    return tuple(out)


def host_schemes(
    snapshot: FleetSnapshot, fleet: FleetConfig | None = None
) -> dict[str, HostScheme]:
    """The scheme of every host in the snapshot (and in git): from git's HostConfig when
    there is one, else from the host's name alone. Hosts without a scheme are left out."""
    configs: dict[str, HostConfig] = {h.name: h for h in fleet.hosts} if fleet else {}
    for h in snapshot.hosts:
        configs.setdefault(h.host, HostConfig(h.host, host_index(h.host), None))
    schemes: dict[str, HostScheme] = {}
    for name, cfg in configs.items():
        try:
            schemes[name] = scheme_for(cfg)
        except ValidationError:
            continue
    return schemes


def foreign_mac_alerts(snap: HostSnapshot, schemes: Mapping[str, HostScheme]) -> tuple[Alert, ...]:
    own = schemes.get(snap.host)
    if own is None:
        return ()
    out: list[Alert] = []
    owners: dict[str, str] = {}  # MAC prefix -> the first other host holding it
    for name, scheme in schemes.items():
        if name != snap.host:
            owners.setdefault(scheme.mac_prefix, name)
    for lease in snap.leases:
        mac = norm_mac(lease.mac) or lease.mac.lower()
        if own.owns_mac(mac):
            continue
        owner = owners.get(mac.rpartition(":")[0])  # one look-up, not one per host
        whose = f"; it is {owner}'s prefix (guest moved?)" if owner else ""
        out.append(
            Alert(
                host=snap.host,
                kind=AlertKind.LEASE_FOREIGN_MAC,
                severity=Severity.WARNING,
                subject=mac,
                detail=f"{mac} holds {lease.ip} on {lease.network} ({lease.hostname or 'no name'})"
                f" but is outside {snap.host}'s {own.mac_range}{whose}",
                network=lease.network,
                mac=mac,
                ip=lease.ip,
            )
        )
    return tuple(out)


def _lease_id(lease: Lease) -> tuple[str, str, str]:
    return (lease.network, (norm_mac(lease.mac) or lease.mac).lower(), lease.ip)


@dataclass
class _Seen:
    expiry: int | None


@dataclass
class AlertTracker:
    """State across refreshes: feed every ``FleetSnapshot`` in order to ``update``.

    Holds, per host, how many refreshes in a row it did not answer, and the expiry each
    lease had at the previous refresh. ``update`` returns every alert active now;
    ``new`` (after an update) holds the ones whose key was not active at the previous
    update, which is what a console notifies about; ``pools`` the pool stats of the hosts
    that answered. Not thread-safe: feed it from the one thread that polls.
    """

    policy: AlertPolicy = field(default_factory=AlertPolicy)
    fleet: FleetConfig | None = None  # git's view, for the schemes; None: from host names
    refreshes: int = field(default=0, init=False)
    down_for: dict[str, int] = field(default_factory=dict, init=False)
    _leases: dict[str, dict[tuple[str, str, str], _Seen]] = field(
        default_factory=dict, init=False, repr=False
    )
    _memo: dict[str, HostMemo] = field(default_factory=dict, init=False, repr=False)
    active: tuple[Alert, ...] = field(default=(), init=False)
    new: tuple[Alert, ...] = field(default=(), init=False)
    pools: tuple[PoolStats, ...] = field(default=(), init=False, repr=False)

    def update(self, snapshot: FleetSnapshot) -> tuple[Alert, ...]:
        self.refreshes += 1
        schemes = host_schemes(snapshot, self.fleet)
        alerts: list[Alert] = []
        pools: list[PoolStats] = []
        for h in snapshot.hosts:
            if h.state is not HostState.OK or h.snapshot is None:
                self.down_for[h.host] = self.down_for.get(h.host, 0) + 1
                count = self.down_for[h.host]
                if count >= self.policy.unreachable_refreshes:
                    alerts.append(_unreachable(h.host, count, h.error, h.age(snapshot.taken_at)))
                continue
            self.down_for[h.host] = 0
            snap, now = h.snapshot, snapshot.taken_at
            memo = self._memo.get(h.host)
            if memo is None or not memo.holds(snap, schemes):
                stats = pool_stats(snap)
                fixed = (*pool_alerts(stats, self.policy), *foreign_mac_alerts(snap, schemes))
                self._memo[h.host] = memo = HostMemo(snap, schemes, stats, fixed)
                expiring = self._expiring(snap, now)
            else:  # equal leases and networks: only the expiring alerts can differ
                expiring = self._expiring_again(memo, snap, now)
            pools.extend(memo.stats)
            alerts.extend(memo.alerts)
            alerts.extend(expiring)
        alerts.sort(key=lambda a: (-a.severity.rank, a.host, a.kind, a.network or "", a.subject))
        before = {a.key for a in self.active}
        self.active = tuple(alerts)
        self.new = tuple(a for a in alerts if a.key not in before)
        self.pools = tuple(pools)
        return self.active

    def _expiring(self, snap: HostSnapshot, now: float) -> list[Alert]:
        previous = self._leases.get(snap.host, {})
        current: dict[tuple[str, str, str], _Seen] = {}
        out: list[Alert] = []
        window = self.policy.lease_expiry_minutes * 60.0
        for lease in snap.leases:
            ident = _lease_id(lease)
            current[ident] = _Seen(lease.expiry)
            if lease.expiry is None or lease.expiry - now > window:
                continue
            seen = previous.get(ident)
            if seen is not None and seen.expiry != lease.expiry:
                continue  # renewed since the previous refresh (and already close again)
            out.append(_expiring_alert(snap.host, lease, lease.expiry, ident[1], now))
        self._leases[snap.host] = current
        return out

    def _expiring_again(self, memo: HostMemo, snap: HostSnapshot, now: float) -> list[Alert]:
        """``_expiring`` for leases equal to the last refresh's: their expiries did not
        move, so the ones within the window (found by bisection) alert. O(alerts)."""
        window = self.policy.lease_expiry_minutes * 60.0
        previous = self._leases.get(snap.host, {})
        out: list[Alert] = []
        for i in memo.by_expiry[: bisect_right(memo.expiries, now + window + 1.0)]:
            lease = snap.leases[i]
            if lease.expiry is None or lease.expiry - now > window:
                continue
            ident = _lease_id(lease)
            seen = previous.get(ident)
            if seen is not None and seen.expiry != lease.expiry:
                continue  # one of two leases with one identity (as ``_expiring`` says)
            out.append(_expiring_alert(snap.host, lease, lease.expiry, ident[1], now))
        return out


def _expiring_alert(host: str, lease: Lease, expiry: int, mac: str, now: float) -> Alert:
    left = expiry - now
    when = f"in {left / 60:.0f} min" if left > 0 else f"{-left / 60:.0f} min ago"
    return Alert(
        host=host,
        kind=AlertKind.LEASE_EXPIRING,
        severity=Severity.WARNING,
        subject=mac,
        detail=f"lease of {lease.ip} ({lease.hostname or 'no name'}) on "
        f"{lease.network} expires {when} and was not renewed; check the guest",
        network=lease.network,
        mac=mac,
        ip=lease.ip,
    )


def _unreachable(host: str, count: int, error: str | None, age: float | None) -> Alert:
    last = "never answered" if age is None else f"last answer {age:.0f}s ago"
    return Alert(
        host=host,
        kind=AlertKind.HOST_UNREACHABLE,
        severity=Severity.ERROR,
        subject=host,
        detail=f"no answer for {count} refreshes ({last}): {error or 'no snapshot'}; "
        f"check SSH and libvirt to {host}",
    )


def count_by_kind(alerts: Iterable[Alert]) -> dict[tuple[str, str, str], int]:
    """(host, kind, severity) -> number of alerts, for the metrics exporter."""
    out: dict[tuple[str, str, str], int] = {}
    for a in alerts:
        k = (a.host, a.kind.value, a.severity.value)
        out[k] = out.get(k, 0) + 1
    return out
