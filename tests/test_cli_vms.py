"""``tropconsole --demo vms``: the demo's test-driver domains through the same core rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tropconsole.cli import main
from tropconsole.core.sample import write_sample_repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("demo") / "repo"
    write_sample_repo(dest)
    return dest


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_vms_json_has_every_reserved_guest_and_the_bridged_edge(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--demo", "--repo", str(repo), "vms", "--host", "trop02", "--json")
    assert code == 0, err
    vms = {v["name"]: v for v in json.loads(out)["vms"]}
    assert {v["host"] for v in vms.values()} == {"trop02"}
    reserved = [n for v in vms.values() for n in v["nics"] if n["network"] == "default"]
    verdicts = {v["name"]: n["verdict"] for v in vms.values() for n in v["nics"] if n in reserved}
    # the demo's Eterathiel holds a lease of another address than git reserves (WRONG IP
    # in the Leases view too); every other reserved guest is ok
    assert verdicts.pop("eterathiel") == "leased another address than reserved"
    assert verdicts and set(verdicts.values()) == {"ok"}
    assert {v["state"] for v in vms.values()} == {"running", "shut off"}
    edge = vms["edge02"]
    bridged, outside = edge["nics"]
    assert (bridged["network"], bridged["bridge"], bridged["verdict"]) == (
        "bridged",
        "br0",
        "no DHCP",
    )
    [seen] = bridged["seen"]
    assert seen["dev"] == "br0" and seen["state"] == "REACHABLE"
    assert outside["verdict"] == "MAC outside the host's range" and outside["type"] == "bridge"
    code, text, _ = run(capsys, "--demo", "--repo", str(repo), "vms", "--host", "trop02")
    assert f"seen on br0: {seen['ip']} REACHABLE" in text


def test_the_demos_domains_add_no_drift(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's drift is what it was without domains (its snapshots carry domains for
    the VMs view, not ``nics`` for drift), so the console's drift counts do not move."""
    _, out, _ = run(capsys, "--demo", "--repo", str(repo), "drift", "--json", "--level", "info")
    kinds = {f["kind"] for f in json.loads(out)["findings"]}
    assert not kinds & {"reservation-unused", "nic-unreserved", "checkout-drift"}


def test_unknown_host_is_one_line_and_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--demo", "--repo", str(repo), "vms", "--host", "trop99")
    assert (code, out) == (2, "")
    assert err.startswith("tropconsole: unknown host 'trop99'") and err.count("\n") == 1
