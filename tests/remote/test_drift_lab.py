"""Drift and reconciliation produced for real on a lab host, then cleared by ``sync``.

Each test changes one thing on trop03 the way an operator would (``virsh net-update
--live`` or ``--config``, a commit, ``ip link set eth0 nomaster``), runs the real CLI
against the lab (ssh + qemu+ssh), and restores the host in a ``finally`` with plain
virsh/ip commands, so a broken ``sync`` cannot leave the shared lab drifted. Commits go
to a clone of the lab's repo, never to the lab's own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tropconsole.cli import main

HOST = "trop03"  # the live-apply and resilience tests use the last host (trop04)
N = 3
EXTRA_MAC = f"52:54:00:02:{N:02d}:3c"
EXTRA = f"<host mac='{EXTRA_MAC}' name='Drifter' ip='192.168.20{N}.60'/>"


def cli(capsys: pytest.CaptureFixture[str], lab, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--config", str(lab.inventory), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def drift_json(capsys, lab, *extra: str) -> tuple[int, list[dict]]:
    code, out, err = cli(capsys, lab, *extra, "drift", "--host", HOST, "--json", "--level", "info")
    assert code in (0, 3), err
    return code, json.loads(out)["findings"]


def entries(lab, *, inactive: bool) -> str:
    args = ["net-dumpxml", "default", *(["--inactive"] if inactive else [])]
    return lab.virsh(HOST, *args).stdout


def ensure(lab, element: str, *, present: bool) -> None:
    """Put ``element`` in (or out of) both sides of HOST's default network, one side at
    a time so that a side that already agrees is left alone."""
    mac = re.search(r"mac='([^']+)'", element).group(1).lower()
    ip = re.search(r"ip='([^']+)'", element).group(1)
    for inactive, flag in ((False, "--live"), (True, "--config")):
        xml = entries(lab, inactive=inactive).lower()
        has = bool(re.search(rf"<host mac='{mac}'[^>]*ip='{re.escape(ip)}'", xml))
        if has != present:
            cmd = "add-last" if present else "delete"
            lab.virsh(HOST, "net-update", "default", cmd, "ip-dhcp-host", element, flag)


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=drift test",
            "-c",
            "user.email=drift@lab.invalid",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return done.stdout


@pytest.fixture
def clone(lab, tmp_path: Path) -> Path:
    """A clone of the lab's config repo to commit in."""
    dest = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(lab.repo), str(dest)], check=True)
    return dest


def commit_edit(repo: Path, old: str, new: str) -> Path:
    path = repo / f"src/cfg/tropo/{HOST}/etc/libvirt/qemu/networks/default.xml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    git(repo, "commit", "-q", "-am", "drift test")
    return path


@pytest.fixture
def extra_removed(lab) -> Iterator[None]:
    """Whatever the test does with EXTRA, HOST ends without it."""
    try:
        yield
    finally:
        ensure(lab, EXTRA, present=False)


def test_a_clean_lab_reports_nothing_and_exits_0(lab, capsys) -> None:
    code, out, err = cli(capsys, lab, "drift", "--host", HOST)
    assert (code, out) == (0, ""), err
    # the lab's own drift, by design (lab/labvms.py): domains with unreserved NICs on default
    code, out, err = cli(capsys, lab, "drift", "--json")
    warned = {(f["host"], f["kind"], f["mac"]) for f in json.loads(out)["findings"]}
    assert code == 3 and warned == {
        ("trop01", "nic-unreserved", "52:54:00:02:01:d1"),
        ("trop02", "nic-unreserved", "52:54:00:02:02:d1"),
        ("trop02", "nic-unreserved", "52:54:00:02:01:0c"),  # moved02: trop01 reserves it
    }, err
    code, findings = drift_json(capsys, lab)
    # only the unreserved client's lease, at info level: no drift
    assert {f["kind"] for f in findings} == {"lease-unreserved"}


@pytest.mark.parametrize(
    ("flag", "kind", "where"),
    [
        ("--live", "live-only", "only running"),
        ("--config", "config-only", "only persistent"),
    ],
)
def test_one_sided_net_update_is_reported_where_it_is_and_sync_clears_it(
    lab, capsys, extra_removed, flag: str, kind: str, where: str
) -> None:
    lab.virsh(HOST, "net-update", "default", "add-last", "ip-dhcp-host", EXTRA, flag)
    code, findings = drift_json(capsys, lab)
    [f] = [f for f in findings if f["mac"] == EXTRA_MAC]
    assert code == 3
    assert (f["kind"], f["where"], f["network"], f["action"]) == (
        kind,
        where,
        "default",
        "sync-network",
    )
    code, out, err = cli(capsys, lab, "sync", "--host", HOST, "--network", "default")
    assert code == 0, out + err
    assert f"remove <host mac='{EXTRA_MAC}'" in out and "done" in out
    code, out, err = cli(capsys, lab, "drift", "--host", HOST)
    assert (code, out) == (0, ""), err
    assert EXTRA_MAC not in entries(lab, inactive=True).lower()
    assert EXTRA_MAC not in entries(lab, inactive=False).lower()


def test_a_commit_not_applied_is_only_in_git_and_sync_applies_it(
    lab, capsys, clone: Path, extra_removed
) -> None:
    path = commit_edit(clone, "    </dhcp>", f"      {EXTRA}\n    </dhcp>")
    code, findings = drift_json(capsys, lab, "--repo", str(clone))
    [f] = [f for f in findings if f["mac"] == EXTRA_MAC]
    assert code == 3 and (f["kind"], f["where"]) == ("not-applied", "only in git")
    assert f"{path}:" in f["detail"]
    code, out, _ = cli(capsys, lab, "--repo", str(clone), "sync", "--host", HOST, "--dry-run")
    assert code == 0 and "dry run" in out and EXTRA_MAC not in entries(lab, inactive=False)
    code, out, err = cli(capsys, lab, "--repo", str(clone), "sync", "--host", HOST)
    assert code == 0, out + err
    assert f"add <host mac='{EXTRA_MAC}'" in out and "live+config" in out
    code, findings = drift_json(capsys, lab, "--repo", str(clone))
    # networks agree now; what is left: trop03's own checkout lacks the clone's commit
    assert [
        (f["kind"], f["detail"].split(" (")[0]) for f in findings if f["severity"] != "info"
    ] == [("checkout-drift", f"{HOST}'s checkout is 1 commit behind")]
    assert EXTRA_MAC in entries(lab, inactive=True).lower()  # persistent: survives restart


def test_sync_is_refused_in_read_only_mode(lab, capsys) -> None:
    code, out, err = cli(capsys, lab, "--read-only", "sync", "--host", HOST)
    assert code == 2 and "read-only mode" in err and out == ""


def test_a_bridge_that_lost_its_uplink_port(lab, capsys) -> None:
    lab.run_in(HOST, ["ip", "link", "set", "eth0", "nomaster"], check=True)
    try:
        code, findings = drift_json(capsys, lab)
        [f] = [f for f in findings if f["kind"] == "bridge-port-missing"]
        assert code == 3
        assert (f["subject"], f["where"], f["severity"]) == ("br0/eth0", "only in git", "error")
        assert "lost its uplink port eth0" in f["detail"]
        assert "ip link set eth0 master br0" in f["fix"]
    finally:
        lab.run_in(HOST, ["ip", "link", "set", "eth0", "master", "br0", "up"], check=True)
    code, out, _ = cli(capsys, lab, "drift", "--host", HOST)
    assert (code, out) == (0, "")


def test_the_unreserved_clients_lease_has_no_reservation(lab, capsys) -> None:
    [client] = [c for c in lab.clients_of(HOST) if c.reserved_ip is None]
    _, findings = drift_json(capsys, lab)
    [f] = [f for f in findings if f["kind"] == "lease-unreserved"]
    assert f["mac"] == client.mac and f["ip"] == lab.client_ip(client)
    assert f["action"] == "reserve-lease" and f["severity"] == "info"
    code, out, _ = cli(capsys, lab, "leases", "--host", HOST)
    rows = {line.split(",")[2]: line.split(",") for line in out.splitlines()[1:]}
    assert code == 0 and rows[client.mac][6] == "no"
    assert all(rows[c.mac][6] == "yes" for c in lab.clients_of(HOST) if c.reserved_ip)


def test_a_reserved_client_holds_its_old_ip_until_it_renews(lab, capsys, clone: Path) -> None:
    [client] = [c for c in lab.clients_of(HOST) if c.reserved_ip][:1]
    old_ip, new_ip = client.reserved_ip, f"192.168.20{N}.40"
    line = next(
        x
        for x in (clone / f"src/cfg/tropo/{HOST}/etc/libvirt/qemu/networks/default.xml")
        .read_text()
        .splitlines()
        if f"ip='{old_ip}'" in x
    )
    old_el, new_el = line.strip(), line.strip().replace(f"ip='{old_ip}'", f"ip='{new_ip}'")
    commit_edit(clone, old_el, new_el)
    try:
        ensure(lab, old_el, present=False)
        ensure(lab, new_el, present=True)
        code, findings = drift_json(capsys, lab, "--repo", str(clone))
        [f] = [f for f in findings if f["kind"] == "lease-wrong-ip"]
        assert code == 3 and f["mac"] == client.mac and f["ip"] == old_ip
        assert f"reserved {new_ip}" in f["detail"] and "until the guest renews" in f["detail"]
        assert not [f for f in findings if f["aspect"] == "reservation"]  # git == live
        assert lab.client_renew(client, timeout=30) == new_ip
        _, findings = drift_json(capsys, lab, "--repo", str(clone))
        assert not [f for f in findings if f["kind"] == "lease-wrong-ip"]
    finally:
        ensure(lab, new_el, present=False)
        ensure(lab, old_el, present=True)
        if lab.client_ip(client) != old_ip:
            assert lab.client_renew(client, timeout=30) == old_ip


def test_a_live_only_ip_change_is_undone_on_the_running_side_only(lab, capsys) -> None:
    """Running and persistent hold different entries for one MAC: sync must touch the
    running side alone (a LIVE|CONFIG update would be refused or hit the wrong entry)."""
    mac = f"52:54:00:02:{N:02d}:0a"
    old = f"<host mac='{mac}' name='Gwathorien' ip='192.168.20{N}.10'/>"
    new = f"<host mac='{mac}' name='Gwathorien' ip='192.168.20{N}.61'/>"
    lab.virsh(HOST, "net-update", "default", "delete", "ip-dhcp-host", old, "--live")
    try:
        lab.virsh(HOST, "net-update", "default", "add-last", "ip-dhcp-host", new, "--live")
        code, findings = drift_json(capsys, lab)
        got = sorted((f["kind"], f["where"], f["ip"]) for f in findings if f["mac"] == mac)
        assert code == 3 and got == [
            ("live-only", "missing from running", f"192.168.20{N}.10"),
            ("live-only", "only running", f"192.168.20{N}.61"),
        ]
        code, out, err = cli(capsys, lab, "sync", "--host", HOST)
        assert code == 0, out + err
        assert out.count("(live): ok: live") == 2
        code, out, err = cli(capsys, lab, "drift", "--host", HOST)
        assert (code, out) == (0, ""), err
    finally:
        ensure(lab, new, present=False)
        ensure(lab, old, present=True)


def test_inactive_network_unexpected_bridge_and_a_changed_address(lab, capsys) -> None:
    br1 = lab.host(HOST).bridges["br1"]
    lab.virsh(HOST, "net-destroy", "bridged")
    try:
        lab.run_in(HOST, ["ip", "link", "add", "br9", "type", "bridge"], check=True)
        lab.run_in(HOST, ["ip", "addr", "del", br1, "dev", "br1"], check=True)
        lab.run_in(HOST, ["ip", "addr", "add", "192.168.137.99/24", "dev", "br1"], check=True)
        code, findings = drift_json(capsys, lab)
        got = {f["kind"]: f for f in findings if f["kind"] != "lease-unreserved"}
        assert code == 3 and set(got) == {
            "network-inactive",
            "bridge-unexpected",
            "bridge-address",
        }
        assert got["network-inactive"]["subject"] == "bridged"
        assert got["network-inactive"]["fix"].startswith("virsh net-start bridged")
        assert got["bridge-unexpected"]["subject"] == "br9"
        assert f"git {br1}" in got["bridge-address"]["detail"]
        assert "live 192.168.137.99/24" in got["bridge-address"]["detail"]
    finally:
        lab.run_in(HOST, ["ip", "addr", "del", "192.168.137.99/24", "dev", "br1"])
        lab.run_in(HOST, ["ip", "addr", "replace", br1, "brd", "+", "dev", "br1"], check=True)
        lab.run_in(HOST, ["ip", "link", "del", "br9"])
        if "Active:no" in lab.virsh(HOST, "net-info", "bridged").stdout.replace(" ", ""):
            lab.virsh(HOST, "net-start", "bridged")
    code, out, _ = cli(capsys, lab, "drift", "--host", HOST)
    assert (code, out) == (0, "")
