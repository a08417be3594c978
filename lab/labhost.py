"""One lab host: namespaces, bridges, its own libvirtd and sshd, and its DHCP clients."""

from __future__ import annotations

import ipaddress
import json
import os
import shlex
import socket
import subprocess
import time
from pathlib import Path

import labrepo
import labvms
from labcore import CLIENTS, MOUNTS, VIRSH, Lab, LabError, make_client_netns, run, write


def _root_locked() -> bool:
    try:
        for line in Path("/etc/shadow").read_text().splitlines():
            if line.startswith("root:"):
                return line.split(":")[1].startswith("!")
    except OSError:
        pass
    return False


LIBVIRTD_CONF = """\
# tropconsole lab: local unix sockets only, no auth (the socket is root-only).
listen_tls = 0
listen_tcp = 0
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
"""


# The lab's domains are defined, never started. libvirt probes qemu as this user and, on
# the next lookup, checks /dev/kvm as this user too: with libvirt-qemu (no access to a
# root-only /dev/kvm) the two disagree and every definition re-probes qemu (~40 s).
QEMU_CONF = """\
# tropconsole lab: domains are only defined, never run.
user = "root"
group = "root"
"""


SSHD_CONF = """\
# tropconsole lab host {host}: root by the lab's key only, on the management veth.
ListenAddress {addr}:22
HostKey {hdir}/ssh_host_ed25519_key
PidFile /run/sshd.pid
AuthorizedKeysFile {labdir}/authorized_keys
PermitRootLogin prohibit-password
AllowUsers root
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM {usepam}
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowAgentForwarding no
AllowTcpForwarding no
MaxStartups 200:30:400
MaxSessions 64
Subsystem sftp internal-sftp
"""


def _net_setup(lab: Lab, i: int, cfg: labrepo.HostConfig) -> None:
    host = lab.host(i)
    ns = lab.netns(host)
    main_ip, host_ip = lab.mgmt(i)
    ipn = ("ip", "-n", ns)
    run("ip", "netns", "add", ns)
    run(*ipn, "link", "set", "lo", "up")
    link = lab.mgmt_link(i)
    run("ip", "link", "add", link, "type", "veth", "peer", "name", "mgmt0", "netns", ns)
    run("ip", "addr", "add", f"{main_ip}/30", "dev", link)
    run("ip", "link", "set", link, "up")
    run(*ipn, "addr", "add", f"{host_ip}/30", "dev", "mgmt0")
    run(*ipn, "link", "set", "mgmt0", "up")
    # Bridges from the interfaces file; each port is a veth whose far end sits unused in
    # the lab's wire namespace (works where the kernel has no dummy driver).
    for n, iface in enumerate(cfg.ifaces):
        mac = f"0c:c4:7a:35:{i:02x}:{6 + n:02x}"
        ports = iface.ports or (iface.name,)
        if iface.ports:
            br = f"link add {iface.name} address {mac} type bridge stp_state 0 forward_delay 0"
            run(*ipn, *br.split())
        for port in ports:
            peer = f"h{i:02d}{port}"[:15]
            veth = (
                f"link add {port} address {mac} type veth peer name {peer} netns {lab.wire_netns}"
            )
            run(*ipn, *veth.split())
            run("ip", "-n", lab.wire_netns, "link", "set", peer, "up")
            if iface.ports:
                run(*ipn, "link", "set", port, "master", iface.name, "up")
        extra = ("broadcast", iface.broadcast) if iface.broadcast else ()
        run(*ipn, "addr", "add", iface.address, *extra, "dev", iface.name)
        run(*ipn, "link", "set", iface.name, "up")


def _mount_setup(lab: Lab, host: str) -> None:
    hd = lab.hdir(host)
    for sub in MOUNTS.values():
        (hd / sub).mkdir(parents=True, exist_ok=True)
    (hd / "run/libvirt").mkdir(exist_ok=True)
    (hd / "run/sshd").mkdir(mode=0o755, exist_ok=True)
    write(hd / "etc-libvirt/libvirtd.conf", LIBVIRTD_CONF)
    write(hd / "etc-libvirt/qemu.conf", QEMU_CONF)
    write(hd / "resolv.conf", "# tropconsole lab: no resolvers, nothing leaves the host\n")
    for kind in ("mnt", "uts"):
        lab.ns_file(host, kind).touch()
    script = [
        "set -e",
        # Copies of other namespaces' bind mounts (ip netns, other labs) would pin them.
        "findmnt -rn -t nsfs -o TARGET | sort -r | xargs -r -n1 umount -l || true",
        "mount -t sysfs -o nosuid,nodev,noexec sysfs /sys",
    ]
    for inside, sub in MOUNTS.items():
        script.append(f"mount --bind {shlex.quote(str(hd / sub))} {inside}")
    script.append(f"mount --bind {shlex.quote(str(hd / 'resolv.conf'))} /etc/resolv.conf")
    # The simulated host's root must not run this machine's shell start-up files (a
    # developer's pyenv init in ~/.bashrc costs ~200 ms per SSH exec and can hang on a lock).
    write(hd / "empty-rc", "# tropconsole lab: no shell start-up files on a lab host\n")
    for rc in ("/root/.bashrc", "/root/.profile", "/root/.bash_profile"):
        if Path(rc).is_file():
            script.append(f"mount --bind {shlex.quote(str(hd / 'empty-rc'))} {rc}")
    script.append(f"hostname {host}")
    net = f"--net=/run/netns/{lab.netns(host)}"
    mnt, uts = f"--mount={lab.ns_file(host, 'mnt')}", f"--uts={lab.ns_file(host, 'uts')}"
    unshare = ("unshare", mnt, uts, "--propagation", "private")
    run("nsenter", net, "--", *unshare, "sh", "-c", "\n".join(script))


def _start_libvirt(lab: Lab, i: int, cfg: labrepo.HostConfig, deadline: float) -> None:
    host = lab.host(i)
    hd = lab.hdir(host)
    run(*lab.enter(host), "libvirtd", "-d")
    sock = hd / "run/libvirt/libvirt-sock"
    while True:
        if (
            sock.exists()
            and not run(*lab.enter(host), *VIRSH, "net-list", "--name", check=False).returncode
        ):
            break
        if time.monotonic() > deadline:
            log = (hd / "log/libvirtd.log").read_text()[-1500:] if (hd / "log").exists() else ""
            raise LabError(f"{host}: libvirtd did not answer in time\n{log}")
        time.sleep(0.1)
    cmds = []
    for name in sorted(cfg.networks):
        f = hd / f"net-{name}.xml"
        write(f, cfg.networks[name])
        cmds += [f"net-define {shlex.quote(str(f))}", f"net-start {name}", f"net-autostart {name}"]
    run(*lab.enter(host), *VIRSH, " ; ".join(cmds))


def _start_sshd(lab: Lab, i: int) -> None:
    host = lab.host(i)
    hd = lab.hdir(host)
    conf = SSHD_CONF.format(
        host=host,
        addr=lab.mgmt(i)[1],
        hdir=hd,
        labdir=lab.dir,
        usepam="yes" if _root_locked() else "no",
    )
    write(hd / "sshd_config", conf)
    sshd = ("/usr/sbin/sshd", "-f", str(hd / "sshd_config"), "-E", str(hd / "sshd.log"))
    run(*lab.enter(host), *sshd)


def client_plan(lab: Lab, i: int, cfg: labrepo.HostConfig) -> list[dict]:
    host = lab.host(i)
    reserved = sorted(cfg.reservations.items(), key=lambda kv: ipaddress.IPv4Address(kv[1]))
    if len(reserved) < 2:
        raise LabError(f"{host}: the default network needs at least 2 reservations for clients")
    base = reserved[0][0][:15]
    out = []
    for c, (mac, ip) in zip(CLIENTS, [*reserved[:2], (f"{base}e3", None)], strict=True):
        out.append(
            {
                "name": f"{host}-{c}",
                "client": c,
                "host": host,
                "netns": lab.client_netns(host, c),
                "mac": mac,
                "reserved_ip": ip,
                "request_ip": None if ip else cfg.range_end,
                "range": [cfg.range_start, cfg.range_end],
                "pidfile": str(lab.dir / "clients" / f"{host}-{c}.pid"),
                "events": str(lab.dir / "clients" / f"{host}-{c}.events"),
                "log": str(lab.dir / "clients" / f"{host}-{c}.log"),
                "host_port": c,
            }
        )
    return out


def start_client(lab: Lab, c: dict) -> None:
    """Plug the client into its host's virbr0 and start udhcpc (also used to restart one)."""
    ns, hns = make_client_netns(lab, c)
    run("ip", "-n", hns, "link", "set", c["host_port"], "master", "virbr0", "up")
    # nsenter, not `ip netns exec`: no private mount namespace holding copies of mounts.
    script = lab.dir / "udhcpc-script"
    cmd = ["nsenter", f"--net=/run/netns/{ns}", "--", "udhcpc", "-f", "-i", "eth0"]
    cmd += ["-s", str(script), "-p", c["pidfile"], "-t", "6", "-T", "1", "-A", "1"]
    if c.get("request_ip"):
        cmd += ["-r", c["request_ip"]]
    Path(c["log"]).parent.mkdir(parents=True, exist_ok=True)
    with open(c["log"], "ab") as log:
        subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={
                "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
                "LAB_CLIENT_EVENTS": c["events"],
            },
        )


def lease_of(c: dict) -> str | None:
    """The address of the client's last bound/renew event, or None."""
    try:
        lines = Path(c["events"]).read_text().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        parts = line.split()
        if len(parts) >= 2 and parts[1] in ("deconfig", "nak", "leasefail"):
            return None
        if len(parts) >= 3 and parts[1] in ("bound", "renew"):
            return parts[2]
    return None


def client_ok(lab: Lab, c: dict) -> str | None:
    """None when the client holds the lease it should, else what is wrong."""
    ip = lease_of(c)
    if ip is None:
        return "no lease yet"
    if c["reserved_ip"] and ip != c["reserved_ip"]:
        return f"holds {ip}, reserved {c['reserved_ip']}"
    lo, hi = (ipaddress.IPv4Address(a) for a in c["range"])
    if not lo <= ipaddress.IPv4Address(ip) <= hi:
        return f"holds {ip}, outside the range {lo}-{hi}"
    status = lab.hdir(c["host"]) / "lib/dnsmasq/virbr0.status"
    try:
        leases = json.loads(status.read_text() or "[]")
    except (OSError, ValueError):
        leases = []
    if not any(e.get("mac-address") == c["mac"] and e.get("ip-address") == ip for e in leases):
        return f"holds {ip} but libvirt does not list the lease yet"
    return None


def sshd_ok(addr: str) -> bool:
    try:
        with socket.create_connection((addr, 22), timeout=1) as s:
            s.settimeout(1)
            return s.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def bring_up_host(lab: Lab, i: int, cfg: labrepo.HostConfig, deadline: float) -> dict[str, float]:
    host = lab.host(i)
    steps: dict[str, float] = {}
    t = time.monotonic()

    def step(name: str) -> None:
        nonlocal t
        now = time.monotonic()
        steps[name] = round(now - t, 2)
        t = now

    try:
        _net_setup(lab, i, cfg)
        step("net")
        _mount_setup(lab, host)
        step("mounts")
        _start_libvirt(lab, i, cfg, deadline)
        step("libvirt")
        labvms.make_checkout(lab, host)
        step("checkout")
        _start_sshd(lab, i)
        step("sshd")
        for c in client_plan(lab, i, cfg):
            start_client(lab, c)
        step("clients")
    except LabError as err:
        raise LabError(f"{host}: {err}") from None
    return steps
