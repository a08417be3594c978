"""``drift``, ``sync`` and ``leases`` from a shell, on the embedded demo fleet.

The demo (libvirt test:/// driver) starts from the config repo, so its networks match git;
it ships one guest per host holding a stale lease, which is exactly a drift finding.
The lab tests (tests/remote/test_drift_lab.py) cover the real hosts.
"""

from __future__ import annotations

import csv
import io
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
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_drift_prints_one_line_per_finding_and_exits_3(repo: Path, capsys) -> None:
    code, out, _ = run(capsys, "--demo", "--repo", str(repo), "drift")
    lines = out.splitlines()
    assert code == 3 and lines
    assert all(" lease-wrong-ip " in line for line in lines)
    assert {line.split()[0] for line in lines} == {"trop01", "trop02", "trop03", "trop04"}


def test_drift_json_for_one_host_and_levels(repo: Path, capsys) -> None:
    code, out, _ = run(
        capsys,
        "--demo",
        "--repo",
        str(repo),
        "drift",
        "--host",
        "trop02",
        "--json",
        "--level",
        "info",
    )
    doc = json.loads(out)
    assert code == 3 and not doc["clean"]
    assert {f["host"] for f in doc["findings"]} == {"trop02"}
    assert {f["kind"] for f in doc["findings"]} == {"lease-wrong-ip", "lease-unreserved"}
    assert doc["counts"] == {"trop02": {"error": 0, "warning": 1, "info": 2}}
    code, out, _ = run(capsys, "--demo", "--repo", str(repo), "drift", "--level", "error")
    assert (code, out) == (0, "")


def test_drift_without_a_repo_is_a_failure_exit_1(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "--demo", "--repo", str(tmp_path / "nope"), "drift")
    assert code == 1 and out == "" and "config repo not found" in err


def test_sync_dry_run_on_a_matching_network_and_refusal_in_read_only(repo: Path, capsys) -> None:
    code, out, _ = run(
        capsys, "--demo", "--repo", str(repo), "sync", "--host", "trop02", "--dry-run"
    )
    assert code == 0 and "already match git" in out
    code, out, err = run(
        capsys, "--demo", "--read-only", "--repo", str(repo), "sync", "--host", "trop02"
    )
    assert code == 2 and "read-only mode" in err and out == ""


def test_leases_export_csv_and_json(repo: Path, capsys, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--demo", "--repo", str(repo), "leases", "--host", "trop03")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows and {r["host"] for r in rows} == {"trop03"}
    assert {r["reserved"] for r in rows} == {"yes", "no"}
    target = tmp_path / "leases.json"
    code, out, _ = run(
        capsys, "--demo", "--repo", str(repo), "leases", "--format", "json", "-o", str(target)
    )
    assert code == 0 and out == ""
    assert {r["host"] for r in json.loads(target.read_text())} == {
        "trop01",
        "trop02",
        "trop03",
        "trop04",
    }


def test_drift_and_leases_warn_about_a_missing_network_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tropconsole.core.configrepo import network_path

    dest = tmp_path / "repo"
    write_sample_repo(dest)
    network_path(dest, "trop04", "default").unlink()
    for argv in (["drift", "--json"], ["leases", "--format", "json"]):
        code, out, err = run(capsys, "--demo", "--repo", str(dest), *argv)
        assert code in (0, 3), err
        warned = [ln for ln in err.splitlines() if ln.startswith("tropconsole: warning: ")]
        assert warned == [
            "tropconsole: warning: trop04: no network file default.xml (expected "
            f"{network_path(dest, 'trop04', 'default')}; trop01, trop02, trop03 have one)"
        ]
        json.loads(out)  # stdout stays clean JSON
