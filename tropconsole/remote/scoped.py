"""A libvirt applier that can also update one side of a network: what ``sync`` needs.

``LibvirtApplier`` decides the sides itself by matching MACs, which is right for one
reservation at a time. Sync knows exactly which side is wrong (drift compared both), and
matching by MAC would pick the wrong entry when running and persistent hold different
entries for the same MAC, so sync passes the sides (LIVE, CONFIG or both) explicitly.
"""

from __future__ import annotations

import libvirt

from tropconsole.core.errors import ReadOnlyError, RemoteError
from tropconsole.core.models import Reservation
from tropconsole.remote.apply import (
    ADD,
    CONFIG,
    DELETE,
    LIVE,
    SECTION,
    LibvirtApplier,
    host_xml,
)
from tropconsole.remote.libvirt_conn import error_code, error_text, parse_live


class ScopedLibvirtApplier(LibvirtApplier):
    """``LibvirtApplier`` plus ``update_reservation`` with explicit sides (``ScopedApplier``)."""

    def update_reservation(
        self, host: str, network: str, reservation: object, *, add: bool, live: bool, config: bool
    ) -> str:
        assert isinstance(reservation, Reservation)
        action = "adding" if add else "removing"
        if self.read_only:
            raise ReadOnlyError(f"{action} a live DHCP reservation on {host}")
        flags = (LIVE if live else 0) | (CONFIG if config else 0)
        if not flags:
            return "nothing to do"
        session = self._session_for(host)
        net = session.network(network)
        xml = host_xml(reservation)
        try:
            source = session.call(net.XMLDesc, 0 if live else libvirt.VIR_NETWORK_XML_INACTIVE)
            defn = parse_live(source, host)
            parent = -1
            for i, ip in enumerate(defn.ips if defn else ()):
                if ip.has_dhcp and ip.family == "ipv4":
                    parent = i
                    break
            session.call(net.update, ADD if add else DELETE, SECTION, parent, xml, flags)
        except libvirt.libvirtError as err:
            why = error_text(err)
            if error_code(err) == libvirt.VIR_ERR_OPERATION_DENIED:
                why += " (the libvirt connection is read-only)"
            raise RemoteError(host, f"libvirt failed {action} {xml} on {network}: {why}") from None
        return "+".join(s for s, on in (("live", live), ("config", config)) if on)
