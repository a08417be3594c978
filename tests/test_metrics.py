"""The Prometheus exporter without a lab: the collector over the demo fleet (libvirt's
test driver), the example alert rules, and bad input on the command line."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import start_http_server
from prometheus_client.parser import text_string_to_metric_families

from tropconsole.cli import main
from tropconsole.core.configrepo import load_fleet
from tropconsole.core.errors import TropError
from tropconsole.core.sample import write_sample_repo
from tropconsole.demo import DemoFleet
from tropconsole.remote.inventory import Inventory, load_inventory
from tropconsole.remote.metrics import MetricsExporter

RULES = Path(__file__).resolve().parent.parent / "docs" / "prometheus-alerts.yml"


def scrape(port: int) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """metric sample name -> {sorted labels: value}, parsed by prometheus_client."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text.decode()):
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[MetricsExporter, int, Path]]:
    repo = tmp_path / "repo"
    write_sample_repo(repo)
    fleet = DemoFleet(repo, read_only=True, failing=("trop03",))
    inventory = Inventory(path="", hosts=(), refresh_interval=0.2)
    exporter = MetricsExporter(inventory, repo=repo, source=fleet)
    server, _ = start_http_server(0, addr="127.0.0.1", registry=exporter.registry)
    try:
        yield exporter, server.server_address[1], repo
    finally:
        server.shutdown()
        server.server_close()
        exporter.close()


def test_before_the_first_refresh_only_the_counter_is_served(
    demo: tuple[MetricsExporter, int, Path],
) -> None:
    _, port, _ = demo
    assert scrape(port) == {"tropconsole_refreshes_total": {(): 0.0}}


def test_the_scrape_holds_the_last_refresh(demo: tuple[MetricsExporter, int, Path]) -> None:
    exporter, port, repo = demo
    exporter.refresh()
    state = exporter.refresh()  # the demo's trop03 fails from its second poll on
    assert state.snapshot is not None
    m = scrape(port)
    up = {dict(k)["host"]: v for k, v in m["tropconsole_host_up"].items()}
    assert up == {"trop01": 1.0, "trop02": 1.0, "trop03": 0.0, "trop04": 1.0}
    assert m["tropconsole_refreshes_total"] == {(): 2.0}
    assert m["tropconsole_refresh_duration_seconds"][()] == pytest.approx(state.duration)
    assert m["tropconsole_last_refresh_timestamp_seconds"][()] == state.snapshot.taken_at
    leases = {
        (dict(k)["host"], dict(k)["network"]): v for k, v in m["tropconsole_network_leases"].items()
    }
    for h in state.snapshot.hosts:
        if h.host == "trop03":
            assert ("trop03", "default") not in leases  # stale values are not served
            continue
        assert h.snapshot is not None
        assert leases[(h.host, "default")] == len(
            [x for x in h.snapshot.leases if x.network == "default"]
        )
    git = load_fleet(repo)
    reservations = m["tropconsole_network_reservations"]
    for labels, value in reservations.items():
        host, net = dict(labels)["host"], dict(labels)["network"]
        cfg = git.host(host)
        assert cfg is not None and cfg.network(net) is not None
        assert value == len(cfg.network(net).reservations)  # type: ignore[union-attr]
    free = m["tropconsole_network_pool_free_addresses"]
    size = m["tropconsole_network_pool_addresses"]
    assert all(0 <= free[k] <= size[k] for k in free)
    drift = {dict(k)["kind"] for k in m["tropconsole_drift_findings"]}
    assert "host-stale" in drift  # trop03's drift comes from its last good snapshot


def test_the_exporter_refuses_a_source_that_can_write(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_sample_repo(repo)
    fleet = DemoFleet(repo, read_only=False)
    try:
        with pytest.raises(TropError, match="not read-only"):
            MetricsExporter(Inventory(path="", hosts=()), source=fleet)
    finally:
        fleet.close()


def test_the_example_rules_are_valid_and_use_served_metrics(
    demo: tuple[MetricsExporter, int, Path],
) -> None:
    yaml = pytest.importorskip("yaml")
    exporter, port, _ = demo
    exporter.refresh()
    exporter.refresh()
    served = {re.sub(r"_total$", "", n) for n in scrape(port)} | {"tropconsole_refreshes_total"}
    doc = yaml.safe_load(RULES.read_text())
    rules = [r for g in doc["groups"] for r in g["rules"]]
    assert len(rules) >= 5
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        used = set(re.findall(r"\btropconsole_[a-z_]+", rule["expr"]))
        assert used <= served, f"{rule['alert']}: {used - served} not exported"
    promtool = shutil.which("promtool")
    if promtool:  # Debian's prometheus package; not installed by default
        done = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True)
        assert done.returncode == 0, done.stdout + done.stderr


def inventory_file(tmp_path: Path) -> Path:
    path = tmp_path / "inventory.toml"
    path.write_text('[hosts.trop01]\nssh_host = "127.0.0.1"\nport = 1\n')
    load_inventory(path)
    return path


@pytest.mark.parametrize(
    ("listen", "message"),
    [
        ("9877", "expected HOST:PORT"),
        ("example.org:9877", "'example.org' is not an IP address"),
        ("127.0.0.1:http", "port must be a number 0-65535"),
        ("127.0.0.1:70000", "port must be a number 0-65535"),
        ("192.0.2.1:9877", "cannot listen on 192.0.2.1:9877: Cannot assign requested address"),
    ],
)
def test_a_bad_listen_address_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], listen: str, message: str
) -> None:
    code = main(["--config", str(inventory_file(tmp_path)), "metrics", "--listen", listen])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and message in err, err


def test_a_port_in_use_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(
            ["--config", str(inventory_file(tmp_path)), "metrics", "--listen", f"127.0.0.1:{port}"]
        )
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"tropconsole: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_an_unknown_option_exits_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["metrics", "--listn", "127.0.0.1:9877"])
    assert done.value.code == 2
    assert "unrecognized arguments: --listn" in capsys.readouterr().err.splitlines()[-1]


def test_the_refresh_loop_stops_when_asked(demo: tuple[MetricsExporter, int, Path]) -> None:
    exporter, port, _ = demo
    stop = threading.Event()
    worker = threading.Thread(target=exporter.run, args=(stop,))
    worker.start()
    with exporter.refreshed:
        exporter.refreshed.wait_for(lambda: exporter.state.refreshes >= 2, timeout=30)
    stop.set()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert scrape(port)["tropconsole_refreshes_total"][()] >= 2


def test_status_and_metrics_help_document_their_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for command in ("status", "metrics"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 every host answered and no alert; 3 at least one alert; 1 a host" in text
    assert "exit 2 for bad input (a malformed --listen, a port in use" in text
