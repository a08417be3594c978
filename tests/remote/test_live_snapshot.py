"""What the console shows about the real lab: leases, bridges, networks, and the cost."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from livekit import PATIENT, lab_inventory, settled

from tropconsole.cli import main
from tropconsole.core.configrepo import load_fleet
from tropconsole.core.live import FleetSnapshot, HostState
from tropconsole.remote.poller import FleetPoller


@pytest.fixture(scope="module")
def poller(lab: Any) -> Iterator[FleetPoller]:
    with FleetPoller(lab_inventory(lab), timeout=PATIENT) as p:
        yield p


@pytest.fixture(scope="module")
def snap(poller: FleetPoller) -> FleetSnapshot:
    return settled(poller)


def test_every_lab_host_answers(lab: Any, snap: FleetSnapshot) -> None:
    assert [h.host for h in snap.hosts] == [h.name for h in lab.hosts]
    for h in snap.hosts:
        assert h.state == HostState.OK, h.error
        assert h.snapshot is not None and h.snapshot.rtt_ms is not None
        assert 0 < h.snapshot.rtt_ms < 1000


def test_real_leases_appear_with_host_network_mac_ip_and_name(
    lab: Any, snap: FleetSnapshot
) -> None:
    fleet = load_fleet(lab.repo)
    for client in lab.clients:
        if client.reserved_ip is None:
            continue
        network = fleet.host(client.host).network("default")
        name = next(r.name for r in network.reservations if r.mac == client.mac)
        matches = [le for le in snap.leases if le.mac == client.mac]
        assert len(matches) == 1, f"{client.name}: {matches}"
        lease = matches[0]
        assert (lease.host, lease.network, lease.ip) == (client.host, "default", client.reserved_ip)
        assert lease.hostname is not None and lease.hostname.lower() == name.lower()
        assert lease.source == "libvirt" and lease.expiry is not None


BRIDGED_GUESTS = ("trop01", "trop02")


def test_bridges_and_ports_match_the_hosts(lab: Any, snap: FleetSnapshot) -> None:
    for host in lab.hosts:
        s = snap.host(host.name).snapshot
        bridges = {b.name: b for b in s.bridges}
        for name, cidr in host.bridges.items():
            assert cidr in [a.cidr for a in bridges[name].addresses]
        # the uplink, plus on trop01/trop02 the bridged lab guest's tap (lab/labvms.py)
        guest = ("vnet0",) if host.name in BRIDGED_GUESTS else ()
        assert bridges["br0"].ports == ("eth0", *guest)
        ports = {c.name.rsplit("-", 1)[1] for c in lab.clients_of(host)}
        assert ports <= set(bridges["virbr0"].ports)
        assert {link.name for link in s.links if link.master == "virbr0"} >= ports


def test_bridge_ports_from_ip_alone_are_the_ones_bridge_link_lists(
    lab: Any, snap: FleetSnapshot
) -> None:
    """The console no longer runs ``bridge -j link`` on every refresh (a second process per
    host): ``ip``'s master attribute must give exactly the ports bridge(8) shows."""
    for host in lab.hosts:
        listed: dict[str, set[str]] = {}
        out = lab.run_in(host, "LC_ALL=C bridge -j link show", check=True).stdout
        for port in json.loads(out or "[]"):
            listed.setdefault(port["master"], set()).add(port["ifname"])
        bridges = {b.name: set(b.ports) for b in snap.host(host.name).snapshot.bridges}
        assert listed and {name: bridges.get(name) for name in listed} == listed


def test_networks_carry_running_and_persistent_definitions(lab: Any, snap: FleetSnapshot) -> None:
    for host in lab.hosts:
        s = snap.host(host.name).snapshot
        default = s.network("default")
        assert default is not None
        assert (default.active, default.persistent, default.autostart) == (True, True, True)
        assert default.bridge == "virbr0"
        assert default.running is not None and default.persistent_def is not None
        assert default.running.dhcp_ip is not None
        live_macs = {r.mac for r in default.running.reservations}
        assert {c.mac for c in lab.clients_of(host) if c.reserved_ip} <= live_macs


def test_steady_state_opens_nothing_and_runs_one_exec_per_host(
    lab: Any, poller: FleetPoller
) -> None:
    poller.poll()
    before = {h.host: h.counters for h in poller.poll().hosts}
    polls = 3
    rpcs = set()
    for _ in range(polls):
        snap = poller.poll()
    for h in snap.hosts:
        assert h.state == HostState.OK
        was = before[h.host]
        assert h.counters.handshakes == was.handshakes, f"{h.host} reconnected"
        assert h.counters.execs == was.execs + polls, f"{h.host}: not one exec per refresh"
        rpcs.add(h.counters.rpcs - was.rpcs)
    assert all(r > 0 and r % polls == 0 for r in rpcs)


def test_status_command_prints_the_fleet(
    lab: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = lab.inventory.read_text()
    assert "\ntimeout = " in text
    inventory = tmp_path / "inventory.toml"  # the lab's, with a timeout for a busy machine
    inventory.write_text(re.sub(r"\ntimeout = [0-9.]+\n", f"\ntimeout = {PATIENT}\n", text))
    assert main(["--config", str(inventory), "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    hosts = {h["host"]: h for h in data["hosts"]}
    client = next(c for c in lab.clients if c.reserved_ip)
    row = hosts[client.host]
    assert row["state"] == "ok" and row["error"] is None and row["rtt_ms"] > 0
    assert {"mac": client.mac, "ip": client.reserved_ip} in [
        {"mac": le["mac"], "ip": le["ip"]} for le in row["leases"]
    ]
    assert {b["name"] for b in row["bridges"]} >= {"br0", "br1", "virbr0"}

    assert main(["--config", str(inventory), "status"]) == 0
    text = capsys.readouterr().out
    assert f"{client.host}  OK  rtt" in text
    assert f"{client.mac}  {client.reserved_ip}" in text
