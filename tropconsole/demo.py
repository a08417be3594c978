"""The embedded demo fleet: trop01-trop04 on libvirt's built-in test driver, no server.

Each host gets its own ``test:///<node.xml>`` connection (the test driver keeps one
private, in-memory state per opened node file; ``test:///default`` is shared by the whole
process, so it cannot stand for four hosts). The node file holds the host's networks as
they stand in the demo's config repo, so the demo starts in step with git.

The test driver has no DHCP-lease API, so leases are made up here, deterministically and
marked ``source="demo"``: most reserved MACs hold their reserved IP, one holds another
address (drift to look at), and two unreserved guests per host hold leases above the
range (so "lease -> reservation" has something to do). Bridges br0/br1 come from each
host's interfaces file. Writes really go through ``virNetworkUpdate`` on the test driver,
so the next poll shows them; a read-only demo opens its connections read-only and the
test driver itself refuses the update.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from tropconsole.core.errors import ReadOnlyError, RemoteError, TropError
from tropconsole.core.live import (
    FleetSnapshot,
    HostSnapshot,
    HostState,
    HostStatus,
    LiveAddress,
    LiveLink,
    LiveNetwork,
)
from tropconsole.core.models import FleetConfig, HostConfig, Lease, Reservation
from tropconsole.demo_vms import domains_xml, neighbours

DEMO_DIR_ENV = "TROPCONSOLE_DEMO_DIR"
LEASE_SECONDS = 3600
_UUID = re.compile(r"^\s*<uuid\s*/>\s*\n", re.MULTILINE)


def demo_repo_dir() -> Path:
    """Where the demo's config repo lives: ``$TROPCONSOLE_DEMO_DIR`` or the user data dir.

    It persists between runs so that reservations made in the demo are still there (and
    in its git log) next time; delete the directory to start over.
    """
    env = os.environ.get(DEMO_DIR_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("tropconsole")) / "demo-repo"


def ensure_demo_repo(path: Path | None = None) -> Path:
    """The demo repo, created from the sample on first use."""
    repo = path or demo_repo_dir()
    if not repo.exists() or (repo.is_dir() and not any(repo.iterdir())):
        from tropconsole.core.sample import write_sample_repo

        write_sample_repo(repo)
    return repo


class DemoFleet:
    """A ``FleetSource`` over libvirt test-driver connections, one per host.

    ``failing`` names hosts whose polls fail after the first one (to show stale hosts);
    ``clock`` and ``fixed_rtt_ms`` make snapshots and lease expiries stable in tests.
    """

    def __init__(
        self,
        repo: Path,
        *,
        read_only: bool = False,
        clock: Callable[[], float] = time.time,
        failing: Iterable[str] = (),
        fixed_rtt_ms: float | None = None,
    ) -> None:
        import libvirt

        from tropconsole.core.configrepo import load_fleet
        from tropconsole.remote.libvirt_conn import DomainReader

        libvirt.registerErrorHandler(_quiet, None)  # errors are raised, never printed
        self._libvirt = libvirt
        self.read_only = read_only
        self.repo = Path(repo)
        self._clock = clock
        self._failing = frozenset(failing)
        self._fixed_rtt = fixed_rtt_ms
        # One lock around every use of the connections: close() waits for a running poll
        # or apply instead of freeing a connection under it (a crash in C, not an error).
        self._lock = threading.RLock()
        self._closed = False
        self._polls = 0
        self._last: dict[str, HostStatus] = {}
        config = load_fleet(self.repo)
        self._hosts = tuple(h.name for h in config.hosts)
        self._links = {h.name: _bridge_links(h) for h in config.hosts}
        self._neighbours = {h.name: neighbours(h) for h in config.hosts}
        self._domain_readers = {h.name: DomainReader() for h in config.hosts}
        self._conns: dict[str, Any] = {}
        opener = libvirt.openReadOnly if read_only else libvirt.open
        # The test driver reads its node file once, when the connection opens: the files
        # are removed straight away, so a demo killed before close() leaves nothing behind.
        workdir = Path(tempfile.mkdtemp(prefix="tropconsole-demo-"))
        try:
            for host in config.hosts:
                node = workdir / f"{host.name}.xml"
                node.write_text(_node_xml(host), encoding="utf-8")
                self._conns[host.name] = opener(f"test://{node}")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        self._unreserved = _unreserved_guests(config)

    @property
    def host_names(self) -> tuple[str, ...]:
        return self._hosts

    @contextlib.contextmanager
    def using(self) -> Iterator[None]:
        """Hold the connections for one poll or one apply; refused once closed."""
        with self._lock:
            if self._closed:
                raise TropError("the demo fleet is closed")
            yield

    def poll(self) -> FleetSnapshot:
        with self.using():
            self._polls += 1
            now = self._clock()
            statuses = tuple(self._poll_host(host, now, self._polls) for host in self._hosts)
            return FleetSnapshot(taken_at=now, hosts=statuses)

    def _poll_host(self, host: str, now: float, polls: int) -> HostStatus:
        last = self._last.get(host)
        if host in self._failing and polls > 1:
            error = f"{host}: ssh: connect timed out after 5.0s (demo: simulated failure)"
            status = HostStatus(
                host,
                HostState.STALE if last and last.snapshot else HostState.DOWN,
                snapshot=last.snapshot if last else None,
                error=error,
                last_ok=last.last_ok if last else None,
                last_attempt=now,
                read_only=self.read_only,
            )
            self._last[host] = status
            return status
        try:
            snapshot = self._snapshot(host, now)
        except self._libvirt.libvirtError as err:
            return HostStatus(
                host,
                HostState.STALE if last else HostState.DOWN,
                snapshot=last.snapshot if last else None,
                error=f"{host}: libvirt: {err.get_error_message()}",
                last_ok=last.last_ok if last else None,
                last_attempt=now,
                read_only=self.read_only,
            )
        status = HostStatus(
            host,
            HostState.OK,
            snapshot=snapshot,
            last_ok=now,
            last_attempt=now,
            read_only=self.read_only,
        )
        self._last[host] = status
        return status

    def _snapshot(self, host: str, now: float) -> HostSnapshot:
        from tropconsole.core.netxml import parse_network_live

        conn = self._conns[host]
        started = time.perf_counter()
        conn.getLibVersion()
        rtt_ms = (time.perf_counter() - started) * 1000.0
        if self._fixed_rtt is not None:
            rtt_ms = self._fixed_rtt
        networks: list[LiveNetwork] = []
        for net in sorted(conn.listAllNetworks(), key=lambda n: n.name()):
            xml = net.XMLDesc(0)
            parsed = parse_network_live(xml, host)
            networks.append(
                LiveNetwork(
                    name=net.name(),
                    active=bool(net.isActive()),
                    autostart=bool(net.autostart()),
                    persistent=bool(net.isPersistent()),
                    bridge=parsed.bridge,
                    # The test driver has no separate inactive XML: both are the same here.
                    running_xml=xml,
                    persistent_xml=xml if net.isPersistent() else None,
                    running=parsed,
                    persistent_def=parsed if net.isPersistent() else None,
                )
            )
        leases = _leases(host, networks, self._unreserved.get(host, ()), now)
        domains = self._domain_readers[host].read(conn)
        return HostSnapshot(
            host=host,
            taken_at=now,
            rtt_ms=round(rtt_ms, 2),
            links=self._links[host],
            networks=tuple(networks),
            leases=leases,
            # nics stays empty: drift's domain checks (reservation-unused, nic-unreserved)
            # keep the demo's drift what it was before it had domains (the UI tests count
            # it); the VMs view reads ``domains``.
            domains=domains,
            neighbours=self._neighbours[host],
            demo=True,
        )

    def applier(self) -> DemoApplier | None:
        """None when read-only, as the port says; DemoApplier itself refuses too."""
        return None if self.read_only else DemoApplier(self)

    def sync_applier(self) -> DemoApplier | None:
        """The demo's applier updates both sides itself: a sync uses it as it is."""
        return self.applier()

    def connection(self, host: str) -> Any:
        try:
            return self._conns[host]
        except KeyError:
            raise TropError(
                f"unknown demo host {host!r}; the demo has {', '.join(self._hosts)}"
            ) from None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._conns.values():
                with contextlib.suppress(self._libvirt.libvirtError):
                    conn.close()
            self._conns.clear()


class DemoApplier:
    """The live half of a write on the demo: ``virNetworkUpdate`` on the test driver."""

    def __init__(self, fleet: DemoFleet) -> None:
        self._fleet = fleet
        self.read_only = fleet.read_only

    def add_reservation(self, host: str, network: str, reservation: Reservation) -> str:
        return self._update(host, network, reservation, add=True)

    def remove_reservation(self, host: str, network: str, reservation: Reservation) -> str:
        return self._update(host, network, reservation, add=False)

    def _update(self, host: str, network: str, reservation: Reservation, *, add: bool) -> str:
        if self.read_only:
            raise ReadOnlyError("applying a reservation live")
        with self._fleet.using():
            return self._update_locked(host, network, reservation, add=add)

    def _update_locked(
        self, host: str, network: str, reservation: Reservation, *, add: bool
    ) -> str:
        from tropconsole.core.netxml import parse_network_live
        from tropconsole.core.scheme import parse_mac
        from tropconsole.core.xmledit import host_element

        libvirt = self._fleet._libvirt
        conn = self._fleet.connection(host)
        try:
            net = conn.networkLookupByName(network)
            entry = reservation
            if not add:
                live = parse_network_live(net.XMLDesc(0), host)
                mac = parse_mac(reservation.mac or "")
                found = [
                    r
                    for r in live.reservations
                    if (mac and parse_mac(r.mac or "") == mac)
                    or (not mac and r.ip == reservation.ip)
                ]
                if not found:
                    return "nothing to remove live (not in the running network)"
                entry = found[0]
            net.update(
                libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST
                if add
                else libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE,
                libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
                -1,
                host_element(Reservation(ip=entry.ip, mac=entry.mac, name=entry.name)),
                libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG,
            )
        except libvirt.libvirtError as err:
            raise RemoteError(host, f"network {network}: {err.get_error_message()}") from err
        return "live+config (demo test driver)"


def _quiet(_ctx: object, _err: object) -> None:
    return None


def _node_xml(host: HostConfig) -> str:
    """A test-driver node file with the host's networks as written in git."""
    parts = ["<node>\n"]
    for net in host.networks:
        if net.path:
            text = Path(net.path).read_text(encoding="utf-8")
            # An empty <uuid/> (as in heliodines) asks libvirt to generate one.
            parts.append(_UUID.sub("", text))
    parts.append(domains_xml(host))
    parts.append("</node>\n")
    return "".join(parts)


def _bridge_links(host: HostConfig) -> tuple[LiveLink, ...]:
    """br0/br1 as the interfaces file describes them, with demo MACs in Supermicro style."""
    links: list[LiveLink] = []
    index = host.index or 0
    for n, stanza in enumerate(host.interfaces.bridges if host.interfaces else ()):
        addresses: tuple[LiveAddress, ...] = ()
        if stanza.address:
            prefix = 24
            if stanza.netmask:
                prefix = sum(bin(int(o)).count("1") for o in stanza.netmask.split("."))
            addresses = (LiveAddress("inet", stanza.address, prefix),)
        mac = f"0c:c4:7a:35:{0x10 + index:02x}:{0x06 + n:02x}"
        ports = tuple(p for p in stanza.bridge_ports if p != "none")
        links.append(
            LiveLink(
                name=stanza.name,
                mac=mac,
                state="UP",
                kind="bridge",
                addresses=addresses,
                ports=ports,
            )
        )
        links.extend(
            LiveLink(name=p, mac=mac, state="UP", kind=None, master=stanza.name) for p in ports
        )
    return tuple(links)


def _unreserved_guests(config: FleetConfig) -> dict[str, tuple[tuple[str, str, str], ...]]:
    """Two guests per host with no reservation: (mac, ip, hostname), above the range."""
    guests: dict[str, tuple[tuple[str, str, str], ...]] = {}
    for host in config.hosts:
        index = host.index or 0
        if not 0 < index < 56:
            continue
        guests[host.name] = (
            (
                f"52:54:00:02:{int(str(index), 16):02x}:40",
                f"192.168.{200 + index}.64",
                f"scratch{index}a",
            ),
            (
                f"52:54:00:02:{int(str(index), 16):02x}:41",
                f"192.168.{200 + index}.65",
                f"scratch{index}b",
            ),
        )
    return guests


def _leases(
    host: str,
    networks: Iterable[LiveNetwork],
    unreserved: tuple[tuple[str, str, str], ...],
    now: float,
) -> tuple[Lease, ...]:
    """Leases as dnsmasq might hold them; expiries step once an hour so rows stay calm."""
    base = int(now // LEASE_SECONDS) * LEASE_SECONDS + LEASE_SECONDS
    guest_expiry = {mac: base + 600 + 60 * k for k, (mac, _ip, _name) in enumerate(unreserved)}
    leases: list[Lease] = []
    for net in networks:
        if net.running is None or net.running.dhcp_ip is None:
            continue
        reservations = net.running.reservations
        for n, res in enumerate(reservations):
            if n % 4 == 3 or not res.mac:
                continue  # some reserved guests are switched off
            ip = res.ip
            if n == 5:
                # One guest still holds an address from before its reservation moved.
                ip = ip.rsplit(".", 1)[0] + ".66"
            mac = res.mac.lower()
            leases.append(
                Lease(
                    host=host,
                    network=net.name,
                    mac=mac,
                    ip=ip,
                    hostname=res.name,
                    expiry=guest_expiry.get(mac, base + 60 * n),
                    source="demo",
                )
            )
        if net.name == "default":
            leases.extend(
                Lease(
                    host=host,
                    network=net.name,
                    mac=mac,
                    ip=ip,
                    hostname=name,
                    expiry=guest_expiry[mac],
                    source="demo",
                )
                for mac, ip, name in unreserved
                if not any((r.mac or "").lower() == mac for r in reservations)
            )
    return tuple(leases)
