"""Start and stop the lab fleet: N trop hosts as namespaces on this machine.

Each host is a network namespace plus a persisted mount and UTS namespace with its own
/run, /etc/libvirt, /var/{lib,log,cache}/libvirt: its own libvirtd (network driver,
real dnsmasq) and its own sshd on the management veth. DHCP clients are udhcpc in
their own namespaces, plugged into the host's virbr0. Only veth links the lab made
connect these namespaces; nothing is routed anywhere else.

Used through lab/up and lab/down; stdlib only, so any python3 runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import labrepo
import labvms
from labcore import HERE, MARKER, MOUNTS, Lab, LabError, read_pid, run, say, write
from labdown import down, kill_all
from labfiles import write_client_files, write_keys
from labhost import bring_up_host, client_ok, client_plan, lease_of, sshd_ok, start_client


def _prereqs() -> None:
    missing = [
        b
        for b in (
            *("libvirtd", "virsh", "dnsmasq", "udhcpc", "ip", "nsenter", "unshare", "git"),
            *("ping", "qemu-system-x86_64"),
        )
        if not shutil.which(b)
    ]
    missing += [b for b in ("/usr/sbin/sshd", "ssh", "ssh-keygen") if not shutil.which(b)]
    if not (shutil.which("iptables") or shutil.which("iptables-nft")):
        missing.append("iptables")
    if missing:
        raise LabError(f"missing {', '.join(missing)}: `bash scripts/dev lab-up` installs them")
    if os.geteuid() != 0:
        raise LabError("the lab needs root (namespaces, mounts, daemons)")
    # libvirtd's QEMU driver refuses to start without its user and group.
    # (check=False and a second look: another lab/up may be creating them right now)
    if run("getent", "group", "libvirt-qemu", check=False).returncode:
        run("groupadd", "--system", "libvirt-qemu", check=False)
    if run("getent", "passwd", "libvirt-qemu", check=False).returncode:
        add = "useradd --system -g libvirt-qemu -M -d /var/lib/libvirt -s /usr/sbin/nologin"
        run(*add.split(), "libvirt-qemu", check=False)
    if run("getent", "passwd", "libvirt-qemu", check=False).returncode:
        raise LabError("could not create the libvirt-qemu user libvirtd needs")
    # Mount points for the private binds (what libvirt-daemon-system would create).
    for p in MOUNTS:
        Path(p).mkdir(parents=True, exist_ok=True)


def up(lab: Lab, n: int, timeout: float) -> dict:
    t0 = time.monotonic()
    deadline = t0 + timeout
    _prereqs()
    problems = down(lab)
    if problems:
        raise LabError("could not clean up the previous lab: " + "; ".join(problems))
    for i in range(1, n + 1):
        lab.mgmt(i)
    taken = run("ip", "-4", "-o", "addr", "show").stdout
    for i in range(1, n + 1):
        if re.search(rf"\binet {re.escape(lab.mgmt(i)[0])}/", taken):
            raise LabError(
                f"{lab.mgmt(i)[0]} is already in use (another lab?): "
                "pick another TROPCONSOLE_LAB_OFFSET"
            )
    lab.dir.mkdir(parents=True, exist_ok=True)
    (lab.dir / MARKER).touch()
    write(lab.dir / "lab.pre.json", json.dumps({"prefix": lab.prefix, "offset": lab.offset}))
    (lab.dir / "ns").mkdir()
    run("mount", "--bind", str(lab.dir / "ns"), str(lab.dir / "ns"))
    run("mount", "--make-private", str(lab.dir / "ns"))
    (lab.dir / "clients").mkdir()
    # A copy, so that a running lab does not change when the checkout does.
    shutil.copy2(HERE / "udhcpc-script", lab.dir / "udhcpc-script")

    tc = shutil.which("tropconsole") or str(HERE.parent / ".venv/bin/tropconsole")
    head = labrepo.make_repo(lab.dir / "repo", n, tc)
    cfgs = {i: labrepo.load_host(lab.dir / "repo", lab.host(i)) for i in range(1, n + 1)}
    write_keys(lab, n)
    write_client_files(lab, n)
    run("ip", "netns", "add", lab.wire_netns)

    with ThreadPoolExecutor(max_workers=min(n, 8)) as pool:
        futures = [pool.submit(bring_up_host, lab, i, cfgs[i], deadline) for i in cfgs]
        errors = [str(e) for f in futures if (e := f.exception())]
    if errors:
        raise LabError("\n".join(errors))
    host_steps = {lab.host(i): f.result() for i, f in zip(cfgs, futures, strict=True)}
    t_hosts = time.monotonic() - t0

    clients = [c for i in cfgs for c in client_plan(lab, i, cfgs[i])]

    _wait_ready(lab, list(cfgs), clients, deadline, timeout)
    t_ready = time.monotonic() - t0
    _check_ssh(lab, list(cfgs))
    domains, bridge_clients = labvms.bring_up_vms(lab, cfgs)
    t_vms = time.monotonic() - t0

    hosts = []
    for i in cfgs:
        host = lab.host(i)
        hd = lab.hdir(host)
        hosts.append(
            {
                "name": host,
                "index": i,
                "netns": lab.netns(host),
                "mount_ns": str(lab.ns_file(host, "mnt")),
                "uts_ns": str(lab.ns_file(host, "uts")),
                "address": lab.mgmt(i)[1],
                "main_address": lab.mgmt(i)[0],
                "mgmt_link": lab.mgmt_link(i),
                "libvirt_uri": lab.libvirt_uri(i),
                "bridges": {f.name: f.address for f in cfgs[i].ifaces},
                "dir": str(hd),
                "pids": {
                    "libvirtd": read_pid(hd / "run/libvirtd.pid"),
                    "sshd": read_pid(hd / "run/sshd.pid"),
                    "dnsmasq": read_pid(hd / "run/libvirt/network/default.pid"),
                },
            }
        )
    for c in clients:
        c["ip"] = lease_of(c)
    state = {
        "version": 1,
        "dir": str(lab.dir),
        "prefix": lab.prefix,
        "offset": lab.offset,
        "count": n,
        "repo": str(lab.dir / "repo"),
        "repo_head": head,
        "inventory": str(lab.dir / "inventory.toml"),
        "ssh_config": str(lab.dir / "ssh_config"),
        "known_hosts": str(lab.dir / "known_hosts"),
        "identity": str(lab.dir / "id_ed25519"),
        "ssh_wrapper": str(lab.ssh_wrapper),
        "wire_netns": lab.wire_netns,
        "udhcpc_script": str(lab.dir / "udhcpc-script"),
        "hosts": hosts,
        "clients": clients,
        "domains": domains,
        "bridge_clients": bridge_clients,
        "checkout": labvms.CHECKOUT,
        "timings": {
            "hosts": round(t_hosts, 2),
            "ready": round(t_ready, 2),
            "vms": round(t_vms - t_ready, 2),
            "total": round(time.monotonic() - t0, 2),
            "per_host": host_steps,
        },
    }
    write(lab.dir / "lab.json", json.dumps(state, indent=2) + "\n")
    (lab.dir / "lab.pre.json").unlink()
    return state


def _wait_ready(
    lab: Lab, idx: list[int], clients: list[dict], deadline: float, timeout: float
) -> None:
    """Until every sshd answers and every client holds the lease it should."""
    while True:
        pending = {}
        for i in idx:
            if not sshd_ok(lab.mgmt(i)[1]):
                pending[lab.host(i)] = "sshd does not answer"
        for c in clients:
            if (why := client_ok(lab, c)) is not None:
                pending[c["name"]] = why
        if not pending:
            return
        if time.monotonic() > deadline:
            raise LabError(
                f"not ready after {timeout:.0f}s: "
                + "; ".join(f"{k}: {v}" for k, v in sorted(pending.items()))
            )
        time.sleep(0.2)


def _check_ssh(lab: Lab, idx: list[int]) -> None:
    """Every host answers ssh (lab key, strict known_hosts) and libvirt over qemu+ssh."""

    def one(i: int) -> str | None:
        host = lab.host(i)
        p = run("ssh", "-F", str(lab.dir / "ssh_config"), host, "hostname", check=False)
        if p.returncode or p.stdout.strip() != host:
            return f"{host}: ssh failed: {p.stderr.strip() or p.stdout.strip()}"
        p = run("virsh", "-c", lab.libvirt_uri(i), "net-list", "--name", check=False)
        if p.returncode or "default" not in p.stdout.split():
            return f"{host}: virsh over qemu+ssh failed: {p.stderr.strip()}"
        return None

    with ThreadPoolExecutor(max_workers=min(len(idx), 8)) as pool:
        errors = [e for e in pool.map(one, idx) if e]
    if errors:
        raise LabError("\n".join(errors))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="lab")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="start N hosts (default 4)")
    p_up.add_argument("n", nargs="?", type=int, default=4)
    p_up.add_argument(
        "--timeout", type=float, default=float(os.environ.get("TROPCONSOLE_LAB_TIMEOUT", "90"))
    )
    sub.add_parser("down", help="remove everything the lab made")
    p_cl = sub.add_parser("restart-client", help="restart one client's udhcpc (by name)")
    p_cl.add_argument("name")
    args = ap.parse_args(argv)
    try:
        lab = Lab.from_env()
        if args.cmd == "up":
            if not 1 <= args.n <= 50:
                raise LabError(f"N={args.n}: the lab runs 1 to 50 hosts")
            t = time.monotonic()
            state = up(lab, args.n, args.timeout)
            _summary(state, time.monotonic() - t)
        elif args.cmd == "down":
            t = time.monotonic()
            problems = down(lab)
            if problems:
                raise LabError("lab/down left things behind: " + "; ".join(problems))
            say(f"down: {lab.dir} and prefix {lab.prefix!r} clean ({time.monotonic() - t:.1f}s)")
        elif args.cmd == "restart-client":
            state = json.loads((lab.dir / "lab.json").read_text())
            c = next(c for c in state["clients"] if c["name"] == args.name)
            pid = read_pid(Path(c["pidfile"]))
            if pid and "udhcpc" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                kill_all({pid})
            start_client(lab, c)
    except LabError as err:
        say(f"FAILED: {err}")
        if args.cmd == "up":
            say("the half-started lab stays for inspection; lab/down removes it")
        return 1
    return 0


def _summary(state: dict, secs: float) -> None:
    say(f"up: {state['count']} host(s) in {secs:.1f}s, lab dir {state['dir']}")
    for h in state["hosts"]:
        cl = [c for c in state["clients"] if c["host"] == h["name"]]
        leases = ", ".join(f"{c['client']}={c['ip']}" for c in cl)
        say(f"  {h['name']}  ssh root@{h['address']}  netns {h['netns']}  {leases}")
    say(f"  inventory: {state['inventory']}")
    say(f"  ssh -F {state['ssh_config']} trop01    |  lab/down to stop")


if __name__ == "__main__":
    sys.exit(main())
