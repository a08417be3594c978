"""Live apply of a DHCP reservation with ``virNetworkUpdate``: the live half of the write door.

The core's reservation service commits to git first and then calls an applier, so this
module never decides *whether* a change is right, only makes libvirt match it:

* flags are ``LIVE|CONFIG`` for an active persistent network (dnsmasq reloads its hosts
  file and the definition on disk changes, so the entry survives ``net-destroy`` +
  ``net-start``), ``CONFIG`` for an inactive one, ``LIVE`` for a transient one;
* the running and persistent definitions are checked first, so an entry already present
  in one of them is not added twice (libvirt would refuse), and a delete uses the entry as
  libvirt has it (libvirt matches a delete on every attribute given);
* ``parentIndex`` is the index of the IPv4 ``<ip>`` carrying ``<dhcp>``, not ``-1``, so a
  network with several ``<ip>`` elements is updated where the reservation belongs.

The historical quirk: from 0.10.2 libvirt passed ``section`` and ``command`` to drivers
swapped. Current libvirt (here 9.0, client and daemons) asks the driver for
``VIR_DRV_FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER`` inside ``virNetworkUpdate`` and swaps
back for old daemons itself, so callers use the documented order
``update(command, section, parentIndex, xml, flags)``. tests/remote/test_live_apply.py
checks on the lab that ADD_LAST really appends the entry. The same public entry point
refuses any update on a read-only connection ("operation forbidden"), which the
read-only test relies on as the second line of defence.
"""

from __future__ import annotations

import argparse
import atexit
import threading
from collections.abc import Callable
from xml.sax.saxutils import quoteattr

import libvirt

from tropconsole.core.errors import ReadOnlyError, RemoteError
from tropconsole.core.models import LibvirtNetwork, Reservation
from tropconsole.remote.inventory import Inventory, inventory_from_args
from tropconsole.remote.libvirt_conn import (
    LibvirtSession,
    error_code,
    error_text,
    parse_live,
)
from tropconsole.remote.ssh import SshSession
from tropconsole.remote.tunnel import libvirt_session

ADD = libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST
DELETE = libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE
SECTION = libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST
LIVE = libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE
CONFIG = libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG


def host_xml(r: Reservation) -> str:
    attrs = [
        f"{k}={quoteattr(v)}" for k, v in (("mac", r.mac), ("name", r.name), ("ip", r.ip)) if v
    ]
    return f"<host {' '.join(attrs)}/>"


def _find(defn: LibvirtNetwork | None, r: Reservation) -> Reservation | None:
    """The entry in ``defn`` for the same client: same MAC, or same IP when no MAC is given."""
    if defn is None:
        return None
    mac = r.mac.lower() if r.mac else None
    for h in defn.reservations:
        if (mac and h.mac and h.mac.lower() == mac) or (not mac and h.ip == r.ip):
            return h
    return None


def _same(a: Reservation | None, b: Reservation) -> bool:
    return (
        a is not None
        and (a.mac or "").lower() == (b.mac or "").lower()
        and a.ip == b.ip
        and (a.name or None) == (b.name or None)
    )


def _parent_index(defn: LibvirtNetwork | None) -> int:
    if defn is None:
        return -1
    for i, ip in enumerate(defn.ips):
        if ip.has_dhcp and ip.family == "ipv4":
            return i
    return -1


def _describe(flags: int, *, active: bool, persistent: bool) -> str:
    if flags == LIVE | CONFIG:
        return "live+config"
    if flags == CONFIG:
        return "config only (network inactive)" if not active else "config only (live already)"
    return "live only (transient network)" if not persistent else "live only (config already)"


class LibvirtApplier:
    """Implements ``core.ports.LiveApplier`` over one libvirt session per host."""

    def __init__(
        self,
        session_for: Callable[[str], LibvirtSession],
        *,
        read_only: bool,
        owned: list[LibvirtSession | SshSession] | None = None,
    ) -> None:
        self.read_only = read_only
        self._session_for = session_for
        self._owned = owned if owned is not None else []  # closed by close(), in order

    @classmethod
    def from_inventory(cls, inventory: Inventory, *, read_only: bool) -> LibvirtApplier:
        """An applier with its own connections, opened on first use (for one CLI run)."""
        sessions: dict[str, LibvirtSession] = {}
        owned: list[LibvirtSession | SshSession] = []
        lock = threading.Lock()

        def session_for(host: str) -> LibvirtSession:
            with lock:
                if host not in sessions:
                    ssh = SshSession(host, inventory, timeout=inventory.timeout)
                    sessions[host] = libvirt_session(
                        inventory, host, ssh, read_only=read_only, timeout=inventory.timeout
                    )
                    owned.extend((sessions[host], ssh))  # libvirt first: it may ride the ssh
                return sessions[host]

        return cls(session_for, read_only=read_only, owned=owned)

    def close(self) -> None:
        """Close the connections this applier opened itself (not a poller's)."""
        for session in self._owned:
            session.close()

    def add_reservation(self, host: str, network: str, reservation: Reservation) -> str:
        return self._update(host, network, reservation, add=True)

    def remove_reservation(self, host: str, network: str, reservation: Reservation) -> str:
        return self._update(host, network, reservation, add=False)

    def _update(self, host: str, network: str, r: Reservation, *, add: bool) -> str:
        action = "adding" if add else "removing"
        if self.read_only:
            raise ReadOnlyError(f"{action} a live DHCP reservation on {host}")
        session = self._session_for(host)
        net = session.network(network)
        try:
            active = bool(session.call(net.isActive))
            persistent = bool(session.call(net.isPersistent))
            running_xml = session.call(net.XMLDesc, 0)
            running = parse_live(running_xml, host) if active else None
            stored = (
                parse_live(session.inactive_xml(net, running_xml), host) if persistent else None
            )
        except libvirt.libvirtError as err:
            raise RemoteError(host, f"network {network}: {error_text(err)}") from None
        targets = [(LIVE, running)] if active else []
        if persistent:
            targets.append((CONFIG, stored))
        calls: dict[str, int] = {}  # entry XML -> sides it goes to (a delete may differ)
        for flag, defn in targets:
            found = _find(defn, r)
            if add and not _same(found, r):
                calls[host_xml(r)] = calls.get(host_xml(r), 0) | flag
            elif not add and found is not None:
                calls[host_xml(found)] = calls.get(host_xml(found), 0) | flag
        if not calls:
            return "already live" if add else "not live (nothing to remove)"
        parent = _parent_index(running or stored)
        done = 0
        for xml, flags in calls.items():
            try:
                session.call(net.update, ADD if add else DELETE, SECTION, parent, xml, flags)
            except libvirt.libvirtError as err:
                if error_code(err) == libvirt.VIR_ERR_OPERATION_DENIED:
                    raise RemoteError(
                        host,
                        f"libvirt refused {action} {xml} on {network}: {error_text(err)} "
                        "(the libvirt connection is read-only)",
                    ) from None
                raise RemoteError(
                    host, f"libvirt failed {action} {xml} on {network}: {error_text(err)}"
                ) from None
            done |= flags
        return _describe(done, active=active, persistent=persistent)


def applier_from_args(args: argparse.Namespace) -> LibvirtApplier:
    """The applier for ``reserve``/``unreserve --apply``: inventory from ``--config``,
    read-only from ``--read-only`` or the inventory. Connections close at exit."""
    inventory = inventory_from_args(args)
    applier = LibvirtApplier.from_inventory(inventory, read_only=inventory.read_only)
    atexit.register(applier.close)
    return applier
