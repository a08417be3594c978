"""The lab's config repo: a fresh sample repo plus one lab commit.

The lab commit is what lets the sample fleet run safely and usefully on one machine:
`default` loses its `<forward>` (isolated: nothing is routed anywhere), the last two
addresses of each DHCP range lose their reservation (the sample reserves the whole
range, so without a free address no unreserved client could hold a lease and no test
could reserve anything), and hosts past trop04 are derived from trop01 when the lab
is bigger than the sample.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from labcore import LabError

HOSTS_DIR = "src/cfg/tropo"
LAB_AUTHOR = ("tropconsole lab", "lab@example.invalid")
OPERATOR = ("lab operator", "operator@lab.invalid")
FREED_PER_HOST = 2


@dataclass(frozen=True)
class Iface:
    name: str
    address: str  # "a.b.c.d/len"
    broadcast: str | None
    ports: tuple[str, ...]


@dataclass(frozen=True)
class HostConfig:
    name: str
    ifaces: tuple[Iface, ...]
    networks: dict[str, str]  # network name -> XML ready for net-define
    range_start: str
    range_end: str
    reservations: dict[str, str]  # MAC (lower case) -> IP


def host_dir(repo: Path, host: str) -> Path:
    return repo / HOSTS_DIR / host / "etc"


def parse_interfaces(text: str) -> tuple[Iface, ...]:
    """Just enough of interfaces(5) for the lab: static addresses and bridge ports."""
    out: list[Iface] = []
    cur: dict[str, str] | None = None

    def flush() -> None:
        if cur and cur.get("address"):
            addr = cur["address"]
            if "/" not in addr:
                net = ipaddress.IPv4Network(f"0.0.0.0/{cur.get('netmask', '255.255.255.0')}")
                addr = f"{addr}/{net.prefixlen}"
            ports = tuple(p for p in cur.get("bridge_ports", "").split() if p != "none")
            out.append(Iface(cur["name"], addr, cur.get("broadcast"), ports))

    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] == "iface":
            flush()
            cur = {"name": words[1]} if len(words) >= 4 and words[3] == "static" else None
        elif words[0] in ("auto", "allow-hotplug", "mapping", "source"):
            flush()
            cur = None
        elif cur is not None and len(words) >= 2:
            cur[words[0]] = " ".join(words[1:])
    flush()
    return tuple(out)


def for_libvirt(xml: str) -> str:
    """libvirt refuses an empty `<uuid/>`; drop it so libvirt makes one."""
    return re.sub(r"[ \t]*<uuid\s*(/>|>\s*</uuid>)[ \t]*\n?", "", xml)


def _dhcp_facts(xml: str, path: Path) -> tuple[str, str, dict[str, str]]:
    m = re.search(r"<range\s+start=['\"]([\d.]+)['\"]\s+end=['\"]([\d.]+)['\"]", xml)
    if not m:
        raise LabError(f"{path}: no <range start=... end=...> in the default network")
    hosts = {
        mac.lower(): ip
        for mac, ip in re.findall(
            r"<host\s+mac=['\"]([0-9A-Fa-f:]+)['\"]\s+ip=['\"]([\d.]+)['\"]", xml
        )
    }
    return m.group(1), m.group(2), hosts


def load_host(repo: Path, host: str) -> HostConfig:
    etc = host_dir(repo, host)
    ifaces = parse_interfaces((etc / "network/interfaces").read_text())
    nets: dict[str, str] = {}
    for f in sorted((etc / "libvirt/qemu/networks").glob("*.xml")):
        nets[f.stem] = for_libvirt(f.read_text())
    if "default" not in nets:
        raise LabError(f"{etc}/libvirt/qemu/networks/default.xml is missing")
    start, end, hosts = _dhcp_facts(nets["default"], etc / "libvirt/qemu/networks/default.xml")
    return HostConfig(host, ifaces, nets, start, end, hosts)


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if proc.returncode:
        raise LabError(f"git {' '.join(args)} in {repo} failed: {proc.stderr.strip()}")
    return proc.stdout


def _derive_host(repo: Path, idx: int) -> None:
    """trop0N past the sample, following its scheme: 52:54:00:02:NN:xx, 192.168.(200+N).x,
    br0/br1 addresses counted on from trop01's, reservation names suffixed with NN."""
    src = repo / HOSTS_DIR / "trop01"
    dst = repo / HOSTS_DIR / f"trop{idx:02d}"
    shutil.copytree(src, dst)
    for f in dst.rglob("*"):
        if not f.is_file():
            continue
        text = f.read_text()
        if f.name == "interfaces":

            def bump(m: re.Match[str]) -> str:
                return f"{m.group(1)}{ipaddress.IPv4Address(m.group(2)) + idx - 1}"

            text = re.sub(r"(^\s*address\s+)([\d.]+)", bump, text, flags=re.M)
        else:
            text = re.sub(r"52:54:00:02:01:", f"52:54:00:02:{idx:02d}:", text, flags=re.I)
            text = text.replace("192.168.201.", f"192.168.{200 + idx}.")
            text = re.sub(r"(<host\b[^>]*\bname=['\"])([^'\"]+)", rf"\g<1>\g<2>{idx:02d}", text)
        f.write_text(text)


def _lab_edit_default(path: Path) -> None:
    xml = path.read_text()
    xml = re.sub(r"[ \t]*<forward\b[^>]*/>[ \t]*\n?", "", xml)
    xml = re.sub(r"[ \t]*<forward\b.*?</forward>[ \t]*\n?", "", xml, flags=re.S)
    _, end, _ = _dhcp_facts(xml, path)
    last = ipaddress.IPv4Address(end)
    freed = {str(last - i) for i in range(FREED_PER_HOST)}
    for ip in freed:
        xml = re.sub(rf"[ \t]*<host\b[^>]*\bip=['\"]{re.escape(ip)}['\"][^>]*/>[ \t]*\n?", "", xml)
    path.write_text(xml)


def make_repo(repo: Path, count: int, tropconsole: str) -> str:
    """Create the lab repo; returns the lab commit's id."""
    try:
        proc = subprocess.run(
            [tropconsole, "sample-repo", str(repo)], capture_output=True, text=True
        )
    except FileNotFoundError:
        raise LabError(f"{tropconsole} not found: `bash scripts/dev install` makes it") from None
    if proc.returncode:
        raise LabError(
            f"`{tropconsole} sample-repo {repo}` failed ({proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()}"
        )
    have = {p.name for p in (repo / HOSTS_DIR).iterdir() if p.is_dir()}
    derived = []
    for idx in range(1, count + 1):
        name = f"trop{idx:02d}"
        if name not in have:
            _derive_host(repo, idx)
            derived.append(name)
    for idx in range(1, count + 1):
        _lab_edit_default(host_dir(repo, f"trop{idx:02d}") / "libvirt/qemu/networks/default.xml")
    msg = [
        "lab: isolate every default network, free two DHCP addresses per host",
        "",
        "The lab runs these hosts as namespaces on one machine. Nothing may be routed",
        "anywhere, so `default` loses its <forward> block and becomes an isolated network.",
        f"The sample reserves the whole DHCP range; the last {FREED_PER_HOST} addresses lose",
        "their reservation so an unreserved lab client can hold a real lease and tests",
        "have a free address to reserve.",
    ]
    if derived:
        msg += ["", f"Adds {', '.join(derived)}, derived from trop01 with the same scheme."]
    _git(repo, "add", "-A")
    who = {
        "GIT_AUTHOR_NAME": LAB_AUTHOR[0],
        "GIT_AUTHOR_EMAIL": LAB_AUTHOR[1],
        "GIT_COMMITTER_NAME": LAB_AUTHOR[0],
        "GIT_COMMITTER_EMAIL": LAB_AUTHOR[1],
    }
    _git(repo, "commit", "-q", "-m", "\n".join(msg), env=who)
    _git(repo, "config", "user.name", OPERATOR[0])
    _git(repo, "config", "user.email", OPERATOR[1])
    return _git(repo, "rev-parse", "HEAD").strip()
