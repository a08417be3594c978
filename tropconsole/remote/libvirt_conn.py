"""One libvirt connection per host, reused, counted, and read into live models.

The URI (and with it the host identity libvirt's ssh uses) comes from
``tropconsole.remote.libvirt_uri``; this module only opens, keeps and reads connections.

**Event loop.** Keepalive (``setKeepAlive``) only works when a libvirt event loop runs, so
the default implementation is registered once per process and run in a daemon thread; a
dead host then fails its next call within seconds instead of blocking for TCP's timeout.
"""

from __future__ import annotations

import contextlib
import ipaddress
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol, TypeVar

import libvirt

from tropconsole.core.errors import ConfigError, RemoteError
from tropconsole.core.live import Domain, DomainNic, LiveNetwork
from tropconsole.core.models import Lease, LibvirtNetwork
from tropconsole.core.netxml import XmlElement, parse_network_live, parse_xml

KEEPALIVE_INTERVAL = 5  # seconds between libvirt keepalive probes
KEEPALIVE_COUNT = 3  # unanswered probes before libvirt closes the connection
STATUS_DIR = "/var/lib/libvirt/dnsmasq"

T = TypeVar("T")

_loop_lock = threading.Lock()
_loop_started = False


def ensure_event_loop() -> None:
    """Register libvirt's default event loop and run it in a daemon thread (once).

    Also silences libvirt's default error handler, which prints every error to stderr:
    errors reach the operator as ``RemoteError`` values instead.
    """
    global _loop_started
    with _loop_lock:
        if _loop_started:
            return
        libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
        libvirt.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(target=run, name="libvirt-events", daemon=True).start()
        _loop_started = True


def error_code(err: libvirt.libvirtError) -> int:
    code = err.get_error_code()
    return int(code) if code is not None else -1


def error_text(err: libvirt.libvirtError) -> str:
    """libvirt's message on one line: ssh's multi-line banners (a changed host key) included."""
    text = str(err.get_error_message() or err)
    lines = [ln.strip() for ln in text.splitlines()]
    return " ".join(ln for ln in lines if ln and set(ln) != {"@"})


def _ip_key(lease: Lease) -> tuple[int, int | str]:
    """Leases in address order, so a table of them does not reshuffle between refreshes."""
    try:
        addr = ipaddress.ip_address(lease.ip)
    except ValueError:
        return (9, lease.ip)
    return (addr.version, int(addr))


def parse_live(text: str | None, host: str) -> LibvirtNetwork | None:
    """Parse a live XMLDesc with the core's safe reader; ``None`` keeps a bad one visible
    as raw XML instead of failing the whole host."""
    if not text:
        return None
    try:
        return parse_network_live(text, host)
    except ConfigError:
        return None


def parse_status_file(host: str, network: str, data: bytes, now: float) -> tuple[Lease, ...]:
    """dnsmasq's ``<bridge>.status`` (written by libvirt's leaseshelper), expired entries
    dropped. An ``expiry-time`` of 0 is an infinite lease."""
    import json

    try:
        entries = json.loads(data.decode("utf-8") or "[]")
    except (UnicodeDecodeError, ValueError) as err:
        raise RemoteError(host, f"unreadable dnsmasq status file for {network}: {err}") from None
    leases = []
    for e in entries if isinstance(entries, list) else []:
        expiry = int(e.get("expiry-time", 0) or 0)
        if (expiry and expiry < now) or not e.get("ip-address") or not e.get("mac-address"):
            continue
        leases.append(
            Lease(
                host=host,
                network=network,
                mac=str(e["mac-address"]).lower(),
                ip=str(e["ip-address"]),
                hostname=e.get("hostname") or None,
                client_id=e.get("client-id") or None,
                expiry=expiry or None,
                source="status-file",
            )
        )
    return tuple(leases)


def _int(text: str | None) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        return 0


_MEMORY_UNITS = {"b": 1 / 1024, "bytes": 1 / 1024, "k": 1.0, "kib": 1.0, "kb": 1000 / 1024}
_MEMORY_UNITS |= {"m": 1024.0, "mib": 1024.0, "mb": 1e6 / 1024, "g": 1024.0**2, "gib": 1024.0**2}
_MEMORY_UNITS |= {"gb": 1e9 / 1024}


def _kib(element: XmlElement | None) -> int:
    """A ``<memory unit='..'>`` value in KiB (libvirt writes KiB; other units converted)."""
    if element is None:
        return 0
    factor = _MEMORY_UNITS.get(element.attrs.get("unit", "KiB").lower(), 1.0)
    return int(_int(element.text) * factor)


def parse_domain(xml_text: str, domain: str, state: str) -> Domain:
    """A domain from its XMLDesc: vCPUs, memory, and each interface (MAC, source, model,
    tap). Parsed with the core's safe reader (no DTD, no entities)."""
    root = parse_xml(xml_text, f"domain {domain} XML")
    active = state != "shut off"
    devices = root.find("devices")
    nics = []
    for iface in devices.findall("interface") if devices is not None else []:
        mac = iface.find("mac")
        if mac is None or not mac.attrs.get("address"):
            continue
        kind = iface.attrs.get("type", "network")
        source = iface.find("source")
        src = source.attrs if source is not None else {}
        model = iface.find("model")
        target = iface.find("target")
        nics.append(
            DomainNic(
                domain=domain,
                mac=mac.attrs["address"].lower(),
                network=src.get("network") if kind == "network" else None,
                bridge=src.get("bridge"),
                active=active,
                model=model.attrs.get("type") if model is not None else None,
                kind=kind,
                target=target.attrs.get("dev") if target is not None and active else None,
            )
        )
    memory = root.find("currentMemory")
    memory = memory if memory is not None else root.find("memory")
    uuid = root.find("uuid")
    vcpu = root.find("vcpu")
    return Domain(
        name=domain,
        state=state,
        vcpus=_int(vcpu.text if vcpu is not None else None),
        memory_kib=_kib(memory),
        uuid=(uuid.text.strip() or None) if uuid is not None else None,
        nics=tuple(nics),
    )


def _direct(func: Callable[..., T], *args: Any) -> T:
    return func(*args)


class DomainReader:
    """A host's domains, read cheaply: one listAllDomains, one XMLDesc per domain, and one
    listing of paused domains when any runs (a domain's id comes with the listing: -1
    when it is shut off). An XML equal to the last read's is not parsed again. Errors
    (``libvirtError``, ``ConfigError``) are the caller's to map."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, Domain]] = {}  # name -> (XMLDesc, parsed)

    def read(
        self, conn: libvirt.virConnect, call: Callable[..., Any] = _direct
    ) -> tuple[Domain, ...]:
        listed = sorted(call(conn.listAllDomains, 0), key=lambda d: d.name())
        paused: set[str] = set()
        if any(d.ID() != -1 for d in listed):  # ID() is local: no round trip
            flag = libvirt.VIR_CONNECT_LIST_DOMAINS_PAUSED
            paused = {d.name() for d in call(conn.listAllDomains, flag)}
        cache: dict[str, tuple[str, Domain]] = {}
        domains = []
        for dom in listed:
            name = dom.name()
            state = "shut off" if dom.ID() == -1 else "running"
            state = "paused" if name in paused else state
            xml = str(call(dom.XMLDesc, 0))
            hit = self._cache.get(name)
            parsed = hit[1] if hit is not None and hit[0] == xml else parse_domain(xml, name, state)
            cache[name] = (xml, parsed)
            domains.append(parsed if parsed.state == state else replace(parsed, state=state))
        self._cache = cache
        return tuple(domains)


class Tunnel(Protocol):
    """A byte stream to the host's libvirtd that libvirt reaches by a local URI
    (``tropconsole.remote.tunnel.LibvirtTunnel``)."""

    @property
    def uri(self) -> str: ...

    @property
    def alive(self) -> bool: ...

    def opened(self) -> None: ...

    def remote_stderr(self, wait: float = 1.0) -> str: ...

    def close(self) -> None: ...


class LibvirtSession:
    """A libvirt connection to one host: opened on demand, reused, counted, timed.

    With ``tunnel`` (a factory), each connection is opened through a new ``Tunnel`` (libvirt
    over the host's existing SSH connection) and ``uri`` only names the host in messages.
    """

    def __init__(
        self,
        host: str,
        uri: str,
        *,
        read_only: bool,
        tunnel: Callable[[], Tunnel] | None = None,
    ) -> None:
        self.host = host
        self.uri = uri
        self.read_only = read_only
        self._tunnel_factory = tunnel
        self._tunnel: Tunnel | None = None
        self.handshakes = 0
        self.rpcs = 0
        self.fastest_ms: float | None = None  # cheapest call since reset_timing()
        self._conn: libvirt.virConnect | None = None
        self._lock = threading.RLock()
        self._domains = DomainReader()

    @property
    def connected(self) -> bool:
        conn = self._conn
        return conn is not None and bool(conn.isAlive())

    def connection(self) -> libvirt.virConnect:
        with self._lock:
            if self._conn is not None:
                try:
                    alive = bool(self._conn.isAlive())
                except libvirt.libvirtError:
                    alive = False
                if alive:
                    return self._conn
                self.close()
            ensure_event_loop()
            tunnel = self._tunnel_factory() if self._tunnel_factory is not None else None
            self.handshakes += 1
            try:
                opener = libvirt.openReadOnly if self.read_only else libvirt.open
                conn = opener(tunnel.uri if tunnel is not None else self.uri)
            except libvirt.libvirtError as err:
                why = error_text(err)
                if tunnel is not None:
                    said = tunnel.remote_stderr()
                    tunnel.close()
                    why = f"{why}; the host said: {said}" if said else why
                    raise RemoteError(
                        self.host, f"libvirt connect over the ssh connection failed: {why}"
                    ) from None
                raise RemoteError(self.host, f"libvirt connect failed: {why}") from None
            if tunnel is not None:
                tunnel.opened()
                self._tunnel = tunnel
            # drivers without keepalive (test:///) still work, only without it
            with contextlib.suppress(libvirt.libvirtError):
                conn.setKeepAlive(KEEPALIVE_INTERVAL, KEEPALIVE_COUNT)
            self._conn = conn
            return conn

    def call(self, func: Callable[..., T], *args: Any) -> T:
        """One RPC: counted and timed, libvirt errors passed through for the caller to map."""
        with self._lock:
            self.rpcs += 1
        start = time.perf_counter()
        result = func(*args)
        ms = (time.perf_counter() - start) * 1000
        if self.fastest_ms is None or ms < self.fastest_ms:
            self.fastest_ms = ms
        return result

    def reset_timing(self) -> None:
        self.fastest_ms = None

    def network(self, name: str) -> libvirt.virNetwork:
        conn = self.connection()
        try:
            return self.call(conn.networkLookupByName, name)
        except libvirt.libvirtError as err:
            raise RemoteError(self.host, f"network {name}: {error_text(err)}") from None

    def read_networks(
        self, read_file: Callable[[str], bytes] | None = None, now: float | None = None
    ) -> tuple[tuple[LiveNetwork, ...], tuple[Lease, ...]]:
        """Every network with both XMLs, and their leases (status-file fallback via SFTP)."""
        conn = self.connection()
        networks: list[LiveNetwork] = []
        leases: list[Lease] = []
        try:
            # one listing per state, not three calls per network: fewer round trips
            listed = {
                flag: {n.name() for n in self.call(conn.listAllNetworks, flag)}
                for flag in (
                    libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE,
                    libvirt.VIR_CONNECT_LIST_NETWORKS_PERSISTENT,
                    libvirt.VIR_CONNECT_LIST_NETWORKS_AUTOSTART,
                )
            }
            for net in sorted(self.call(conn.listAllNetworks, 0), key=lambda n: n.name()):
                name = net.name()
                active = name in listed[libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE]
                persistent = name in listed[libvirt.VIR_CONNECT_LIST_NETWORKS_PERSISTENT]
                autostart = (
                    persistent and name in listed[libvirt.VIR_CONNECT_LIST_NETWORKS_AUTOSTART]
                )
                running_xml = self.call(net.XMLDesc, 0)
                persistent_xml = self.inactive_xml(net, running_xml) if persistent else None
                running = parse_live(running_xml, self.host)
                persistent_def = running
                if persistent_xml != running_xml:
                    persistent_def = parse_live(persistent_xml, self.host)
                bridge = running.bridge if running else None
                networks.append(
                    LiveNetwork(
                        name=name,
                        active=active,
                        autostart=autostart,
                        persistent=persistent,
                        bridge=bridge,
                        running_xml=running_xml,
                        persistent_xml=persistent_xml,
                        running=running,
                        persistent_def=persistent_def,
                    )
                )
                if active:
                    leases.extend(self._leases(net, name, bridge, read_file, now))
        except libvirt.libvirtError as err:
            raise RemoteError(self.host, f"libvirt: {error_text(err)}") from None
        return tuple(networks), tuple(leases)

    def inactive_xml(self, net: libvirt.virNetwork, running_xml: str) -> str:
        """The persistent definition; drivers without the flag (test:///) have only one."""
        try:
            return str(self.call(net.XMLDesc, libvirt.VIR_NETWORK_XML_INACTIVE))
        except libvirt.libvirtError as err:
            if error_code(err) in (libvirt.VIR_ERR_INVALID_ARG, libvirt.VIR_ERR_NO_SUPPORT):
                return running_xml
            raise

    def _leases(
        self,
        net: libvirt.virNetwork,
        name: str,
        bridge: str | None,
        read_file: Callable[[str], bytes] | None,
        now: float | None,
    ) -> tuple[Lease, ...]:
        try:
            raw = self.call(net.DHCPLeases)
        except libvirt.libvirtError as err:
            if error_code(err) != libvirt.VIR_ERR_NO_SUPPORT:
                raise
            if read_file is None or not bridge:
                return ()  # no other source (the test:/// driver): no leases to show
            try:
                data = read_file(f"{STATUS_DIR}/{bridge}.status")
            except FileNotFoundError:
                return ()
            found = parse_status_file(self.host, name, data, time.time() if now is None else now)
            return tuple(sorted(found, key=_ip_key))
        leases = (
            Lease(
                host=self.host,
                network=name,
                mac=str(item.get("mac", "")).lower(),
                ip=str(item.get("ipaddr", "")),
                hostname=item.get("hostname") or None,
                client_id=item.get("clientid") or None,
                expiry=int(item["expirytime"]) if item.get("expirytime") else None,
                source="libvirt",
            )
            for item in raw or ()
        )
        return tuple(sorted(leases, key=_ip_key))

    def read_domains(self) -> tuple[Domain, ...]:
        """Every domain with its NICs (``DomainReader``: one listAllDomains and one XMLDesc
        per domain, unchanged XML not parsed again). A host without a hypervisor driver
        has no domains."""
        conn = self.connection()
        try:
            return self._domains.read(conn, self.call)
        except libvirt.libvirtError as err:
            if error_code(err) == libvirt.VIR_ERR_NO_SUPPORT:
                return ()
            raise RemoteError(self.host, f"libvirt: {error_text(err)}") from None
        except ConfigError as err:
            raise RemoteError(self.host, f"unreadable domain XML: {err}") from None

    def read_nics(self) -> tuple[DomainNic, ...]:
        """Every domain's interfaces (``read_domains``, flattened)."""
        return tuple(nic for dom in self.read_domains() for nic in dom.nics)

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            tunnel, self._tunnel = self._tunnel, None
            if conn is not None:
                with contextlib.suppress(libvirt.libvirtError):  # already dead, maybe
                    conn.close()
            if tunnel is not None:
                tunnel.close()
