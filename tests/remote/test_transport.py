"""Transport details on the real lab: ProxyJump through a bastion, and the dnsmasq
status-file fallback read over SFTP on the connection already open."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import libvirt
import paramiko
import pytest
from livekit import PATIENT, lab_inventory, settled

from tropconsole.core.errors import RemoteError
from tropconsole.core.live import HostState
from tropconsole.remote.inventory import load_inventory
from tropconsole.remote.poller import FleetPoller
from tropconsole.remote.ssh import SshSession
from tropconsole.remote.tcp import PromptSocket, tcp_connect


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _root_locked() -> bool:
    for line in Path("/etc/shadow").read_text().splitlines():
        if line.startswith("root:"):
            return line.split(":")[1].startswith("!")
    return False


@pytest.fixture
def bastion(lab: Any, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A private sshd on loopback that allows forwarding: the jump host (pid-scoped)."""
    port = _free_port()
    key = tmp_path / "bastion_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    conf = tmp_path / "sshd_config"
    conf.write_text(
        f"ListenAddress 127.0.0.1:{port}\nHostKey {key}\nPidFile {tmp_path / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {lab.dir / 'authorized_keys'}\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        f"UsePAM {'yes' if _root_locked() else 'no'}\nStrictModes no\nUseDNS no\n"
        "AllowTcpForwarding yes\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", str(conf), "-E", str(tmp_path / "log")])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "log").read_text()
                time.sleep(0.1)
        yield port, key.with_suffix(".pub")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize(("transport", "logins"), [("tunnel", 1), ("ssh", 2)])
def test_proxyjump_reaches_the_host_through_a_bastion_on_both_sides(
    lab: Any,
    tmp_path: Path,
    bastion: tuple[int, Path],
    monkeypatch: pytest.MonkeyPatch,
    transport: str,
    logins: int,
) -> None:
    """libvirt follows the same ProxyJump: over paramiko's own hops (tunnel: one login on
    the bastion), or through libvirt's ssh with ``-J`` (ssh: a second login)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    port, bastion_pub = bastion
    host = lab.hosts[0]
    kind, b64 = bastion_pub.read_text().split()[:2]
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {kind} {b64}\n" + lab.known_hosts.read_text())
    (tmp_path / "ssh_config").write_text(
        f"Host bastion\n  HostName 127.0.0.1\n  Port {port}\n"
        f"Host {host.name}-via-bastion\n  HostName {host.address}\n  ProxyJump bastion\n"
        f"Host *\n  User root\n  IdentityFile {lab.identity}\n  IdentityAgent none\n"
    )
    (tmp_path / "inventory.toml").write_text(
        f'ssh_config = "ssh_config"\nknown_hosts = ["known_hosts"]\n'
        f'libvirt_transport = "{transport}"\n'
        f'[hosts.{host.name}]\nssh_host = "{host.name}-via-bastion"\n'
    )
    inv = load_inventory(tmp_path / "inventory.toml")
    with FleetPoller(inv, timeout=PATIENT) as poller:
        status = settled(poller).host(host.name)
        assert status.state == HostState.OK, status.error
        # bastion + host over paramiko, and the libvirt connection (tunnelled over them,
        # or libvirt's ssh through the wrapper with ProxyJump too)
        assert status.counters.handshakes == 3
        assert len(poller.ssh_session(host.name)._clients) == 2
        assert status.snapshot.network("default") is not None
    log = (tmp_path / "log").read_text()
    assert log.count("Accepted publickey for root") == logins, log


def test_status_file_fallback_reads_dnsmasq_over_sftp_on_the_open_connection(
    lab: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = lab.hosts[0]
    with FleetPoller(lab_inventory(lab), timeout=PATIENT) as poller:
        direct = settled(poller).host(host.name)
        assert direct.state == HostState.OK
        expected = {(le.mac, le.ip) for le in direct.snapshot.leases}

        def no_support(self: libvirt.virNetwork, *args: object) -> object:
            err = libvirt.libvirtError("virNetworkGetDHCPLeases() failed")
            err.err = (libvirt.VIR_ERR_NO_SUPPORT, 0, "this function is not supported", 0)
            raise err

        monkeypatch.setattr(libvirt.virNetwork, "DHCPLeases", no_support)
        first = poller.poll().host(host.name)
        second = poller.poll().host(host.name)
    assert first.state == HostState.OK, first.error
    leases = first.snapshot.leases
    assert {le.source for le in leases} == {"status-file"}
    assert {(le.mac, le.ip) for le in leases} == expected
    assert all(le.host == host.name and le.network == "default" for le in leases)
    # SFTP rides the existing transport: no handshake; its channel opens once, then is reused
    assert first.counters.handshakes == direct.counters.handshakes
    assert first.counters.execs == direct.counters.execs + 2
    assert second.counters.execs == first.counters.execs + 1


def test_ssh_socket_neither_holds_packets_back_nor_delays_acks(lab: Any) -> None:
    """With Nagle on, each small SSH packet written behind an unacknowledged one waited
    for the host's delayed ACK: 40 ms at the key exchange, the login and every exec."""
    ssh = SshSession(lab.hosts[0].name, lab_inventory(lab), timeout=PATIENT)
    try:
        ssh.read_links()
        sock = ssh.connect().sock
        assert isinstance(sock, PromptSocket)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        assert ssh.exec("echo ok")[:2] == (0, "ok\n")
    finally:
        ssh.close()


def test_ssh_prefers_aes_gcm_so_packets_are_not_hmac_checked_in_python(lab: Any) -> None:
    ssh = SshSession(lab.hosts[0].name, lab_inventory(lab), timeout=PATIENT)
    try:
        transport = ssh.connect()
        assert (transport.local_cipher, transport.remote_cipher) == (
            "aes128-gcm@openssh.com",
            "aes128-gcm@openssh.com",
        )
        assert ssh.exec("echo ok")[:2] == (0, "ok\n")
    finally:
        ssh.close()


def test_refused_connection_still_says_so(lab: Any, tmp_path: Path) -> None:
    """The console opens the TCP connection itself now; a host without sshd must still
    read as a refused connection, not as a stack trace or a vague error."""
    port = _free_port()
    with pytest.raises(paramiko.ssh_exception.NoValidConnectionsError):
        tcp_connect("127.0.0.1", port, 2.0)
    (tmp_path / "inventory.toml").write_text(
        f'[hosts.nosshd]\nssh_host = "127.0.0.1"\nport = {port}\nuser = "root"\n'
        f'identity = "{lab.identity}"\n'
    )
    ssh = SshSession("nosshd", load_inventory(tmp_path / "inventory.toml"), timeout=2.0)
    with pytest.raises(RemoteError, match=r"(?i)connection refused \(is sshd running\?\)"):
        ssh.connect()
