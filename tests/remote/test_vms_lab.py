"""VMs, the bridged network and each host's own checkout, against the real lab.

The lab defines qemu domains on trop01 and trop02 (lab/labvms.py, listed in lab.json),
plugs a static client with web01's bridged MAC into trop01's br0, and gives every host a
clone of the lab repo at /var/local/projects/heliodines/git. The checkout tests change
trop01's clone the way an operator would and put it back.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from tropconsole.cli import main
from tropconsole.core.live import DEFAULT_CHECKOUT
from tropconsole.remote.inventory import load_inventory
from tropconsole.remote.poller import FleetPoller

HOST = "trop01"


def state(lab) -> dict:  # type: ignore[no-untyped-def]
    return json.loads((lab.dir / "lab.json").read_text())


def cli_json(capsys, lab, *argv: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code = main(["--config", str(lab.inventory), *argv])
    out, err = capsys.readouterr()
    assert out, err
    return code, json.loads(out)


def test_vms_lists_the_labs_domains_with_a_verdict_per_nic(lab, capsys) -> None:
    code, out = cli_json(capsys, lab, "vms", "--json")
    assert code == 0
    planned = {(d["host"], d["name"]): d for d in state(lab)["domains"]}
    got = {(v["host"], v["name"]): v for v in out["vms"]}
    assert set(got) == set(planned)  # every defined domain, no other (trop03/04 have none)
    for key, vm in got.items():
        plan = planned[key]
        assert (vm["state"], vm["vcpus"], vm["memory_mib"]) == (
            "shut off",
            plan["vcpus"],
            plan["mib"],
        )
        assert [n["mac"] for n in vm["nics"]] == [n["mac"] for n in plan["nics"]]
        for nic, want in zip(vm["nics"], plan["nics"], strict=True):
            assert nic["model"] == want["model"]
            if want.get("reserved_ip"):
                assert (nic["verdict"], nic["reservation"]["ip"]) == ("ok", want["reserved_ip"])
    verdicts = {(k[1], n["mac"][-5:]): n["verdict"] for k, v in got.items() for n in v["nics"]}
    assert verdicts[("web01", "01:b1")] == "no DHCP"  # bridged: no libvirt DHCP
    assert verdicts[("scratch01", "01:d1")] == "no reservation"
    assert verdicts[("scratch01", "01:01")] == "MAC outside the host's range"  # 52:54:00:aa:..
    assert verdicts[("moved02", planned[("trop02", "moved02")]["nics"][0]["mac"][-5:])] == (
        "reserved elsewhere"
    )
    [moved] = got[("trop02", "moved02")]["nics"]
    assert moved["reserved_elsewhere"][0]["host"] == "trop01"
    [scratch_default, scratch_br0] = got[("trop01", "scratch01")]["nics"]
    assert (scratch_br0["type"], scratch_br0["network"], scratch_br0["bridge"]) == (
        "bridge",
        "bridged",
        "br0",
    )
    assert (scratch_default["network"], scratch_default["dhcp"]) == ("default", True)


def test_the_bridged_guests_address_is_seen_on_br0(lab, capsys) -> None:
    [pub] = [c for c in state(lab)["bridge_clients"] if c["host"] == HOST]
    # talk once more from the client (inside the lab), so the entry is fresh
    ping = ["nsenter", f"--net=/run/netns/{pub['netns']}", "--", "ping", "-c1", "-W2"]
    subprocess.run([*ping, pub["host_ip"]], capture_output=True, check=False)
    code, out = cli_json(capsys, lab, "vms", "--host", HOST, "--json")
    assert code == 0
    web = next(v for v in out["vms"] if v["name"] == "web01")
    [bridged] = [n for n in web["nics"] if n["mac"] == pub["mac"]]
    [seen] = [s for s in bridged["seen"] if s["ip"] == pub["ip"]]
    assert seen["dev"] == "br0" and seen["state"] in ("REACHABLE", "STALE", "DELAY", "PROBE")
    assert isinstance(seen["updated_s"], int) and seen["updated_s"] < 600
    assert bridged["lease"] is None  # no libvirt DHCP knows it
    capsys.readouterr()
    main(["--config", str(lab.inventory), "vms", "--host", HOST])
    text = capsys.readouterr().out
    assert f"seen on br0: {pub['ip']}" in text


def test_a_warm_refresh_reads_domains_neighbours_and_checkout_in_one_exec(lab) -> None:
    with FleetPoller(load_inventory(lab.inventory)) as poller:
        poller.poll()
        before = poller.poll().host(HOST)
        after = poller.poll().host(HOST)
    assert before is not None and after is not None and after.snapshot is not None
    assert after.counters.execs == before.counters.execs + 1
    assert after.counters.handshakes == before.counters.handshakes
    snap = after.snapshot
    assert {d.name for d in snap.domains} == {"web01", "db01", "scratch01"}
    assert snap.nics == tuple(n for d in snap.domains for n in d.nics)
    assert snap.checkout is not None and snap.checkout.path == DEFAULT_CHECKOUT
    assert snap.checkout.head == state(lab)["repo_head"] and not snap.checkout.dirty
    assert any(n.dev == "br0" and n.mac for n in snap.neighbours)


@pytest.fixture
def checkout_restored(lab) -> Iterator[str]:  # type: ignore[no-untyped-def]
    head = state(lab)["repo_head"]
    try:
        yield head
    finally:
        lab.run_in(HOST, ["git", "-C", DEFAULT_CHECKOUT, "reset", "-q", "--hard", head], check=True)


def drift_checkout(capsys, lab) -> list[dict]:  # type: ignore[no-untyped-def]
    _, out = cli_json(capsys, lab, "drift", "--host", HOST, "--json", "--level", "info")
    return [f for f in out["findings"] if f["aspect"] == "checkout"]


def test_a_lagging_then_dirty_checkout_is_a_drift_finding(lab, capsys, checkout_restored) -> None:
    assert drift_checkout(capsys, lab) == []  # the clone is current
    lab.run_in(HOST, ["git", "-C", DEFAULT_CHECKOUT, "reset", "-q", "--hard", "HEAD~1"], check=True)
    [f] = drift_checkout(capsys, lab)
    assert (f["kind"], f["severity"]) == ("checkout-drift", "warning")
    assert f"{HOST}'s checkout is 1 commit behind" in f["detail"]
    assert f"git -C {DEFAULT_CHECKOUT} pull --ff-only" in f["fix"]
    lab.run_in(HOST, ["git", "-C", DEFAULT_CHECKOUT, "reset", "-q", "--hard", checkout_restored])
    lab.run_in(HOST, f"echo '# local edit' >> {DEFAULT_CHECKOUT}/README.md", check=True)
    [f] = drift_checkout(capsys, lab)
    assert f"{HOST}'s checkout is dirty" in f["detail"]


def test_a_missing_checkout_is_reported_and_the_refresh_still_works(
    lab, capsys, checkout_restored
) -> None:
    moved = DEFAULT_CHECKOUT + ".away"
    lab.run_in(HOST, ["mv", DEFAULT_CHECKOUT, moved], check=True)
    try:
        [f] = drift_checkout(capsys, lab)
        assert (f["kind"], f["severity"]) == ("checkout-unreadable", "info")
        assert "no such directory" in f["detail"]
        code, out = cli_json(capsys, lab, "vms", "--host", HOST, "--json")
        assert code == 0 and out["vms"]  # the host answered as before
    finally:
        lab.run_in(HOST, ["mv", moved, DEFAULT_CHECKOUT], check=True)


def test_a_domain_defined_between_refreshes_shows_in_the_next_one(lab) -> None:
    xml = (lab.hosts[0].dir / "dom-db01.xml").read_text()
    xml = xml.replace("<name>db01</name>", "<name>late01</name>").replace("e1000", "rtl8139")
    path = lab.hosts[0].dir / "dom-late01.xml"
    path.write_text(xml)
    with FleetPoller(load_inventory(lab.inventory)) as poller:
        first = poller.poll().host(HOST)
        assert first is not None and first.snapshot is not None
        lab.virsh(HOST, "define", str(path))
        try:
            snap = poller.poll().host(HOST).snapshot  # type: ignore[union-attr]
            late = next(d for d in snap.domains if d.name == "late01")
            assert (late.state, [n.model for n in late.nics]) == ("shut off", ["rtl8139"])
            kept = {d.name: d for d in first.snapshot.domains}
            # unchanged domains are the very objects of the last refresh: not parsed again
            assert all(d is kept[d.name] for d in snap.domains if d.name in kept)
        finally:
            lab.virsh(HOST, "undefine", "late01")
        assert "late01" not in {d.name for d in poller.poll().host(HOST).snapshot.domains}  # type: ignore[union-attr]
