"""The lab is what it says it is: the fleet the remote tests and benchmarks rely on."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import paramiko
import pytest
from conftest import Lab, LabHost, load_lab

ROOT = Path(__file__).resolve().parents[2]


def _ssh(lab: Lab, host: LabHost, known_hosts: Path) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.load_host_keys(str(known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        host.address,
        username="root",
        key_filename=str(lab.identity),
        look_for_keys=False,
        allow_agent=False,
        timeout=5,
    )
    return client


def test_every_host_answers_ssh_with_its_known_host_key(lab: Lab) -> None:
    for host in lab.hosts:
        client = _ssh(lab, host, lab.known_hosts)
        try:
            _, out, _ = client.exec_command("hostname; ip -j addr show dev mgmt0")
            name, addr = out.read().decode().split("\n", 1)
        finally:
            client.close()
        assert name == host.name
        assert json.loads(addr)[0]["addr_info"][0]["local"] == host.address


def test_a_host_key_missing_from_known_hosts_is_refused(lab: Lab, tmp_path: Path) -> None:
    other = tmp_path / "known_hosts"
    lines = lab.known_hosts.read_text().splitlines(keepends=True)
    other.write_text("".join(line for line in lines if not line.startswith(lab.hosts[0].address)))
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        _ssh(lab, lab.hosts[0], other)


def test_ssh_config_and_qemu_ssh_uri_work_without_the_users_ssh(lab: Lab) -> None:
    host = lab.hosts[-1]
    p = subprocess.run(
        ["ssh", "-F", str(lab.ssh_config), host.name, "ip -j addr"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert p.returncode == 0, p.stderr
    assert {link["ifname"] for link in json.loads(p.stdout)} >= {"br0", "br1", "virbr0", "mgmt0"}
    p = subprocess.run(
        ["virsh", "-c", host.libvirt_uri, "net-list", "--name"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert p.returncode == 0, p.stderr
    assert set(p.stdout.split()) == {"bridged", "default"}
    assert "command=" in host.libvirt_uri and str(lab.ssh_wrapper) in host.libvirt_uri


def test_inventory_names_every_host(lab: Lab) -> None:
    inv = tomllib.loads(lab.inventory.read_text())
    assert Path(inv["repo"]) == lab.repo
    assert sorted(inv["hosts"]) == [h.name for h in lab.hosts]
    for host in lab.hosts:
        entry = inv["hosts"][host.name]
        assert entry["ssh_host"] == host.address
        # no libvirt_uri: the console carries libvirt over its own ssh connection
        assert "libvirt_uri" not in entry and "libvirt_transport" not in inv


def test_networks_default_and_bridged_are_active_persistent_and_autostarted(lab: Lab) -> None:
    for host in lab.hosts:
        rows = [r.split() for r in lab.virsh(host, "net-list", "--all").stdout.splitlines()]
        assert sorted(rows) == [
            ["bridged", "active", "yes", "yes"],
            ["default", "active", "yes", "yes"],
        ], host.name
        xml = lab.virsh(host, "net-dumpxml", "default").stdout
        assert "<forward" not in xml, f"{host.name}: default must be isolated"
        assert "<bridge name='br0'/>" in lab.virsh(host, "net-dumpxml", "bridged").stdout


def test_bridges_carry_the_interfaces_file_addresses(lab: Lab) -> None:
    for host in lab.hosts:
        text = (lab.repo / f"src/cfg/tropo/{host.name}/etc/network/interfaces").read_text()
        want = dict(re.findall(r"iface (br\d) inet static\s*\n\s*address ([\d.]+)", text))
        assert set(want) == {"br0", "br1"}
        out = lab.run_in(host, ["ip", "-j", "addr"], check=True).stdout
        links = {link["ifname"]: link for link in json.loads(out)}
        for br, ip in want.items():
            got = [a["local"] for a in links[br]["addr_info"] if a["family"] == "inet"]
            assert got == [ip], f"{host.name} {br}"
        assert links["eth0"].get("master") == "br0"
        assert links["eth1"].get("master") == "br1"


def test_reserved_clients_hold_their_reserved_address(lab: Lab) -> None:
    for host in lab.hosts:
        leases = lab.leases(host)
        reserved = [c for c in lab.clients_of(host) if c.reserved_ip]
        assert len(reserved) >= 2
        for c in reserved:
            assert lab.client_ip(c) == c.reserved_ip, c.name
            assert (c.mac, c.reserved_ip) in leases, c.name


def test_unreserved_client_holds_an_address_in_the_range(lab: Lab) -> None:
    for host in lab.hosts:
        leases = dict(lab.leases(host))
        (c,) = [c for c in lab.clients_of(host) if c.reserved_ip is None]
        ip = lab.client_ip(c)
        assert ip is not None, c.name
        lo, hi = (ipaddress.IPv4Address(a) for a in c.range)
        assert lo <= ipaddress.IPv4Address(ip) <= hi
        assert leases.get(c.mac) == ip


def test_live_reservation_gives_the_unreserved_client_its_address(lab: Lab) -> None:
    host = lab.hosts[-1]  # the shared lab's other users start from trop01
    (c,) = [c for c in lab.clients_of(host) if c.reserved_ip is None]
    before = lab.client_ip(c)
    assert before is not None
    xml = lab.virsh(host, "net-dumpxml", "default").stdout
    taken = set(re.findall(r"<host [^>]*ip='([\d.]+)'", xml)) | {before}
    lo, hi = (ipaddress.IPv4Address(a) for a in c.range)
    free = next(str(hi - k) for k in range(int(hi) - int(lo) + 1) if str(hi - k) not in taken)
    entry = f"<host mac='{c.mac}' ip='{free}' name='labtest'/>"
    lab.virsh(host, "net-update", "default", "add", "ip-dhcp-host", entry, "--live", "--config")
    try:
        assert lab.client_renew(c) == free
        assert lab.client_ip(c) == free
        assert (c.mac, free) in lab.leases(host)
        persistent = lab.virsh(host, "net-dumpxml", "default", "--inactive").stdout
        assert f"ip='{free}'" in persistent
    finally:
        lab.virsh(
            host, "net-update", "default", "delete", "ip-dhcp-host", entry, "--live", "--config"
        )
        restored = lab.client_restart(c)
    assert restored == before
    assert f"ip='{free}'" not in lab.virsh(host, "net-dumpxml", "default", "--inactive").stdout


# ---------------------------------------------------------------- a second lab


def _lab_env(tag: str) -> dict[str, str]:
    pid = os.getpid()
    return {
        **os.environ,
        "TROPCONSOLE_LAB_DIR": f"/tmp/tropconsole-lab-{tag}-{pid}",
        "TROPCONSOLE_LAB_PREFIX": f"t{tag[0]}{pid % 100000}",
        "TROPCONSOLE_LAB_OFFSET": str(150 + pid % 90),
    }


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _traces(env: dict[str, str]) -> list[str]:
    """Everything a lab with this dir/prefix could leave behind."""
    d, prefix = env["TROPCONSOLE_LAB_DIR"], env["TROPCONSOLE_LAB_PREFIX"]
    left = []
    netns = subprocess.run(["ip", "-j", "netns", "list"], capture_output=True, text=True).stdout
    left += [
        f"netns {n['name']}"
        for n in json.loads(netns or "[]")
        if n["name"].startswith(prefix + "-")
    ]
    links = subprocess.run(["ip", "-j", "link"], capture_output=True, text=True).stdout
    left += [
        f"link {x['ifname']}" for x in json.loads(links) if x["ifname"].startswith(prefix + "-")
    ]
    mounts = Path("/proc/self/mountinfo").read_text()
    left += [f"mount {line.split()[4]}" for line in mounts.splitlines() if d in line.split()[4]]
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if d in cmdline and proc.name.isdigit() and int(proc.name) != os.getpid():
            left.append(f"process {proc.name}: {cmdline}")
    if Path(d).exists():
        left.append(f"directory {d}")
    return left


def test_a_second_lab_starts_beside_the_first_and_down_leaves_nothing(lab: Lab) -> None:
    env = _lab_env("s")
    up = [str(ROOT / "lab/up"), "1"]
    down = [str(ROOT / "lab/down")]
    daemons: list[int] = []
    try:
        p = subprocess.run(up, env=env, capture_output=True, text=True, timeout=180)
        assert p.returncode == 0, p.stderr
        state = json.loads((Path(env["TROPCONSOLE_LAB_DIR"]) / "lab.json").read_text())
        assert [h["name"] for h in state["hosts"]] == ["trop01"]
        assert state["hosts"][0]["address"] != lab.hosts[0].address
        ssh = ["ssh", "-F", state["ssh_config"], "trop01", "virsh -q net-list --name"]
        p = subprocess.run(ssh, capture_output=True, text=True, timeout=20)
        assert p.returncode == 0, p.stderr
        assert set(p.stdout.split()) == {"bridged", "default"}

        # The fixture's helpers work on it too: a restarted network gets its clients back.
        other = load_lab(Path(env["TROPCONSOLE_LAB_DIR"]))
        other.virsh("trop01", "net-destroy", "default")
        other.virsh("trop01", "net-start", "default")
        other.attach_clients("trop01")
        for c in other.clients:
            assert other.client_restart(c, release=False) == (c.reserved_ip or c.range[1])
        other.sshd_stop("trop01")
        other.sshd_start("trop01")

        # Half torn down: a daemon and a client namespace gone, lab.json lost.
        subprocess.run(["kill", str(state["hosts"][0]["pids"]["sshd"])], check=True)
        subprocess.run(["ip", "netns", "delete", state["clients"][0]["netns"]], check=True)
        (Path(env["TROPCONSOLE_LAB_DIR"]) / "lab.json").unlink()
        p = subprocess.run(up, env=env, capture_output=True, text=True, timeout=180)
        assert p.returncode == 0, p.stderr
        state = json.loads((Path(env["TROPCONSOLE_LAB_DIR"]) / "lab.json").read_text())
        daemons = [pid for h in state["hosts"] for pid in h["pids"].values()]
        assert len(daemons) == 3 and all(_running(pid) for pid in daemons)
    finally:
        p = subprocess.run(down, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert _traces(env) == []
    assert [pid for pid in daemons if _running(pid)] == []
    again = subprocess.run(down, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    # The shared lab did not notice.
    assert lab.client_ip(lab.clients[0]) == lab.clients[0].reserved_ip


def test_lab_up_fails_clearly_when_the_lab_cannot_start(lab: Lab) -> None:
    env = {**_lab_env("f"), "TROPCONSOLE_LAB_TIMEOUT": "20"}
    shared = lab.hosts[0]
    env["TROPCONSOLE_LAB_OFFSET"] = str(int(shared.address.split(".")[2]) - shared.index)
    try:
        p = subprocess.run(
            [str(ROOT / "lab/up"), "1"], env=env, capture_output=True, text=True, timeout=120
        )
        assert p.returncode != 0
        assert "already in use" in p.stderr
    finally:
        subprocess.run([str(ROOT / "lab/down")], env=env, capture_output=True, timeout=60)
    assert _traces(env) == []
