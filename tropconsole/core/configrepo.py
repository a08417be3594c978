"""The heliodines config repo: where each host's files live, and reading all of them.

The layout is fixed by the real repo (``src/cfg/tropo/<host>/etc/...``); every other
module asks this one for paths so that a change of layout is a change here only.
Reading is all-or-nothing: one unreadable file fails the whole load with its file and
line, because validating a reservation against a partial fleet could miss a duplicate.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from tropconsole.core.errors import ConfigError

if TYPE_CHECKING:
    from tropconsole.core.models import FleetConfig, HostConfig, InterfacesFile, LibvirtNetwork

HOSTS_DIR = "src/cfg/tropo"
INTERFACES_REL = "etc/network/interfaces"
NETWORKS_REL = "etc/libvirt/qemu/networks"

_INDEX = re.compile(r"(\d+)$")


def host_dir(repo: Path, host: str) -> Path:
    return Path(repo) / HOSTS_DIR / host


def interfaces_path(repo: Path, host: str) -> Path:
    return host_dir(repo, host) / INTERFACES_REL


def networks_dir(repo: Path, host: str) -> Path:
    return host_dir(repo, host) / NETWORKS_REL


def network_path(repo: Path, host: str, network: str) -> Path:
    return networks_dir(repo, host) / f"{network}.xml"


def host_index(name: str) -> int | None:
    """Hyper-visor N owns 52:54:00:02:0N:xx and 192.168.20N.x, so N comes from the name."""
    match = _INDEX.search(name)
    return int(match.group(1)) if match else None


def git_head(repo: Path) -> str | None:
    """HEAD's commit id, or None when ``repo`` is not the top of a git repo or has no commit.

    A plain copy of the tree is still worth reading, so git being absent is not an error;
    a copy inside some other checkout must not report that checkout's HEAD as its own.
    """
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--show-toplevel", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    lines = done.stdout.split("\n")
    if done.returncode != 0 or len(lines) < 2:
        return None
    toplevel, head = lines[0].strip(), lines[1].strip()
    if not toplevel or Path(toplevel).resolve() != Path(repo).resolve():
        return None
    return head or None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(str(path), None, f"not UTF-8 text ({err.reason})") from err
    except OSError as err:
        raise ConfigError(str(path), None, f"cannot read: {err.strerror or err}") from err


def load_host(repo: Path, host: str) -> HostConfig:
    """Read one host's interfaces file (optional) and every network definition it has."""
    # The parsers (and pyexpat) are imported here, not with the module: the console's
    # start-up asks only for host_names(), before its first frame.
    from tropconsole.core.interfaces import parse_interfaces
    from tropconsole.core.models import HostConfig
    from tropconsole.core.netxml import parse_network

    root = host_dir(repo, host)
    ifaces_file = interfaces_path(repo, host)
    interfaces: InterfacesFile | None = None
    if ifaces_file.is_file():
        interfaces = parse_interfaces(_read(ifaces_file), str(ifaces_file))
    networks: list[LibvirtNetwork] = []
    net_dir = networks_dir(repo, host)
    if net_dir.is_dir():
        for xml_file in sorted(net_dir.glob("*.xml")):
            net = parse_network(_read(xml_file), str(xml_file))
            if net.name != xml_file.stem:
                # libvirt names the file after the network; a mismatch means the file
                # would define a different network than the one an operator picks.
                raise ConfigError(
                    str(xml_file),
                    None,
                    f"network is named {net.name!r} but the file is {xml_file.name}; "
                    f"rename the file to {net.name}.xml or fix <name>",
                )
            networks.append(net)
    return HostConfig(
        name=host,
        index=host_index(host),
        interfaces=interfaces,
        networks=tuple(networks),
        root=str(root),
    )


def host_names(repo: Path) -> tuple[str, ...]:
    """Host directories under HOSTS_DIR, sorted; checks the repo looks like heliodines."""
    repo = Path(repo)
    if not repo.exists():
        raise ConfigError(str(repo), None, "config repo not found (check --repo or 'repo')")
    if not repo.is_dir():
        raise ConfigError(str(repo), None, "config repo is not a directory")
    hosts_root = repo / HOSTS_DIR
    if not hosts_root.is_dir():
        raise ConfigError(
            str(repo),
            None,
            f"not a heliodines config repo: expected a {HOSTS_DIR}/<host>/ directory "
            "(e.g. create one with 'tropconsole sample-repo DIR')",
        )
    names = tuple(
        sorted(p.name for p in hosts_root.iterdir() if p.is_dir() and not p.name.startswith("."))
    )
    if not names:
        raise ConfigError(str(hosts_root), None, "no host directories (expected e.g. trop01/)")
    return names


def load_fleet(repo: Path) -> FleetConfig:
    """Read every host of the config repo as it stands on disk, noting HEAD when in git.

    HEAD is read first: if it moves while the files are read, the write path's
    compare-and-swap on HEAD catches it rather than trusting a newer id with older files.
    """
    from tropconsole.core.models import FleetConfig

    repo = Path(repo)
    names = host_names(repo)
    head = git_head(repo)
    hosts = tuple(load_host(repo, name) for name in names)
    return FleetConfig(repo=str(repo), hosts=hosts, head=head, warnings=fleet_warnings(repo, hosts))


# Every hyper-visor runs libvirt's default network; a host without its file is a mistake.
EXPECTED_NETWORKS = ("default",)


def fleet_warnings(repo: Path, hosts: tuple[HostConfig, ...]) -> tuple[str, ...]:
    """What is readable but suspicious: files linked from outside the repo (git versions
    the link, not what it reads) and network files a host lacks that the others have."""
    root = Path(repo).resolve()
    warnings: list[str] = []
    for host in hosts:
        files = [interfaces_path(repo, host.name)]
        net_dir = networks_dir(repo, host.name)
        if net_dir.is_dir():
            files += sorted(net_dir.glob("*.xml"))
        for path in files:
            if not path.exists():
                continue
            target = path.resolve()
            if not target.is_relative_to(root):
                warnings.append(
                    f"{path}: read through a link to {target}, outside the config repo; "
                    "git does not track what is read there (copy the file into the repo)"
                )
    have = {h.name: {n.name for n in h.networks} for h in hosts}
    for host in hosts:
        others = [h for h in hosts if h.name != host.name]
        shared = set(EXPECTED_NETWORKS)
        if len(others) >= 2:
            shared |= set.intersection(*(have[h.name] for h in others))
        for network in sorted(shared - have[host.name]):
            owners = [h.name for h in others if network in have[h.name]]
            verb = "has" if len(owners) == 1 else "have"
            why = f"{', '.join(owners)} {verb} one" if owners else "libvirt's default network"
            warnings.append(
                f"{host.name}: no network file {network}.xml "
                f"(expected {network_path(repo, host.name, network)}; {why})"
            )
    return tuple(warnings)
