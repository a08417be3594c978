"""Live apply on the real lab: ``reserve --apply`` reaches dnsmasq and the persistent
definition; read-only mode is refused by tropconsole and by libvirt itself.

Every test commits to a clone of the lab repo (the shared repo is never written) and puts
the lab back as it found it: the reservation removed live, the client on its old address.
"""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path
from typing import Any

import pytest
from livekit import PATIENT, lab_inventory, quiet_host, settled

from tropconsole.cli import main
from tropconsole.core.configrepo import load_fleet
from tropconsole.core.errors import ReadOnlyError, RemoteError
from tropconsole.core.live import HostState
from tropconsole.core.models import Reservation
from tropconsole.remote.apply import LibvirtApplier
from tropconsole.remote.poller import FleetPoller

AUTHOR = "tropconsole tests <tests@lab.invalid>"


def clone(lab: Any, tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(lab.repo), str(dest)], check=True)
    return dest


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def free_ip(repo: Path, host: str, avoid: str | None) -> str:
    """An address of the DHCP range that nobody reserved and the client does not hold."""
    net = load_fleet(repo).host(host).network("default")
    dhcp = net.dhcp_ip
    taken = {r.ip for r in net.reservations} | {avoid}
    lo, hi = (ipaddress.IPv4Address(x) for x in (dhcp.ranges[0].start, dhcp.ranges[0].end))
    return next(
        str(ipaddress.IPv4Address(i))
        for i in range(int(lo), int(hi) + 1)
        if str(ipaddress.IPv4Address(i)) not in taken
    )


def live_hosts(lab: Any, host: Any, *flags: str) -> list[str]:
    xml = lab.virsh(host, "net-dumpxml", *flags, "default").stdout
    return [line.strip() for line in xml.splitlines() if "<host " in line]


def test_reserve_apply_reaches_the_client_and_survives_a_network_restart(
    lab: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host = quiet_host(lab)
    client = next(c for c in lab.clients_of(host) if c.reserved_ip is None)
    repo = clone(lab, tmp_path)
    old_ip = lab.client_ip(client)
    ip = free_ip(repo, host.name, old_ip)
    common = ["--config", str(lab.inventory), "--repo", str(repo)]
    reserve = [*common, "reserve", "--host", host.name, "--name", "probe", "--mac", client.mac]
    reserve += ["--ip", ip, "--apply", "--author", AUTHOR]
    entry = f"<host mac='{client.mac}' name='probe' ip='{ip}'/>"
    applied = False
    try:
        assert main(reserve) == 0
        out = capsys.readouterr().out
        applied = True
        assert "git: committed" in out and "live: applied (live+config)" in out
        assert live_hosts(lab, host)[-1] == entry  # ADD_LAST appended: argument order right
        assert entry in live_hosts(lab, host, "--inactive")

        assert lab.client_renew(client) == ip  # dnsmasq NAKs the old address, offers ours
        with FleetPoller(lab_inventory(lab), timeout=PATIENT) as poller:
            lease = [le for le in settled(poller).leases if le.mac == client.mac]
        assert [(le.host, le.ip) for le in lease] == [(host.name, ip)]

        lab.virsh(host, "net-destroy", "default")
        lab.virsh(host, "net-start", "default")
        lab.attach_clients(host)
        assert entry in live_hosts(lab, host)  # came back from the persistent definition
    finally:
        if applied:
            unreserve = [*common, "unreserve", "--host", host.name, "--mac", client.mac]
            undone = main([*unreserve, "--apply", "--author", AUTHOR])
            out = capsys.readouterr().out
        lab.attach_clients(host)
        restored = lab.client_restart(client)
    assert undone == 0 and "live: applied (live+config)" in out
    assert restored == old_ip
    assert not any(client.mac in h for h in live_hosts(lab, host))
    assert not any(client.mac in h for h in live_hosts(lab, host, "--inactive"))
    assert (
        "probe"
        not in (repo / "src")
        .joinpath(f"cfg/tropo/{host.name}/etc/libvirt/qemu/networks/default.xml")
        .read_text()
    )


def test_read_only_cli_refuses_before_touching_git_or_libvirt(
    lab: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host = quiet_host(lab)
    client = next(c for c in lab.clients_of(host) if c.reserved_ip is None)
    repo = clone(lab, tmp_path)
    head, files = git(repo, "rev-parse", "HEAD"), git(repo, "ls-files", "-s")
    live = live_hosts(lab, host)
    argv = ["--config", str(lab.inventory), "--repo", str(repo), "--read-only", "reserve"]
    argv += ["--host", host.name, "--name", "probe", "--mac", client.mac, "--ip", "auto"]
    assert main([*argv, "--apply", "--author", AUTHOR]) == 2
    assert "read-only" in capsys.readouterr().err
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "ls-files", "-s") == files
    assert git(repo, "status", "--porcelain") == ""
    assert live_hosts(lab, host) == live


def test_read_only_libvirt_connection_refuses_the_update(lab: Any) -> None:
    host = quiet_host(lab)
    client = next(c for c in lab.clients_of(host) if c.reserved_ip is None)
    reservation = Reservation(ip="192.0.2.1", mac=client.mac, name="probe")
    live = live_hosts(lab, host)
    with FleetPoller(lab_inventory(lab), read_only=True, timeout=PATIENT) as poller:
        assert settled(poller).host(host.name).state == HostState.OK
        assert poller.applier() is None
        guarded = LibvirtApplier(poller.session, read_only=True)
        rpcs = poller.session(host.name).rpcs
        with pytest.raises(ReadOnlyError):
            guarded.add_reservation(host.name, "default", reservation)
        assert poller.session(host.name).rpcs == rpcs  # refused before any call
        # bypass tropconsole's own guard: the read-only connection must refuse too
        unguarded = LibvirtApplier(poller.session, read_only=False)
        with pytest.raises(RemoteError, match="operation forbidden") as info:
            unguarded.add_reservation(host.name, "default", reservation)
        assert info.value.host == host.name and "read-only" in info.value.message
    assert live_hosts(lab, host) == live


def test_reserve_apply_reports_a_live_failure_and_keeps_the_commit(
    lab: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    host = quiet_host(lab)
    client = next(c for c in lab.clients_of(host) if c.reserved_ip is None)
    repo = clone(lab, tmp_path)
    head = git(repo, "rev-parse", "HEAD").strip()
    live = live_hosts(lab, host)
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(  # the right host, but nothing listens on port 1: libvirt fails
        f'known_hosts = ["{lab.known_hosts}"]\n[hosts.{host.name}]\n'
        f'ssh_host = "{host.address}"\nuser = "root"\nport = 1\nidentity = "{lab.identity}"\n'
    )
    argv = ["--config", str(inventory), "--repo", str(repo), "reserve", "--host", host.name]
    argv += ["--name", "probe", "--mac", client.mac, "--ip", "auto", "--apply"]
    assert main([*argv, "--author", AUTHOR]) == 1
    out = capsys.readouterr().out
    assert "git: committed" in out
    # libvirt rides the ssh connection, so the failure names ssh and the port
    assert f"live: FAILED: {host.name}: ssh root@{host.address}:1: " in out
    assert "connection refused" in out.lower()
    assert "the commit stands" in out and "virsh net-update default add-last" in out
    assert git(repo, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
    assert live_hosts(lab, host) == live
