"""What every part of the lab shares: its layout, names and addresses, and small helpers."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


DEFAULT_DIR = "/tmp/tropconsole-lab"  # noqa: S108 - the documented default


DEFAULT_PREFIX = "tl"


MARKER = ".tropconsole-lab"


CLIENTS = ("c1", "c2", "c3")


VIRSH = ("virsh", "-q", "-c", "qemu:///system")


LAB_FILES = {
    MARKER, "lab.json", "lab.pre.json", "ns", "hosts", "clients", "repo", "id_ed25519",
    "id_ed25519.pub", "authorized_keys", "known_hosts", "ssh_config", "ssh", "inventory.toml",
    "udhcpc-script",
}  # fmt: skip


MOUNTS = {  # path inside the host -> directory under the host's lab dir
    "/run": "run",
    "/etc/libvirt": "etc-libvirt",
    "/var/lib/libvirt": "lib",
    "/var/log/libvirt": "log",
    "/var/cache/libvirt": "cache",
    "/var/local/projects": "projects",  # the host's own checkout of the config repo
}


def say(msg: str) -> None:
    print(f"lab: {msg}", file=sys.stderr, flush=True)


class LabError(Exception):
    pass


def run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check and proc.returncode:
        raise LabError(f"`{shlex.join(cmd)}` failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


@dataclass(frozen=True)
class Lab:
    dir: Path
    prefix: str
    offset: int

    @classmethod
    def from_env(cls) -> Lab:
        d = Path(os.environ.get("TROPCONSOLE_LAB_DIR") or DEFAULT_DIR).resolve()
        prefix = os.environ.get("TROPCONSOLE_LAB_PREFIX") or ""
        offset = os.environ.get("TROPCONSOLE_LAB_OFFSET") or ""
        saved = read_json(d / "lab.json") or read_json(d / "lab.pre.json") or {}
        # Another directory gets its own prefix and addresses unless told otherwise, so a
        # second lab never touches the shared one.
        h = zlib.crc32(str(d).encode())
        own = str(d) == DEFAULT_DIR
        prefix = prefix or saved.get("prefix") or (DEFAULT_PREFIX if own else f"l{h % 46656:x}")
        off = int(offset) if offset else int(saved.get("offset", 0 if own else 100 + h % 100))
        if not re.fullmatch(r"[a-z][a-z0-9]{0,7}", prefix):
            raise LabError(f"TROPCONSOLE_LAB_PREFIX={prefix!r}: 1-8 of [a-z0-9], a letter first")
        if own != (prefix == DEFAULT_PREFIX):
            raise LabError(f"the prefix {DEFAULT_PREFIX!r} goes with {DEFAULT_DIR} and only it")
        if saved.get("prefix", prefix) != prefix or int(saved.get("offset", off)) != off:
            raise LabError(
                f"the lab in {d} was started with prefix {saved['prefix']!r} and offset "
                f"{saved['offset']}: stop it with those (or unset TROPCONSOLE_LAB_PREFIX/OFFSET)"
            )
        return cls(d, prefix, off)

    def host(self, i: int) -> str:
        return f"trop{i:02d}"

    def netns(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    def client_netns(self, host: str, client: str) -> str:
        return f"{self.prefix}-{host}-{client}"

    @property
    def wire_netns(self) -> str:
        return f"{self.prefix}-wire"

    def mgmt_link(self, i: int) -> str:
        return f"{self.prefix}-m{i:02d}"

    def mgmt(self, i: int) -> tuple[str, str]:
        third = self.offset + i
        if not 0 < third < 256:
            raise LabError(f"host {i} with TROPCONSOLE_LAB_OFFSET={self.offset}: past 198.18.255")
        return f"198.18.{third}.1", f"198.18.{third}.2"

    def hdir(self, host: str) -> Path:
        return self.dir / "hosts" / host

    def ns_file(self, host: str, kind: str) -> Path:
        return self.dir / "ns" / f"{host}.{kind}"

    def enter(self, host: str) -> list[str]:
        return [
            "nsenter",
            f"--net=/run/netns/{self.netns(host)}",
            f"--mount={self.ns_file(host, 'mnt')}",
            f"--uts={self.ns_file(host, 'uts')}",
            "--",
        ]

    @property
    def ssh_wrapper(self) -> Path:
        return self.dir / "ssh"

    def libvirt_uri(self, i: int) -> str:
        addr = self.mgmt(i)[1]
        key = self.dir / "id_ed25519"
        return f"qemu+ssh://root@{addr}/system?keyfile={key}&no_tty=1&command={self.ssh_wrapper}"


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def netns_list() -> list[str]:
    out = run("ip", "-j", "netns", "list", check=False).stdout.strip()
    return [n["name"] for n in json.loads(out)] if out else []


def mounts_under(d: Path) -> list[str]:
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mp = line.split()[4].replace("\\040", " ")
        if mp == str(d) or mp.startswith(f"{d}/"):
            out.append(mp)
    return sorted(out, key=len, reverse=True)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def make_client_netns(lab: Lab, c: dict) -> tuple[str, str]:
    """Make the client's namespace with its eth0 (the client's MAC) veth'd to the host, if it
    is not there yet; returns (client netns, host netns)."""
    ns, hns = c["netns"], lab.netns(c["host"])
    if ns not in netns_list():
        run("ip", "netns", "add", ns)
        run("ip", "-n", ns, "link", "set", "lo", "up")
        veth = f"link add {c['host_port']} type veth peer name eth0 netns {ns}"
        run("ip", "-n", hns, *veth.split())
        run("ip", "-n", ns, "link", "set", "eth0", "address", c["mac"], "up")
        if c.get("cidr"):
            run("ip", "-n", ns, "addr", "add", c["cidr"], "dev", "eth0")
    return ns, hns
