"""``tropconsole metrics`` and ``status`` alerts on the real lab: scraped values match the
hosts, a host whose sshd dies goes down alone, and nothing in the exporter can write."""

from __future__ import annotations

import dataclasses
import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import libvirt
import pytest
from livekit import PATIENT, file_state, kill_sshd, lab_inventory, quiet_host
from prometheus_client import start_http_server
from prometheus_client.parser import text_string_to_metric_families

from tropconsole.cli import main
from tropconsole.core.alerts import AlertPolicy
from tropconsole.core.configrepo import load_fleet, network_path
from tropconsole.remote.metrics import MetricsExporter

Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]


def scrape(port: int) -> Samples:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
    out: Samples = {}
    for family in text_string_to_metric_families(text.decode()):
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def by(samples: Samples, name: str, *labels: str) -> dict[tuple[str, ...], float]:
    return {tuple(dict(k)[lb] for lb in labels): v for k, v in samples.get(name, {}).items()}


def patient_inventory(lab: Any, tmp_path: Path, extra: str = "", interval: float = 1.0) -> Path:
    """The lab's inventory with a timeout for a busy machine (and extra TOML at the end)."""
    text = lab.inventory.read_text()
    text = re.sub(r"\ntimeout = [0-9.]+\n", f"\ntimeout = {PATIENT}\n", text)
    text = re.sub(r"\nrefresh_interval = [0-9.]+\n", f"\nrefresh_interval = {interval}\n", text)
    path = tmp_path / "inventory.toml"
    path.write_text(text + extra)
    return path


def test_the_scraped_values_are_the_labs(lab: Any, tmp_path: Path) -> None:
    inventory = patient_inventory(lab, tmp_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tropconsole",
            "--config",
            str(inventory),
            "metrics",
            "--listen",
            "127.0.0.1:0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "read-only" in line, line + (proc.stderr.read() if proc.poll() is not None else "")
        port = int(re.search(r"127\.0\.0\.1:(\d+)/metrics", line).group(1))  # type: ignore[union-attr]
        deadline = time.monotonic() + 60
        while True:
            m = scrape(port)
            up = by(m, "tropconsole_host_up", "host")
            if len(up) == len(lab.hosts) and all(v == 1.0 for v in up.values()):
                break
            assert time.monotonic() < deadline, up
            time.sleep(0.5)
        fleet = load_fleet(lab.repo)
        leases = by(m, "tropconsole_network_leases", "host", "network")
        reservations = by(m, "tropconsole_network_reservations", "host", "network")
        free = by(m, "tropconsole_network_pool_free_addresses", "host", "network")
        size = by(m, "tropconsole_network_pool_addresses", "host", "network")
        for h in lab.hosts:
            assert leases[(h.name, "default")] == len(lab.leases(h))
            net = fleet.host(h.name).network("default")  # type: ignore[union-attr]
            assert reservations[(h.name, "default")] == len(net.reservations)
            (rng,) = net.dhcp_ip.ranges
            lo, hi = ip_address(rng.start), ip_address(rng.end)
            in_range = int(hi) - int(lo) + 1
            taken = {ip_address(r.ip) for r in net.reservations}
            taken |= {ip_address(ip) for _, ip in lab.leases(h)}
            assert size[(h.name, "default")] == in_range
            assert free[(h.name, "default")] == in_range - len([a for a in taken if lo <= a <= hi])
        assert m["tropconsole_refresh_duration_seconds"][()] > 0
        assert time.time() - m["tropconsole_last_refresh_timestamp_seconds"][()] < 60
        kinds = by(m, "tropconsole_drift_findings", "host", "kind")
        assert {k for (_, k) in kinds} >= {"lease-unreserved"}  # c3 holds an unreserved lease
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=PATIENT + 10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_dead_sshd_flips_its_host_down_within_two_refreshes_and_only_it(
    lab: Any, tmp_path: Path
) -> None:
    victim = quiet_host(lab)
    inv = dataclasses.replace(
        lab_inventory(lab), timeout=8.0, alerts=AlertPolicy(unreachable_refreshes=1)
    )
    exporter = MetricsExporter(inv, repo=lab.repo)
    server, _ = start_http_server(0, addr="127.0.0.1", registry=exporter.registry)
    port = server.server_address[1]
    try:
        deadline = time.monotonic() + 60
        while True:
            exporter.refresh()
            before = scrape(port)
            up = by(before, "tropconsole_host_up", "host")
            if up and all(v == 1.0 for v in up.values()):
                break
            assert time.monotonic() < deadline, up
            time.sleep(0.3)
        kill_sshd(lab, victim)
        try:
            for _ in range(2):
                exporter.refresh()
                after = scrape(port)
                if by(after, "tropconsole_host_up", "host")[(victim.name,)] == 0.0:
                    break
            up = by(after, "tropconsole_host_up", "host")
            assert up[(victim.name,)] == 0.0, "still up after two refreshes"
            assert all(v == 1.0 for (h,), v in up.items() if h != victim.name), up
            assert by(after, "tropconsole_host_unanswered_refreshes", "host")[(victim.name,)] >= 1
            alerts = by(after, "tropconsole_alerts", "host", "kind")
            assert alerts[(victim.name, "host-unreachable")] == 1.0
            assert not any(k == "host-unreachable" for (h, k) in alerts if h != victim.name)
            for name in ("tropconsole_network_leases", "tropconsole_network_pool_free_addresses"):
                old, new = by(before, name, "host", "network"), by(after, name, "host", "network")
                assert {k: v for k, v in old.items() if k[0] != victim.name} == new, name
            last = by(after, "tropconsole_host_last_success_timestamp_seconds", "host")
            assert (
                last[(victim.name,)]
                == by(before, "tropconsole_host_last_success_timestamp_seconds", "host")[
                    (victim.name,)
                ]
            )
        finally:
            lab.sshd_start(victim)
        deadline = time.monotonic() + 60  # back on its own (the poller's backoff)
        while by(scrape(port), "tropconsole_host_up", "host")[(victim.name,)] != 1.0:
            assert time.monotonic() < deadline, f"{victim.name} did not come back"
            time.sleep(0.5)
            exporter.refresh()
    finally:
        server.shutdown()
        server.server_close()
        exporter.close()


def test_nothing_in_the_exporter_can_write(lab: Any) -> None:
    host = quiet_host(lab)
    inv = dataclasses.replace(lab_inventory(lab), timeout=PATIENT)
    assert not inv.read_only  # the lab's inventory allows writes: the exporter must not
    repo_files = [network_path(lab.repo, h.name, "default") for h in lab.hosts]
    before = file_state(*repo_files)
    xml_before = lab.virsh(host, "net-dumpxml", "default").stdout
    exporter = MetricsExporter(inv, repo=lab.repo)
    try:
        exporter.refresh()
        assert exporter.source.read_only
        assert exporter.source.applier() is None
        poller: Any = exporter.source
        conn = poller.session(host.name).connection()
        net = conn.networkLookupByName("default")
        entry = f"<host mac='52:54:00:02:{host.index:02d}:77' ip='192.168.{200 + host.index}.14'/>"
        with pytest.raises(libvirt.libvirtError, match=r"read.only"):
            net.update(
                libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
                libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
                -1,
                entry,
                libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG,
            )
        with pytest.raises(libvirt.libvirtError, match=r"read.only"):
            net.destroy()
    finally:
        exporter.close()
    assert lab.virsh(host, "net-dumpxml", "default").stdout == xml_before
    assert file_state(*repo_files) == before


def test_status_prints_alerts_and_exits_3(
    lab: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The lab's ranges are 8 addresses with one free (87.5% used): a threshold of 80 makes
    each host's default network nearly full."""
    inventory = patient_inventory(lab, tmp_path, "\n[alerts]\npool_warn_percent = 80\n")
    assert main(["--config", str(inventory), "status"]) == 3
    out = capsys.readouterr().out
    assert f"alerts: {len(lab.hosts)}\n" in out
    for h in lab.hosts:
        assert f"  {h.name} warning pool-nearly-full default: DHCP range is 88% used" in out
    assert "pool 8 in range, 6 reserved, 3 leased, 1 free" in out

    assert main(["--config", str(inventory), "status", "--json"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert {a["key"] for a in data["alerts"]} == {
        f"{h.name}|pool-nearly-full|default|default" for h in lab.hosts
    }
    pool = next(n for n in data["hosts"][0]["networks"] if n["name"] == "default")["pool"]
    assert pool == {"size": 8, "reserved": 6, "leased": 3, "free": 1, "used_percent": 87.5}

    calm = patient_inventory(lab, tmp_path)
    assert main(["--config", str(calm), "status"]) == 0
    assert "alerts: none" in capsys.readouterr().out
