"""Machines on the lab hosts: defined domains, a bridged client, each host's own checkout.

* Domains (defined, never started: no KVM needed; libvirt's QEMU driver accepts a
  ``type='qemu'`` definition once qemu-system-x86 is installed) on the first
  ``DOMAIN_HOSTS`` hosts, chosen so every verdict of the VMs view occurs:
    web<NN>      default: a reserved MAC (ok); bridged: ``<base>b1`` (no DHCP), whose MAC
                 the bridged client uses, so br0's neighbour table holds it
    db<NN>       default: another reserved MAC (ok)
    scratch<NN>  default: ``<base>d1``, unreserved (no reservation); br0 (type='bridge'):
                 ``52:54:00:aa:<NN>:01``, outside every host's range
  and on trop02 ``moved02``: a NIC on default with a MAC trop01's git reserves
  (reserved elsewhere).
* The bridged client: namespace ``<prefix>-tropNN-pub`` on a veth plugged into br0, with
  web's bridged MAC and a static address of br0's subnet; it pings the host's br0
  address once, so the host's neighbour table has a real entry (``ip neigh``).
* Every host's checkout: a clone of the lab repo at ``CHECKOUT`` inside the host's mount
  namespace (``/var/local/projects`` is a private bind of ``<hostdir>/projects``).
"""

from __future__ import annotations

import ipaddress
import shlex
import shutil
from pathlib import Path

import labrepo
from labcore import VIRSH, Lab, LabError, make_client_netns, run, write

DOMAIN_HOSTS = 2  # trop01 and trop02 carry domains; the drift tests' trop03 stays clean
CHECKOUT = "/var/local/projects/heliodines/git"
CHECKOUT_UNDER = ("/var/local/projects", "projects")  # mount point -> host dir subdir
PUB = "pub"
# libvirt's QEMU driver probes qemu once per libvirtd before its first definition (~40 s
# on a busy 2-core machine); the result is kept here, outside every lab directory, and
# copied into each domain host's cache, so later labs (and the second host) skip it.
CAPS_SEED = Path("/var/cache/tropconsole-lab/qemu-capabilities")

DOMAIN_XML = """\
<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>{mib}</memory>
  <vcpu>{vcpus}</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
{nics}  </devices>
</domain>
"""


def _nic_xml(nic: dict) -> str:
    source = (
        f"<source network='{nic['network']}'/>"
        if nic["type"] == "network"
        else f"<source bridge='{nic['bridge']}'/>"
    )
    return (
        f"    <interface type='{nic['type']}'><mac address='{nic['mac']}'/>{source}"
        f"<model type='{nic['model']}'/></interface>\n"
    )


def domain_plan(lab: Lab, i: int, cfg: labrepo.HostConfig) -> list[dict]:
    """The domains of host ``i`` (none past ``DOMAIN_HOSTS``), as lab.json lists them."""
    if i > DOMAIN_HOSTS:
        return []
    host = lab.host(i)
    reserved = sorted(cfg.reservations.items(), key=lambda kv: ipaddress.IPv4Address(kv[1]))
    if len(reserved) < 4:
        raise LabError(f"{host}: the default network needs 4 reservations for the lab domains")
    base = reserved[0][0][:15]
    nn = f"{i:02d}"

    def nic(mac: str, *, network: str | None = None, bridge: str | None = None, **kw: str):
        kind = "network" if network else "bridge"
        return {"mac": mac, "type": kind, "network": network, "bridge": bridge, **kw}

    plan = [
        {
            "name": f"web{nn}",
            "vcpus": 2,
            "mib": 512,
            "nics": [
                nic(reserved[2][0], network="default", model="virtio", reserved_ip=reserved[2][1]),
                nic(f"{base}b1", network="bridged", model="virtio"),
            ],
        },
        {
            "name": f"db{nn}",
            "vcpus": 1,
            "mib": 1024,
            "nics": [
                nic(reserved[3][0], network="default", model="e1000", reserved_ip=reserved[3][1])
            ],
        },
        {
            "name": f"scratch{nn}",
            "vcpus": 1,
            "mib": 256,
            "nics": [
                nic(f"{base}d1", network="default", model="virtio"),
                nic(f"52:54:00:aa:{i:02x}:01", bridge="br0", model="rtl8139"),
            ],
        },
    ]
    if i == 2:
        first = labrepo.load_host(lab.dir / "repo", lab.host(1))
        moved = sorted(first.reservations.items(), key=lambda kv: ipaddress.IPv4Address(kv[1]))
        plan.append(
            {
                "name": "moved02",
                "vcpus": 1,
                "mib": 256,
                "nics": [nic(moved[4][0], network="default", model="virtio", elsewhere="trop01")],
            }
        )
    for dom in plan:
        dom["host"] = host
    return plan


def define_domains(lab: Lab, host: str, plan: list[dict]) -> None:
    if not plan:
        return
    hd = lab.hdir(host)
    cmds = []
    for dom in plan:
        f = hd / f"dom-{dom['name']}.xml"
        nics = "".join(_nic_xml(n) for n in dom["nics"])
        write(f, DOMAIN_XML.format(name=dom["name"], mib=dom["mib"], vcpus=dom["vcpus"], nics=nics))
        cmds.append(f"define {shlex.quote(str(f))}")
    run(*lab.enter(host), *VIRSH, " ; ".join(cmds))


def _seed_caps(lab: Lab, host: str) -> None:
    if CAPS_SEED.is_dir():
        dest = lab.hdir(host) / "cache/qemu/capabilities"
        dest.mkdir(parents=True, exist_ok=True)
        for f in CAPS_SEED.glob("*.xml"):
            shutil.copy2(f, dest / f.name)


def _keep_caps(lab: Lab, host: str) -> None:
    found = sorted((lab.hdir(host) / "cache/qemu/capabilities").glob("*.xml"))
    if found:
        CAPS_SEED.mkdir(parents=True, exist_ok=True)
        for f in found:
            shutil.copy2(f, CAPS_SEED / f.name)


def bring_up_vms(lab: Lab, cfgs: dict[int, labrepo.HostConfig]) -> tuple[list[dict], list[dict]]:
    """Define every host's domains (one host after the other: the first one probes qemu
    when no earlier lab left the probe), then start the bridged clients."""
    domains: list[dict] = []
    clients: list[dict] = []
    for i, cfg in cfgs.items():
        plan = domain_plan(lab, i, cfg)
        if plan:
            host = lab.host(i)
            _seed_caps(lab, host)
            define_domains(lab, host, plan)
            _keep_caps(lab, host)
        domains += plan
        pub = bridge_client_plan(lab, i, cfg, plan)
        if pub is not None:
            start_bridge_client(lab, pub)
            clients.append(pub)
    return domains, clients


def make_checkout(lab: Lab, host: str) -> str:
    """Clone the lab repo as the host's own checkout; returns the path inside the host."""
    dest = lab.hdir(host) / CHECKOUT_UNDER[1] / Path(CHECKOUT).relative_to(CHECKOUT_UNDER[0])
    dest.parent.mkdir(parents=True, exist_ok=True)
    run("git", "clone", "-q", str(lab.dir / "repo"), str(dest))
    return CHECKOUT


def bridge_client_plan(lab: Lab, i: int, cfg: labrepo.HostConfig, plan: list[dict]) -> dict | None:
    """The client on br0 with web's bridged MAC, or None on a host without domains."""
    macs = [n["mac"] for d in plan for n in d["nics"] if n.get("network") == "bridged"]
    br0 = next((f for f in cfg.ifaces if f.name == "br0"), None)
    if not macs or br0 is None:
        return None
    iface = ipaddress.IPv4Interface(br0.address)
    hosts = list(iface.network.hosts())
    addr = next(a for a in reversed(hosts) if a != iface.ip)
    host = lab.host(i)
    return {
        "name": f"{host}-{PUB}",
        "host": host,
        "netns": lab.client_netns(host, PUB),
        "mac": macs[0],
        "ip": str(addr),
        "cidr": f"{addr}/{iface.network.prefixlen}",
        "bridge": "br0",
        "host_ip": str(iface.ip),
        "host_port": "vnet0",  # named like a running guest's tap: drift ignores guest taps
    }


def start_bridge_client(lab: Lab, c: dict) -> None:
    """Plug the client into br0 and make the host learn it (one ping, lab-internal)."""
    ns, hns = make_client_netns(lab, c)
    run("ip", "-n", hns, "link", "set", c["host_port"], "master", c["bridge"], "up")
    ping = ["nsenter", f"--net=/run/netns/{ns}", "--", "ping", "-c", "1", "-W", "2"]
    run(*ping, c["host_ip"], check=False)  # the ARP exchange is what matters, not the echo
