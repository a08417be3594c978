"""Three-way drift of one host's libvirt networks: git vs persistent vs running.

See ``drift`` for what each location means. Kept apart from ``drift`` (the facade with
sync planning and the fleet walk) so each stays a readable size.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass

from tropconsole.core.errors import ConfigError
from tropconsole.core.findings import Action, Finding, Kind, Severity
from tropconsole.core.live import HostSnapshot, LiveNetwork
from tropconsole.core.models import HostConfig, LibvirtNetwork, Reservation
from tropconsole.core.scheme import norm_mac


def norm_ip(ip: str) -> str:
    """Canonical text of an address (IPv6 spellings, stray spaces) so text never drifts."""
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return ip.strip()


ResKey = tuple[str | None, str, str | None]


def reservation_key(res: Reservation) -> ResKey:
    """(MAC, IP, name) as libvirt means them: MAC and name case do not matter."""
    return (norm_mac(res.mac), norm_ip(res.ip), res.name.casefold() if res.name else None)


def live_defs(
    host: str, live: LiveNetwork
) -> tuple[LibvirtNetwork | None, LibvirtNetwork | None, str | None]:
    """(persistent, running, problem): the parsed sides, parsing the XML if the collector
    did not. ``running`` is None for an inactive network (its XMLDesc(0) is the inactive
    definition); ``persistent`` is None for a transient one."""
    from tropconsole.core.netxml import parse_network_live

    problem: str | None = None

    def parsed(done: LibvirtNetwork | None, xml: str | None) -> LibvirtNetwork | None:
        nonlocal problem
        if done is not None or not xml:
            return done
        try:
            return parse_network_live(xml, host)
        except ConfigError as err:
            problem = err.message
            return None

    persistent = parsed(live.persistent_def, live.persistent_xml) if live.persistent else None
    running = parsed(live.running, live.running_xml) if live.active else None
    return persistent, running, problem


def network_drift(host: HostConfig, snap: HostSnapshot) -> tuple[Finding, ...]:
    """Every network of ``host`` in git against the host's libvirt, and the reverse."""
    out: list[Finding] = []
    for net in host.networks:
        live = snap.network(net.name)
        if live is None:
            out.append(
                _net_finding(
                    host.name,
                    net.name,
                    Kind.NETWORK_MISSING,
                    Severity.ERROR,
                    "only in git",
                    f"defined in git ({net.path or 'config repo'}) but not in libvirt",
                    f"virsh net-define {net.path or net.name + '.xml'} && virsh net-start "
                    f"{net.name} && virsh net-autostart {net.name}",
                    Action.REDEFINE_NETWORK,
                )
            )
            continue
        out.extend(_three_way(host.name, net, live))
    known = {n.name for n in host.networks}
    for live in snap.networks:
        if live.name not in known:
            out.append(
                _net_finding(
                    host.name,
                    live.name,
                    Kind.NETWORK_NOT_IN_GIT,
                    Severity.WARNING,
                    "only live",
                    "libvirt has this network but git does not",
                    f"commit it to git (virsh net-dumpxml --inactive {live.name} > "
                    f"{host.root or '<host dir>'}/etc/libvirt/qemu/networks/{live.name}.xml) "
                    f"or remove it (virsh net-destroy / net-undefine {live.name})",
                    Action.EDIT_CONFIG,
                )
            )
    return tuple(out)


def _net_finding(
    host: str,
    net: str,
    kind: Kind,
    sev: Severity,
    where: str,
    detail: str,
    fix: str,
    action: Action,
    aspect: str = "network",
) -> Finding:
    return Finding(
        host=host,
        kind=kind,
        severity=sev,
        subject=net,
        where=where,
        detail=detail,
        fix=fix,
        action=action,
        aspect=aspect,
        network=net,
    )


def _three_way(host: str, git: LibvirtNetwork, live: LiveNetwork) -> list[Finding]:
    out: list[Finding] = []
    persistent, running, problem = live_defs(host, live)
    if problem is not None:
        out.append(
            _net_finding(
                host,
                git.name,
                Kind.NETWORK_UNREADABLE,
                Severity.WARNING,
                "live",
                problem,
                "check libvirt on the host (virsh net-dumpxml)",
                Action.CHECK_HOST,
            )
        )
    if not live.persistent:
        out.append(
            _net_finding(
                host,
                git.name,
                Kind.NETWORK_TRANSIENT,
                Severity.WARNING,
                "only running",
                "the network is transient: libvirt has no persistent definition, "
                "so a restart of libvirtd or of the network loses it",
                f"virsh net-define {git.path or git.name + '.xml'}",
                Action.REDEFINE_NETWORK,
            )
        )
    if not live.active:
        out.append(
            _net_finding(
                host,
                git.name,
                Kind.NETWORK_INACTIVE,
                Severity.WARNING,
                "persistent, not running",
                "the network is defined but not running: guests on it get no DHCP",
                f"virsh net-start {git.name} && virsh net-autostart {git.name}",
                Action.START_NETWORK,
            )
        )
    if persistent is None and running is None:
        return out
    cmp = _Compare(host, git, persistent, running)
    cmp.scalar("forward", lambda n: n.forward_mode or "isolated (no <forward>)")
    if git.bridge:
        cmp.scalar("bridge", lambda n: n.bridge or "none")
    if git.mac:
        cmp.scalar("mac", lambda n: norm_mac(n.mac) or "none")
    cmp.items("address", _addresses, lambda k: f"<ip> {k[1]}/{k[2]}")
    cmp.items("dhcp-range", _ranges, lambda k: f"<range> {k[0]}-{k[1]}")
    cmp.reservations()
    out.extend(cmp.found)
    return out


def _addresses(net: LibvirtNetwork) -> dict[Hashable, object]:
    return {(ip.family, norm_ip(ip.address), ip.prefixlen): ip for ip in net.ips}


def _ranges(net: LibvirtNetwork) -> dict[Hashable, object]:
    return {(norm_ip(r.start), norm_ip(r.end)): r for ip in net.ips for r in ip.ranges}


def _where(g: bool, p: bool | None, r: bool | None) -> tuple[Kind, str] | None:
    """Classify one item by which sides hold it (None: that side does not exist).

    With both libvirt sides present and disagreeing, git agrees with one of them, so the
    other is the odd one out: running odd is a ``--live``-only change, persistent odd a
    ``--config``-only one."""
    if p is not None and r is not None and p != r:
        if g == p:
            return Kind.LIVE_ONLY, "only running" if r else "missing from running"
        return Kind.CONFIG_ONLY, "only persistent" if p else "missing from persistent"
    live = p if p is not None else r
    if live is None or live == g:
        return None
    return Kind.NOT_APPLIED, "only in git" if g else "live, not in git"


@dataclass
class _Compare:
    host: str
    git: LibvirtNetwork
    persistent: LibvirtNetwork | None
    running: LibvirtNetwork | None

    def __post_init__(self) -> None:
        self.found: list[Finding] = []

    def _add(
        self,
        kind: Kind,
        where: str,
        aspect: str,
        subject: str,
        detail: str,
        fix: str,
        action: Action,
        mac: str | None = None,
        ip: str | None = None,
    ) -> None:
        self.found.append(
            Finding(
                host=self.host,
                kind=kind,
                severity=Severity.WARNING,
                subject=subject,
                where=where,
                detail=detail,
                fix=fix,
                action=action,
                aspect=aspect,
                network=self.git.name,
                mac=mac,
                ip=ip,
            )
        )

    def scalar(self, aspect: str, value: Callable[[LibvirtNetwork], str]) -> None:
        g = value(self.git)
        p = value(self.persistent) if self.persistent else None
        r = value(self.running) if self.running else None
        name = self.git.name
        shown = f"git {g}, persistent {p or '-'}, running {r or '-'}"
        if p is not None and r is not None and p != r:
            redefine = g != p
            self._add(
                Kind.CONFIG_ONLY,
                "persistent≠running",
                aspect,
                name,
                f"{aspect}: {shown}; the persistent definition takes effect on the "
                f"next net-destroy/net-start",
                (f"virsh net-define {self.git.path or name + '.xml'}; then " if redefine else "")
                + f"virsh net-destroy {name} && virsh net-start {name} "
                "(guests on it lose connectivity briefly)",
                Action.REDEFINE_NETWORK if redefine else Action.RESTART_NETWORK,
            )
        elif (p if p is not None else r) not in (None, g):
            self._add(
                Kind.NOT_APPLIED,
                "git≠live",
                aspect,
                name,
                f"{aspect}: {shown}",
                f"virsh net-define {self.git.path or name + '.xml'} && virsh "
                f"net-destroy {name} && virsh net-start {name}",
                Action.REDEFINE_NETWORK,
            )

    def items(
        self,
        aspect: str,
        keys: Callable[[LibvirtNetwork], dict[Hashable, object]],
        label: Callable[[tuple[str, ...]], str],
    ) -> None:
        g, p, r = self._sides(keys)
        for key, kind, where in _differences(g, p, r):
            text = label(key)  # type: ignore[arg-type]
            self._add(
                kind,
                where,
                aspect,
                self.git.name,
                f"{text}: {where}",
                _item_fix(kind, aspect, self.git),
                Action.REDEFINE_NETWORK,
            )

    def reservations(self) -> None:
        def keys(net: LibvirtNetwork) -> dict[Hashable, object]:
            return {reservation_key(res): res for res in net.reservations}

        g, p, r = self._sides(keys)
        for key, kind, where in _differences(g, p, r):
            res = next(side[key] for side in (g, r, p) if side is not None and key in side)
            assert isinstance(res, Reservation)
            at = f" ({self.git.path}:{res.line})" if key in g and self.git.path else ""
            mac = norm_mac(res.mac)
            self._add(
                kind,
                where,
                "reservation",
                mac or res.ip,
                f"<host mac={mac or '-'} ip={res.ip} name={res.name or '-'}>{at}: {where}",
                _reservation_fix(kind, key in g, self.host, self.git.name),
                Action.SYNC_NETWORK,
                mac=mac,
                ip=res.ip,
            )

    def _sides(
        self, keys: Callable[[LibvirtNetwork], dict[Hashable, object]]
    ) -> tuple[
        dict[Hashable, object], dict[Hashable, object] | None, dict[Hashable, object] | None
    ]:
        return (
            keys(self.git),
            keys(self.persistent) if self.persistent else None,
            keys(self.running) if self.running else None,
        )


def _differences(
    g: dict[Hashable, object], p: dict[Hashable, object] | None, r: dict[Hashable, object] | None
) -> Iterator[tuple[Hashable, Kind, str]]:
    """Every key not on all three sides (git, persistent, running), with its kind and where
    it is; a side that is ``None`` was not read."""
    for key in _union(g, p, r):
        found = _where(key in g, None if p is None else key in p, None if r is None else key in r)
        if found is not None:
            yield (key, *found)


def _union(*sides: dict[Hashable, object] | None) -> list[Hashable]:
    seen: dict[Hashable, None] = {}
    for side in sides:
        for key in side or ():
            seen.setdefault(key)
    return list(seen)


def _item_fix(kind: Kind, aspect: str, git: LibvirtNetwork) -> str:
    name, path = git.name, git.path or git.name + ".xml"
    if kind is Kind.CONFIG_ONLY:
        return (
            f"takes effect on next net-destroy/net-start of {name}; to keep git's, "
            f"virsh net-define {path}"
        )
    if kind is Kind.LIVE_ONLY:
        return (
            f"a live-only change: a restart of {name} would undo it (virsh net-destroy "
            f"{name} && virsh net-start {name} restores git's)"
        )
    return (
        f"apply git: virsh net-define {path} && virsh net-destroy {name} && "
        f"virsh net-start {name}"
        + (" (or virsh net-update ... --live --config)" if aspect == "dhcp-range" else "")
    )


def _reservation_fix(kind: Kind, in_git: bool, host: str, net: str) -> str:
    sync = f"tropconsole sync --host {host} --network {net}"
    if kind is Kind.LIVE_ONLY:
        return (
            f"a --live-only removal: a restart would bring it back; {sync} re-adds it now"
            if in_git
            else f"a --live-only change: a restart would lose it; {sync} drops "
            "it now, or commit it to git and sync to keep it"
        )
    if kind is Kind.CONFIG_ONLY:
        return (
            f"a --config-only removal: takes effect on next net-destroy/net-start; "
            f"{sync} restores it"
            if in_git
            else "a --config-only change: takes effect "
            f"on next net-destroy/net-start; {sync} removes it"
        )
    return (
        f"commit not applied: {sync}"
        if in_git
        else f"commit it to git, or {sync} to remove it from libvirt"
    )
