"""libvirt tunnelled over the host's paramiko connection (the default transport), against
the real lab: no second SSH connection, a private socket, clear failures, reconnects."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import libvirt
import pytest
from livekit import PATIENT, lab_inventory, settled

from tropconsole.core.errors import RemoteError
from tropconsole.core.live import HostState
from tropconsole.remote.inventory import load_inventory
from tropconsole.remote.libvirt_conn import LibvirtSession
from tropconsole.remote.poller import FleetPoller
from tropconsole.remote.ssh import SshSession
from tropconsole.remote.tunnel import LibvirtTunnel, libvirt_session, remote_command


def children_named(name: str) -> list[int]:
    """Processes of this machine whose parent is this test process, by command name."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        if comm == name and ppid == os.getpid():
            found.append(int(stat.parent.name))
    return found


def ssh_for(lab: Any, host: Any) -> SshSession:
    return SshSession(host.name, lab_inventory(lab), timeout=PATIENT)


def test_remote_proxy_is_libvirts_own_and_read_only_uses_the_read_only_socket() -> None:
    rw, ro = remote_command(read_only=False), remote_command(read_only=True)
    assert "virt-ssh-helper qemu:///system" in rw and "libvirt-sock;" in rw
    assert "virt-ssh-helper -r qemu:///system" in ro and "libvirt-sock-ro;" in ro


def test_transport_choice_follows_the_inventory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the ssh wrapper
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(
        '[hosts.trop01]\nssh_host = "198.18.1.2"\n'
        '[hosts.trop02]\nlibvirt_uri = "qemu+ssh://root@trop02/system"\n'
    )

    def session(inv: Any, name: str) -> LibvirtSession:
        return libvirt_session(
            inv, name, SshSession(name, inv, timeout=5), read_only=True, timeout=5
        )

    inv = load_inventory(inventory)
    assert inv.libvirt_transport == "tunnel"
    assert "(tunnel)" in session(inv, "trop01").uri
    # an explicit URI is used verbatim, tunnel or not
    assert session(inv, "trop02").uri == "qemu+ssh://root@trop02/system"
    inventory.write_text('libvirt_transport = "ssh"\n[hosts.trop01]\nssh_host = "198.18.1.2"\n')
    uri = session(load_inventory(inventory), "trop01").uri
    assert uri.startswith("qemu+ssh://198.18.1.2/system?no_tty=1&command=")


def test_default_transport_opens_one_ssh_connection_and_no_openssh_client(lab: Any) -> None:
    host = lab.hosts[0]
    with FleetPoller(lab_inventory(lab), timeout=PATIENT) as poller:
        status = settled(poller).host(host.name)
        assert status.state == HostState.OK, status.error
        assert status.snapshot.network("default") is not None
        assert {le.mac for le in status.snapshot.leases} >= {
            c.mac for c in lab.clients_of(host) if c.reserved_ip is None
        }
        assert poller.ssh_session(host.name).handshakes == 1
        assert "(tunnel)" in poller.session(host.name).uri
        assert children_named("ssh") == []  # libvirt's qemu+ssh would have started one each
        tunnel = poller.session(host.name)._tunnel
        assert tunnel is not None and tunnel.alive
        assert not tunnel.path.exists() and not tunnel.path.parent.exists()  # removed at once


def test_only_this_process_may_use_the_socket(lab: Any) -> None:
    host = lab.hosts[0]
    ssh = ssh_for(lab, host)
    tunnel = LibvirtTunnel(host.name, ssh.start, read_only=True, timeout=PATIENT)
    try:
        assert oct(tunnel.path.parent.stat().st_mode & 0o777) == "0o700"
        probe = (
            "import socket, sys\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            "s.connect(sys.argv[1])\n"
            "s.settimeout(10)\n"
            "print(repr(s.recv(16)))\n"
        )
        other = subprocess.run(
            [sys.executable, "-c", probe, str(tunnel.path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert other.returncode == 0, other.stderr
        assert other.stdout.strip() == "b''"  # another process is hung up on at once
        conn = libvirt.openReadOnly(tunnel.uri)  # this process still gets through
        tunnel.opened()
        try:
            assert set(conn.listNetworks()) == {"bridged", "default"}
        finally:
            conn.close()
    finally:
        tunnel.close()
        ssh.close()


def test_host_without_a_proxy_says_so(lab: Any) -> None:
    host = lab.hosts[0]
    ssh = ssh_for(lab, host)

    def no_path(command: str) -> Any:  # the real proxy script, on a host with nothing on PATH
        return ssh.start(f"env PATH=/nonexistent /bin/{command}")

    session = LibvirtSession(
        host.name,
        "lab",
        read_only=True,
        tunnel=lambda: LibvirtTunnel(host.name, no_path, read_only=True, timeout=PATIENT),
    )
    try:
        with pytest.raises(RemoteError) as info:
            session.connection()
    finally:
        session.close()
        ssh.close()
    message = info.value.message
    assert "libvirt connect over the ssh connection failed" in message
    assert "the host said: neither virt-ssh-helper nor nc is installed" in message


def test_an_open_the_host_never_answers_fails_instead_of_hanging(lab: Any) -> None:
    host = lab.hosts[0]
    ssh = ssh_for(lab, host)
    session = LibvirtSession(
        host.name,
        "lab",
        read_only=True,
        tunnel=lambda: LibvirtTunnel(
            host.name, lambda _cmd: ssh.start("exec sleep 60"), read_only=True, timeout=2
        ),
    )
    try:
        with pytest.raises(RemoteError, match="libvirt connect over the ssh connection failed"):
            session.connection()
    finally:
        session.close()
        ssh.close()


def test_libvirt_comes_back_after_the_ssh_connection_drops(lab: Any) -> None:
    host = lab.hosts[0]
    with FleetPoller(lab_inventory(lab), timeout=PATIENT, backoff_base=0.1) as poller:
        assert settled(poller).host(host.name).state == HostState.OK
        before = poller.poll().host(host.name).counters
        poller.ssh_session(host.name).close()  # the connection under the tunnel goes away
        deadline = time.monotonic() + 30
        while True:
            status = poller.poll().host(host.name)
            if status.state == HostState.OK and status.counters.handshakes > before.handshakes:
                break
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
        assert status.error is None
        assert status.counters.handshakes == before.handshakes + 2  # ssh again, libvirt again
        assert poller.session(host.name).connected
        assert children_named("ssh") == []
