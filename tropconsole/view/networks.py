"""The Networks view: every host's libvirt networks, and the ones git has that a host lacks.

The Pool column counts each DHCP range (``core.alerts.pool_stats``, through the poll's
``AlertState``): reserved and leased addresses in the range, then free of the range, with
LOW or FULL when the range alerts. Built without an ``AlertState`` the column is blank.
"""

from __future__ import annotations

from tropconsole.core.live import FleetSnapshot
from tropconsole.core.models import FleetConfig
from tropconsole.view.alerts import AlertState, pool_cell, pool_detail
from tropconsole.view.common import (
    ERROR,
    OK,
    SORT_COLUMNS,
    WARN,
    RowTarget,
    View,
    ViewRows,
    dim,
    host_cell,
)
from tropconsole.view.tablediff import Cell


def network_rows(
    fleet: FleetSnapshot,
    config: FleetConfig | None,
    now: float,
    alerts: AlertState | None = None,
) -> ViewRows:
    out = ViewRows()
    pools = alerts.pools if alerts is not None else {}
    for status in fleet.hosts:
        snap = status.snapshot
        host_cfg = config.host(status.host) if config else None
        live_names = set()
        if snap is not None:
            for net in snap.networks:
                live_names.add(net.name)
                parsed = net.running
                dhcp = parsed.dhcp_ip if parsed else None
                subnet = parsed.ips[0].cidr if parsed and parsed.ips else ""
                ranges = " ".join(f"{r.start}-{r.end}" for r in dhcp.ranges) if dhcp else ""
                hosts = str(len(parsed.reservations)) if parsed else "?"
                forward = (parsed.forward_mode or "isolated") if parsed else "?"
                if config is None:
                    in_git: Cell = "unknown"
                elif host_cfg is not None and host_cfg.network(net.name) is not None:
                    in_git = ("yes", OK)
                else:
                    in_git = ("NOT IN GIT", WARN)
                pool = pools.get((status.host, net.name), (None, None))
                row = dim(
                    status,
                    (
                        host_cell(status, now),
                        net.name,
                        ("active", OK) if net.active else ("INACTIVE", WARN),
                        pool_cell(*pool),
                        "yes" if net.autostart else "no",
                        net.bridge or "",
                        forward,
                        subnet,
                        ranges,
                        hosts,
                        in_git,
                    ),
                )
                target = RowTarget(status.host, net.name, detail=pool_detail(*pool))
                out.add(f"{status.host}/{net.name}", row, target)
        if host_cfg is not None and snap is not None:
            for cfg_net in host_cfg.networks:
                if cfg_net.name in live_names:
                    continue
                dhcp = cfg_net.dhcp_ip
                row = dim(
                    status,
                    (
                        host_cell(status, now),
                        cfg_net.name,
                        ("NOT DEFINED", ERROR),
                        "",
                        "",
                        "",
                        cfg_net.forward_mode or "isolated",
                        cfg_net.ips[0].cidr if cfg_net.ips else "",
                        " ".join(f"{r.start}-{r.end}" for r in dhcp.ranges) if dhcp else "",
                        str(len(cfg_net.reservations)),
                        ("git only", WARN),
                    ),
                )
                out.add(f"{status.host}/{cfg_net.name}", row, RowTarget(status.host, cfg_net.name))
    return out.sorted(SORT_COLUMNS[View.NETWORKS])
