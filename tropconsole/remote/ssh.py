"""One long-lived, strictly verified SSH session per host, and what the console reads over it.

Why these choices:

* **Strict host keys, always.** The console writes DHCP reservations to hyper-visors; talking
  to an impostor would leak the fleet's layout and accept forged lease data. Keys are checked
  against the system and user known_hosts, the inventory's extra files and any
  ``UserKnownHostsFile``/``GlobalKnownHostsFile`` from ssh_config, with a policy that refuses
  unknown hosts (a subclass of ``RejectPolicy``; AutoAdd/Warning policies are banned by ruff
  S507). Every file is loaded as *system* keys, so paramiko never has a file to save into:
  tropconsole never writes a known_hosts file, the operator decides after checking the
  fingerprint we print.
* **One session, reused.** A handshake costs far more than a refresh; steady state must open
  none (the poller's counters prove it). A transport keepalive notices dead peers between
  refreshes.
* **One exec per refresh.** Addresses, bridges and bridge ports come from one
  ``ip -j -d addr`` (a port's ``master`` is its bridge, from the same netlink attribute
  ``bridge link`` prints); the neighbour table and the host's checkout of the config repo
  come from the same exec (``tropconsole.remote.hostread``), so a refresh costs one channel
  whatever the number of links. Running ``bridge -j link`` as well cost each host a second
  process on every refresh for the same data.
* **Never prompts.** Keys come from ssh-agent and the configured identity files; there is no
  password and no passphrase, so a missing key is an error an operator can read, not a hang.
* **No waiting on the wire.** The console opens the TCP connection itself, without Nagle
  stalls, and prefers AES-GCM (``tropconsole.remote.tcp`` says why and how much).
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko

from tropconsole.core.errors import RemoteError
from tropconsole.core.live import CheckoutState, LiveAddress, LiveLink, Neighbour
from tropconsole.remote.hostread import (
    CHECKOUT,
    NEIGH,
    parse_checkout,
    parse_neighbours,
    refresh_command,
    split_sections,
)
from tropconsole.remote.inventory import HostEntry, Inventory
from tropconsole.remote.tcp import tcp_connect, transport_preferring_aead

SYSTEM_KNOWN_HOSTS = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")
USER_KNOWN_HOSTS = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")
KEEPALIVE_SECONDS = 15


class HostKeyError(RemoteError):
    """The host's key is unknown or changed: refused, nothing was sent, nothing was saved."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class SshTarget:
    """Where one SSH hop goes, after ssh_config and the inventory have been merged."""

    alias: str  # the name looked up in ssh_config
    hostname: str  # the real address; known_hosts is checked under this name (as ssh does)
    port: int
    user: str
    identities: tuple[str, ...] = ()
    identities_only: bool = False
    use_agent: bool = True  # False for IdentitiesOnly or "IdentityAgent none"
    proxy_jump: tuple[str, ...] = ()  # hops, each "[user@]host[:port]"
    proxy_command: str | None = None
    known_hosts: tuple[str, ...] = ()  # every file trusted for this target (existing ones)
    user_known_hosts: tuple[str, ...] = ()  # candidates for ssh's UserKnownHostsFile
    system_known_hosts: tuple[str, ...] = ()  # candidates for ssh's GlobalKnownHostsFile
    ssh_config: str | None = None

    @property
    def known_hosts_name(self) -> str:
        return self.hostname if self.port == 22 else f"[{self.hostname}]:{self.port}"


_configs_lock = threading.Lock()
_configs: dict[str, tuple[tuple[int, int, int], paramiko.SSHConfig]] = {}


def _ssh_config(path: str) -> paramiko.SSHConfig:
    """The parsed ssh_config, parsed again only when the file changes. Every host of a fleet
    reads the same file, and parsing it was most of resolving a host (grows with the file)."""
    st = os.stat(path)
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    with _configs_lock:
        cached = _configs.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    config = paramiko.SSHConfig.from_path(path)  # lookups never change it: safe to share
    with _configs_lock:
        _configs[path] = (stamp, config)
    return config


def _split_paths(value: str | None) -> list[str]:
    return [] if not value else [os.path.expanduser(p) for p in value.split()]


def resolve_target(
    inventory: Inventory, entry: HostEntry | None, jump: str | None = None
) -> SshTarget:
    """Merge ssh_config with the inventory for a host (or for a ProxyJump hop, given as
    ``[user@]host[:port]``). Explicit values win over ssh_config, as ssh's options do."""
    user: str | None = entry.user if entry else None
    port: int | None = entry.port if entry else None
    name = entry.ssh_host if entry else ""
    if jump is not None:
        name = jump
        if "@" in name:
            user, name = name.rsplit("@", 1)
        if name.count(":") == 1:
            name, port_text = name.split(":")
            port = int(port_text)
    cfg: dict[str, Any] = {}
    if inventory.ssh_config:
        try:
            cfg = dict(_ssh_config(inventory.ssh_config).lookup(name))
        except (OSError, paramiko.SSHException, ValueError) as err:
            who = entry.name if entry else name
            raise RemoteError(
                who, f"cannot read ssh_config {inventory.ssh_config}: {err}"
            ) from None
    identities = [os.path.expanduser(i) for i in cfg.get("identityfile", [])]
    if entry and entry.identity:
        identities.insert(0, entry.identity)
    user_files = [*USER_KNOWN_HOSTS, *inventory.known_hosts]
    user_files += _split_paths(cfg.get("userknownhostsfile"))
    user_files = [os.path.expanduser(p) for p in user_files]
    system_files = [*SYSTEM_KNOWN_HOSTS, *_split_paths(cfg.get("globalknownhostsfile"))]
    hops = str(cfg.get("proxyjump", "none"))
    proxy_command = cfg.get("proxycommand")
    return SshTarget(
        alias=name,
        hostname=str(cfg.get("hostname") or name),
        port=port if port is not None else int(cfg.get("port", 22)),
        user=user or cfg.get("user") or getpass.getuser(),
        identities=tuple(dict.fromkeys(identities)),
        identities_only=str(cfg.get("identitiesonly", "no")).lower() == "yes",
        use_agent=str(cfg.get("identityagent", "")).lower() != "none"
        and str(cfg.get("identitiesonly", "no")).lower() != "yes",
        proxy_jump=() if hops == "none" else tuple(h.strip() for h in hops.split(",")),
        proxy_command=None if proxy_command in (None, "none") else str(proxy_command),
        known_hosts=tuple(
            dict.fromkeys(p for p in [*system_files, *user_files] if Path(p).is_file())
        ),
        user_known_hosts=tuple(dict.fromkeys(user_files)),
        system_known_hosts=tuple(dict.fromkeys(system_files)),
        ssh_config=inventory.ssh_config,
    )


class _RefuseUnknown(paramiko.RejectPolicy):  # type: ignore[misc]
    """RejectPolicy that says which key was refused, so an operator can check it out of band."""

    def __init__(self, host: str, files: tuple[str, ...]) -> None:
        self.host = host
        self.files = files

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        where = ", ".join(self.files) or "no known_hosts file found"
        raise HostKeyError(
            self.host,
            f"unknown host key for {hostname}: {key.get_name()} {key.fingerprint}; "
            f"refused (not in {where}). Check the fingerprint on the host "
            "(ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then add the key to a known_hosts file",
        )


def parse_links(text: str) -> tuple[LiveLink, ...]:
    """Links from ``ip -j -d addr``: addresses, kind, master; a link's ports are the links
    whose master it is."""
    try:
        links_raw = json.loads(text or "[]")
    except json.JSONDecodeError as err:
        raise ValueError(f"unexpected output of 'ip -j -d addr': {err}") from None
    ports: dict[str, list[str]] = {}
    for item in links_raw:
        master = item.get("master")
        if master and item.get("ifname"):
            ports.setdefault(str(master), []).append(str(item["ifname"]))
    links = []
    for item in links_raw:
        name = str(item.get("ifname", "?"))
        info = item.get("linkinfo") or {}
        addrs = tuple(
            LiveAddress(str(a.get("family")), str(a.get("local")), int(a.get("prefixlen", 0)))
            for a in item.get("addr_info", ())
            if a.get("local")
        )
        links.append(
            LiveLink(
                name=name,
                mac=item.get("address") if item.get("link_type") == "ether" else None,
                state=str(item.get("operstate", "UNKNOWN")),
                kind=info.get("info_kind"),
                master=item.get("master"),
                addresses=addrs,
                ports=tuple(sorted(ports.get(name, ()))),
            )
        )
    return tuple(links)


class SshSession:
    """A paramiko client for one host that reconnects on demand and counts its work."""

    def __init__(self, host: str, inventory: Inventory, *, timeout: float) -> None:
        self.host = host
        self.inventory = inventory
        entry = inventory.host(host)
        if entry is None:
            raise RemoteError(host, "not in the inventory")
        self.entry = entry
        self.timeout = timeout
        self.handshakes = 0
        self.execs = 0
        self._lock = threading.RLock()
        self._clients: list[paramiko.SSHClient] = []  # jump hosts first, the target last
        self._sftp: paramiko.SFTPClient | None = None

    @property
    def connected(self) -> bool:
        return bool(self._clients) and self._transport() is not None

    def _transport(self) -> paramiko.Transport | None:
        t = self._clients[-1].get_transport() if self._clients else None
        return t if t is not None and t.is_active() else None

    def target(self) -> SshTarget:
        return resolve_target(self.inventory, self.entry)

    def connect(self) -> paramiko.Transport:
        """Return the live transport, opening it (and any ProxyJump hops) only when needed."""
        with self._lock:
            transport = self._transport()
            if transport is not None:
                return transport
            self.close()
            target = self.target()
            chain = [resolve_target(self.inventory, None, jump=h) for h in target.proxy_jump]
            chain.append(target)
            sock: Any = None
            if target.proxy_command and not target.proxy_jump:
                sock = paramiko.ProxyCommand(target.proxy_command)
            try:
                for hop in chain:
                    if self._clients:  # tunnel through the previous hop
                        sock = self._channel(self._clients[-1], hop)
                    self._open(hop, sock)
            except BaseException:
                self.close()
                raise
            transport = self._transport()
            if transport is None:
                raise RemoteError(self.host, "ssh connection closed right after it opened")
            return transport

    def _channel(self, via: paramiko.SSHClient, hop: SshTarget) -> paramiko.Channel:
        """A direct-tcpip channel through ``via`` (a ProxyJump host) to the next hop."""
        transport = via.get_transport()
        dest = (hop.hostname, hop.port)
        try:
            if transport is None:
                raise paramiko.SSHException("jump host connection closed")
            return transport.open_channel(
                "direct-tcpip", dest, ("127.0.0.1", 0), timeout=self.timeout
            )
        except (paramiko.SSHException, OSError) as err:
            raise RemoteError(self.host, f"ProxyJump to {dest[0]}:{dest[1]}: {err}") from None

    def _open(self, target: SshTarget, sock: Any) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        for path in target.known_hosts:
            try:
                client.load_system_host_keys(path)
            except OSError as err:
                raise RemoteError(self.host, f"cannot read known_hosts {path}: {err}") from None
        client.set_missing_host_key_policy(_RefuseUnknown(self.host, target.known_hosts))
        where = f"{target.user}@{target.hostname}:{target.port}"
        self.handshakes += 1
        try:
            if sock is None:
                sock = tcp_connect(target.hostname, target.port, self.timeout)
            client.connect(
                target.hostname,
                port=target.port,
                username=target.user,
                key_filename=list(target.identities) or None,
                allow_agent=target.use_agent,
                look_for_keys=not target.identities,
                timeout=self.timeout,
                banner_timeout=self.timeout,
                auth_timeout=self.timeout,
                channel_timeout=self.timeout,
                sock=sock,
                transport_factory=transport_preferring_aead,
            )
        except HostKeyError:
            client.close()
            raise
        except paramiko.BadHostKeyException as err:
            client.close()
            raise HostKeyError(
                self.host,
                f"host key for {target.known_hosts_name} has CHANGED: the server offers "
                f"{err.key.get_name()} {err.key.fingerprint}, known_hosts has "
                f"{err.expected_key.get_name()} {err.expected_key.fingerprint}. Refused: this "
                "may be an attack or a reinstalled host; fix known_hosts by hand once checked",
            ) from None
        except paramiko.AuthenticationException as err:
            client.close()
            raise RemoteError(
                self.host,
                f"ssh {where}: authentication failed ({err}); load a key into ssh-agent or set "
                "'identity' in the inventory (tropconsole never asks for a password)",
            ) from None
        except (paramiko.SSHException, OSError, EOFError) as err:
            client.close()
            raise RemoteError(self.host, f"ssh {where}: {_describe(err)}") from None
        transport = client.get_transport()
        if transport is not None:
            transport.set_keepalive(KEEPALIVE_SECONDS)
        self._clients.append(client)
        return client

    def exec(self, command: str, timeout: float | None = None) -> tuple[int, str, str]:
        """Run one command on its own channel: (exit status, stdout, stderr)."""
        limit = timeout or self.timeout
        chan = self.start(command, timeout=limit)
        try:
            chan.settimeout(limit)
            out: bytes = chan.makefile("rb").read()
            err: bytes = chan.makefile_stderr("rb").read()
            status = chan.recv_exit_status()
            chan.close()
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise RemoteError(self.host, f"ssh exec failed: {_describe(exc)}") from None
        return status, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def start(self, command: str, timeout: float | None = None) -> paramiko.Channel:
        """Start a command on its own channel and hand the channel over (``exec`` reads
        it to the end; the libvirt tunnel keeps it). Counted as an exec."""
        transport = self.connect()
        with self._lock:
            self.execs += 1
        try:
            chan = transport.open_session(timeout=timeout or self.timeout)
            chan.exec_command(command)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise RemoteError(self.host, f"ssh exec failed: {_describe(exc)}") from None
        return chan

    def read_links(self) -> tuple[LiveLink, ...]:
        """Addresses, bridges and bridge ports (``read_host``'s first part), in one exec."""
        return self.read_host()[0]

    def read_host(self) -> tuple[tuple[LiveLink, ...], tuple[Neighbour, ...], CheckoutState]:
        """Links, the neighbour table and the checkout's state, in exactly one exec."""
        status, out, err = self.exec(refresh_command(self.entry.checkout))
        sections = split_sections(out)
        if not sections[""].strip():
            why = err.strip().splitlines()[0] if err.strip() else f"exit status {status}"
            raise RemoteError(self.host, f"'ip -j -d addr show' gave no output: {why}")
        try:
            links = parse_links(sections[""])
        except ValueError as exc:
            raise RemoteError(self.host, str(exc)) from None
        neighbours = parse_neighbours(sections.get(NEIGH, ""))
        return links, neighbours, parse_checkout(sections.get(CHECKOUT), self.entry.checkout)

    def read_file(self, path: str) -> bytes:
        """Read a remote file over SFTP on the existing transport (one channel, kept open)."""
        transport = self.connect()
        with self._lock:
            try:
                channel = self._sftp.get_channel() if self._sftp is not None else None
                if self._sftp is None or channel is None or channel.closed:
                    self.execs += 1
                    self._sftp = paramiko.SFTPClient.from_transport(transport)
                assert self._sftp is not None
                with self._sftp.open(path, "rb") as fh:
                    return bytes(fh.read())
            except FileNotFoundError:
                raise
            except (paramiko.SSHException, OSError, EOFError) as err:
                self._sftp = None
                raise RemoteError(self.host, f"sftp {path}: {_describe(err)}") from None

    def close(self) -> None:
        with self._lock:
            if self._sftp is not None:
                with contextlib.suppress(Exception):  # closing a dead session must not fail
                    self._sftp.close()
                self._sftp = None
            for client in reversed(self._clients):
                client.close()
            self._clients = []


def _describe(err: BaseException) -> str:
    if isinstance(err, paramiko.ssh_exception.NoValidConnectionsError):
        causes = {getattr(e, "strerror", None) or str(e) for e in err.errors.values()}
        text = "; ".join(sorted(c for c in causes if c)) or "cannot connect"
        return text + (" (is sshd running?)" if "refused" in text.lower() else "")
    if isinstance(err, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(err, ConnectionRefusedError):
        return "connection refused (is sshd running?)"
    if isinstance(err, EOFError):
        return "connection closed by the host"
    text = str(err) or type(err).__name__
    return text
