"""libvirt carried over the host's paramiko SSH connection: one handshake per host.

libvirt's own ``qemu+ssh`` transport starts the OpenSSH client for every connection, so a
cold start paid for two SSH handshakes per host (paramiko's and OpenSSH's), and on a small
machine those key exchanges are what a cold fleet snapshot waits for. The tunnel instead:

1. opens one exec channel on the paramiko transport the host already has, running the
   same remote proxy libvirt itself runs for ``qemu+ssh`` (``virt-ssh-helper``, falling
   back to ``nc -U`` on the daemon's socket) -- read-only connections use ``-r`` and the
   read-only socket, so the daemon enforces read-only mode too;
2. listens on a private unix socket (a fresh directory, mode 0700, under
   ``$XDG_RUNTIME_DIR`` or the temp dir) and hands libvirt ``qemu+unix:///system?socket=``
   that path;
3. accepts exactly one connection, and only from this process (``SO_PEERCRED``), removes
   the socket file at once, and then copies bytes both ways in one thread until either
   side closes.

Host-key trust is therefore exactly paramiko's (the channel rides its verified transport),
ProxyJump hops come for free, and libvirt's keepalive still detects a dead host. If the
daemon has not answered libvirt's open within the SSH timeout, the tunnel closes the
socket, so ``virConnectOpen`` fails instead of hanging.
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import paramiko

from tropconsole.core.errors import RemoteError
from tropconsole.remote.inventory import Inventory
from tropconsole.remote.libvirt_conn import LibvirtSession
from tropconsole.remote.libvirt_uri import derive_uri
from tropconsole.remote.ssh import SshSession

REMOTE_URI = "qemu:///system"
SOCKET_DIR = "/var/run/libvirt"
CHUNK = 65536
STDERR_KEEP = 4096  # bytes of the remote proxy's stderr kept for error messages


def remote_command(read_only: bool) -> str:
    """The remote proxy, as libvirt's ``qemu+ssh`` (``proxy=auto``) would run it."""
    ro = " -r" if read_only else ""
    sock = f"{SOCKET_DIR}/libvirt-sock{'-ro' if read_only else ''}"
    script = (
        "if command -v virt-ssh-helper >/dev/null 2>&1; then "
        f"exec virt-ssh-helper{ro} {REMOTE_URI}; "
        "elif command -v nc >/dev/null 2>&1; then "
        f"exec nc -U {sock}; "
        "else echo 'neither virt-ssh-helper nor nc is installed on this host "
        "(install libvirt-daemon or netcat-openbsd)' >&2; exit 127; fi"
    )
    return "sh -c " + shlex.quote(script)


def _socket_dir() -> Path:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = runtime if runtime and os.path.isdir(runtime) else tempfile.gettempdir()
    return Path(tempfile.mkdtemp(prefix="tropconsole-lv-", dir=base))  # mode 0700


def _peer_pid(conn: socket.socket) -> int | None:
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (AttributeError, OSError):
        return None
    return int(struct.unpack("3i", creds)[0])


class LibvirtTunnel:
    """One libvirt connection's byte stream, carried by one SSH exec channel."""

    def __init__(
        self,
        host: str,
        start: Callable[[str], paramiko.Channel],
        *,
        read_only: bool,
        timeout: float,
    ) -> None:
        self.host = host
        self.timeout = timeout
        self._stderr = bytearray()
        self._opened = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._client: socket.socket | None = None
        self._dir = _socket_dir()
        self.path = self._dir / "libvirt.sock"
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._listener.bind(str(self.path))
            self._listener.listen(1)
        except OSError as err:
            self._cleanup_listener()
            raise RemoteError(host, f"cannot listen on {self.path} for libvirt: {err}") from None
        try:
            self._chan = start(remote_command(read_only))
        except BaseException:
            self._cleanup_listener()
            raise
        self._deadline = time.monotonic() + timeout
        self._thread = threading.Thread(
            target=self._run, name=f"tropconsole-tunnel-{host}", daemon=True
        )
        self._thread.start()

    @property
    def uri(self) -> str:
        return f"qemu+unix:///system?socket={quote(str(self.path), safe='/')}"

    @property
    def alive(self) -> bool:
        return not self._closed.is_set()

    def opened(self) -> None:
        """libvirt's open went through: the open deadline no longer applies."""
        self._opened.set()

    def remote_stderr(self, wait: float = 1.0) -> str:
        """What the remote proxy wrote to stderr (waits up to ``wait`` for it to exit)."""
        self._closed.wait(wait)
        with self._lock:
            text = self._stderr.decode("utf-8", "replace")
        return " ".join(line.strip() for line in text.splitlines() if line.strip())

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(Exception):
            self._chan.close()
        client = self._client
        if client is not None:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
        self._cleanup_listener()

    # -- the pump thread --------------------------------------------------------------

    def _cleanup_listener(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.close()
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            self._dir.rmdir()

    def _accept(self) -> socket.socket | None:
        """The one connection libvirt makes, from this process only."""
        while not self._closed.is_set():
            left = self._deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._listener], [], [], min(left, 0.2))
            if not ready:
                continue
            conn, _ = self._listener.accept()
            if _peer_pid(conn) in (os.getpid(), None):
                return conn
            conn.close()  # someone else found the socket: never theirs
        return None

    def _drain_stderr(self) -> None:
        while self._chan.recv_stderr_ready():
            data = self._chan.recv_stderr(CHUNK)
            if not data:
                break
            with self._lock:
                self._stderr += data
                del self._stderr[:-STDERR_KEEP]

    def _run(self) -> None:
        client = None
        try:
            client = self._accept()
            self._cleanup_listener()
            if client is None:
                return
            self._client = client
            self._pump(client)
        except (OSError, paramiko.SSHException, EOFError):
            pass  # either side went away: libvirt sees the socket close
        finally:
            with contextlib.suppress(Exception):
                self._drain_stderr()
            self._closed.set()
            if client is not None:
                with contextlib.suppress(OSError):
                    client.close()
            with contextlib.suppress(Exception):
                self._chan.close()

    def _pump(self, client: socket.socket) -> None:
        chan = self._chan
        while not self._closed.is_set():
            if not self._opened.is_set() and time.monotonic() > self._deadline:
                return  # the daemon never answered libvirt's open: fail it, don't hang
            ready, _, _ = select.select([client, chan], [], [], 0.5)
            self._drain_stderr()
            if client in ready:
                data = client.recv(CHUNK)
                if not data:
                    return
                chan.sendall(data)
            if chan in ready:
                data = chan.recv(CHUNK)
                if not data:
                    return
                client.sendall(data)


def uses_tunnel(inventory: Inventory, host: str) -> bool:
    """Whether libvirt reaches ``host`` through the SSH connection (see the module doc)."""
    entry = inventory.host(host)
    if entry is None:
        raise RemoteError(host, "not in the inventory")
    return entry.libvirt_uri is None and inventory.libvirt_transport == "tunnel"


def libvirt_session(
    inventory: Inventory, host: str, ssh: SshSession, *, read_only: bool, timeout: float
) -> LibvirtSession:
    """The libvirt session for a host: tunnelled over ``ssh`` unless the inventory gives a
    ``libvirt_uri`` for it or sets ``libvirt_transport = "ssh"``."""
    if not uses_tunnel(inventory, host):
        return LibvirtSession(host, derive_uri(inventory, host), read_only=read_only)

    def open_tunnel() -> LibvirtTunnel:
        return LibvirtTunnel(host, ssh.start, read_only=read_only, timeout=timeout)

    where = f"{REMOTE_URI} over the ssh connection to {ssh.entry.ssh_host} (tunnel)"
    return LibvirtSession(host, where, read_only=read_only, tunnel=open_tunnel)
