"""The `lab` fixture: the real fleet started by lab/up, as a small typed object.

Tests that take `lab` are marked `lab` automatically. When the lab is not up the
fixture fails (never skips): CI starts the lab, so a missing lab is a broken build.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LAB_DIR = "/tmp/tropconsole-lab"


_LAB_NAMING = ("TROPCONSOLE_LAB_PREFIX", "TROPCONSOLE_LAB_OFFSET")


@dataclass(frozen=True)
class LabHost:
    name: str
    index: int
    netns: str
    address: str  # management address (ssh, qemu+ssh)
    mount_ns: str
    uts_ns: str
    libvirt_uri: str
    bridges: dict[str, str]  # br0 -> "a.b.c.d/24", from the lab repo's interfaces file
    dir: Path


@dataclass(frozen=True)
class LabClient:
    name: str  # "trop01-c1"
    host: str
    netns: str
    mac: str
    reserved_ip: str | None
    range: tuple[str, str]
    pidfile: Path
    events: Path


Target = LabHost | LabClient | str


@dataclass(frozen=True)
class Lab:
    dir: Path
    inventory: Path
    repo: Path
    ssh_config: Path
    known_hosts: Path
    identity: Path
    ssh_wrapper: Path
    hosts: tuple[LabHost, ...]
    clients: tuple[LabClient, ...]

    def host(self, name: str) -> LabHost:
        return next(h for h in self.hosts if h.name == name)

    def client(self, name: str) -> LabClient:
        return next(c for c in self.clients if c.name == name)

    def clients_of(self, host: str | LabHost) -> tuple[LabClient, ...]:
        name = host if isinstance(host, str) else host.name
        return tuple(c for c in self.clients if c.host == name)

    def _target(self, t: Target) -> LabHost | LabClient:
        if isinstance(t, str):
            for x in (*self.hosts, *self.clients):
                if t in (x.name, x.netns):
                    return x
            raise KeyError(f"no lab host or client named {t!r}")
        return t

    def run_in(
        self, target: Target, cmd: str | Sequence[str], *, check: bool = False, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        """Run in a host (its network, mount and UTS namespaces: what sshd sees) or in a
        client's network namespace. A string is run by sh -c."""
        t = self._target(target)
        argv = ["sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
        if isinstance(t, LabHost):
            pre = ["nsenter", f"--net=/run/netns/{t.netns}", f"--mount={t.mount_ns}"]
            pre += [f"--uts={t.uts_ns}", "--"]
        else:
            pre = ["ip", "netns", "exec", t.netns]
        return subprocess.run(
            pre + argv, capture_output=True, text=True, check=check, timeout=timeout
        )

    def virsh(
        self, host: Target, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """virsh against the host's own libvirtd (qemu:///system inside the host)."""
        p = self.run_in(host, ["virsh", "-q", "-c", "qemu:///system", *args])
        if check and p.returncode:
            raise AssertionError(f"virsh {' '.join(args)} on {host}: {p.stderr.strip()}")
        return p

    def client_ip(self, client: LabClient | str) -> str | None:
        """The IPv4 address on the client's eth0 right now (None when it has none)."""
        c = self._client(client)
        p = self.run_in(c, ["ip", "-4", "-j", "addr", "show", "dev", "eth0"], check=True)
        for link in json.loads(p.stdout or "[]"):
            for a in link.get("addr_info", []):
                return str(a["local"])
        return None

    def client_renew(self, client: LabClient | str, timeout: float = 20) -> str:
        """Make udhcpc renew (SIGUSR1) and wait for its next lease (held by the client and
        listed by libvirt); returns the address.

        A renew the server refuses (NAK, e.g. the MAC now has a reservation elsewhere)
        makes udhcpc start over, which takes about 3 s more."""
        c = self._client(client)
        seen = len(self._events(c))
        os.kill(self._pid(c), signal.SIGUSR1)
        return self._wait_lease(c, seen, timeout)

    def client_restart(
        self, client: LabClient | str, release: bool = True, timeout: float = 20
    ) -> str:
        """Restart the client's udhcpc as lab/up started it (releasing its lease first),
        e.g. to give the unreserved client back its first address."""
        c = self._client(client)
        seen = len(self._events(c))
        if release:
            os.kill(self._pid(c), signal.SIGUSR2)
            self._wait_event(c, seen, ("deconfig",), timeout)
            seen = len(self._events(c))
        subprocess.run(
            ["python3", str(ROOT / "lab/labctl.py"), "restart-client", c.name],
            check=True,
            # lab.json has the lab's prefix and offset; a caller's exported ones (another lab's)
            # would be refused
            env={
                **{k: v for k, v in os.environ.items() if k not in _LAB_NAMING},
                "TROPCONSOLE_LAB_DIR": str(self.dir),
            },
            capture_output=True,
        )
        return self._wait_lease(c, seen, timeout)

    def attach_clients(self, host: LabHost | str) -> None:
        """Plug the host's clients back into virbr0, e.g. after net-destroy + net-start."""
        for c in self.clients_of(host):
            port = c.name.rsplit("-", 1)[1]
            self.run_in(host, ["ip", "link", "set", port, "master", "virbr0", "up"], check=True)

    def sshd_stop(self, host: LabHost | str) -> None:
        """Stop the host's sshd (open sessions stay); sshd_start brings it back."""
        h = host if isinstance(host, LabHost) else self.host(host)
        pid = int((h.dir / "run/sshd.pid").read_text().strip())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _answers_ssh(h.address) and time.monotonic() < deadline:
            time.sleep(0.1)

    def sshd_start(self, host: LabHost | str) -> None:
        h = host if isinstance(host, LabHost) else self.host(host)
        sshd = ["/usr/sbin/sshd", "-f", str(h.dir / "sshd_config"), "-E", str(h.dir / "sshd.log")]
        self.run_in(h, sshd, check=True)
        deadline = time.monotonic() + 10
        while not _answers_ssh(h.address):
            if time.monotonic() > deadline:
                raise AssertionError(f"{h.name}: sshd did not come back")
            time.sleep(0.1)

    def leases(self, host: Target) -> list[tuple[str, str]]:
        """(mac, ip) of `virsh net-dhcp-leases default`."""
        out = self.virsh(host, "net-dhcp-leases", "default").stdout
        rows = [line.split() for line in out.splitlines() if line.strip()]
        return [(r[2].lower(), r[4].split("/")[0]) for r in rows if len(r) >= 5]

    def _client(self, c: LabClient | str) -> LabClient:
        return self.client(c) if isinstance(c, str) else c

    @staticmethod
    def _pid(c: LabClient) -> int:
        return int(c.pidfile.read_text().strip())

    @staticmethod
    def _events(c: LabClient) -> list[list[str]]:
        try:
            return [line.split() for line in c.events.read_text().splitlines()]
        except FileNotFoundError:
            return []

    def _wait_event(
        self, c: LabClient, seen: int, kinds: tuple[str, ...], timeout: float
    ) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ev in self._events(c)[seen:]:
                if len(ev) >= 2 and ev[1] in kinds:
                    return ev
            time.sleep(0.1)
        log = Path(str(c.pidfile).replace(".pid", ".log"))
        tail = log.read_text()[-600:] if log.exists() else ""
        raise AssertionError(f"{c.name}: no {'/'.join(kinds)} within {timeout}s\n{tail}")

    def _wait_lease(self, c: LabClient, seen: int, timeout: float) -> str:
        """The client's next lease, once libvirt lists it too (dnsmasq reports leases to
        libvirt a moment after it acks them)."""
        deadline = time.monotonic() + timeout
        ip = self._wait_event(c, seen, ("bound", "renew"), timeout)[2]
        while (c.mac, ip) not in self.leases(c.host):
            if time.monotonic() > deadline:
                raise AssertionError(f"{c.name}: holds {ip}, but libvirt does not list it")
            time.sleep(0.1)
        return ip


def load_lab(lab_dir: Path) -> Lab:
    state = json.loads((lab_dir / "lab.json").read_text())
    hosts = tuple(
        LabHost(
            name=h["name"],
            index=h["index"],
            netns=h["netns"],
            address=h["address"],
            mount_ns=h["mount_ns"],
            uts_ns=h["uts_ns"],
            libvirt_uri=h["libvirt_uri"],
            bridges=dict(h["bridges"]),
            dir=Path(h["dir"]),
        )
        for h in state["hosts"]
    )
    clients = tuple(
        LabClient(
            name=c["name"],
            host=c["host"],
            netns=c["netns"],
            mac=c["mac"],
            reserved_ip=c["reserved_ip"],
            range=(c["range"][0], c["range"][1]),
            pidfile=Path(c["pidfile"]),
            events=Path(c["events"]),
        )
        for c in state["clients"]
    )
    return Lab(
        dir=lab_dir,
        inventory=Path(state["inventory"]),
        repo=Path(state["repo"]),
        ssh_config=Path(state["ssh_config"]),
        known_hosts=Path(state["known_hosts"]),
        identity=Path(state["identity"]),
        ssh_wrapper=Path(state["ssh_wrapper"]),
        hosts=hosts,
        clients=clients,
    )


def _answers_ssh(addr: str) -> bool:
    try:
        with socket.create_connection((addr, 22), timeout=2) as s:
            s.settimeout(2)
            return s.recv(64).startswith(b"SSH-")
    except OSError:
        return False


@pytest.fixture(scope="session")
def lab() -> Lab:
    lab_dir = Path(os.environ.get("TROPCONSOLE_LAB_DIR") or DEFAULT_LAB_DIR)
    if not (lab_dir / "lab.json").exists():
        pytest.fail(f"the lab is not up in {lab_dir} (no lab.json): run lab/up", pytrace=False)
    try:
        lab = load_lab(lab_dir)
    except (OSError, ValueError, KeyError) as err:
        pytest.fail(f"the lab in {lab_dir} is unreadable ({err}): run lab/up", pytrace=False)
    deadline = time.monotonic() + 10  # a test elsewhere may be restarting an sshd
    while (dead := [h.name for h in lab.hosts if not _answers_ssh(h.address)]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.5)
    if dead:
        pytest.fail(f"lab hosts not answering ssh: {', '.join(dead)}: run lab/up", pytrace=False)
    return lab


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "lab" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.lab)
