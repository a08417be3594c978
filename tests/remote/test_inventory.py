"""Inventory errors an operator would hit while writing the file by hand (no lab needed)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tropconsole.cli import main
from tropconsole.core.errors import TropError
from tropconsole.remote.inventory import inventory_from_args, load_inventory

GOOD = """
repo = "heliodines"
refresh_interval = 2
timeout = 3.5
known_hosts = ["kh"]
refresh_slots = 12

[hosts.trop01]
ssh_host = "198.18.1.2"
user = "root"
port = 2222
identity = "~/keys/id"

[hosts.trop02]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inventory.toml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(TropError) as info:
        load_inventory(write(tmp_path, text))
    assert info.value.exit_code == 2
    return info.value.message


def test_good_inventory_resolves_paths_and_defaults(tmp_path: Path) -> None:
    inv = load_inventory(write(tmp_path, GOOD))
    assert inv.host_names == ("trop01", "trop02")
    t1, t2 = inv.hosts
    assert (t1.ssh_host, t1.user, t1.port) == ("198.18.1.2", "root", 2222)
    assert t1.identity == str(Path("~/keys/id").expanduser())
    assert (t2.ssh_host, t2.user, t2.port, t2.identity) == ("trop02", None, None, None)
    assert inv.repo == str(tmp_path / "heliodines")
    assert inv.known_hosts == (str(tmp_path / "kh"),)
    assert (inv.refresh_interval, inv.timeout, inv.read_only) == (2.0, 3.5, False)
    assert inv.refresh_slots == 12
    assert load_inventory(write(tmp_path, "[hosts.a]\n")).refresh_slots is None  # per core


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[hosts.trop01]\nport = "x"\n',
            "inventory.toml: hosts.trop01.port: expected an integer 1-65535, got 'x'",
        ),
        ("[hosts.trop01]\nport = 70000\n", "hosts.trop01.port: expected an integer 1-65535"),
        ("[hosts.trop01]\nprot = 22\n", "hosts.trop01.prot: unknown key"),
        ('colour = "blue"\n[hosts.a]\n', "colour: unknown key"),
        ('timeout = "5"\n[hosts.a]\n', "timeout: expected a number of seconds > 0, got '5'"),
        ("refresh_interval = 0\n[hosts.a]\n", "refresh_interval: expected a number"),
        ('read_only = "yes"\n[hosts.a]\n', "read_only: expected true or false, got 'yes'"),
        ("known_hosts = [1]\n[hosts.a]\n", "known_hosts: expected a list of file paths"),
        ('[hosts.a]\nlibvirt_uri = "trop01"\n', "hosts.a.libvirt_uri: expected a libvirt URI"),
        ('[hosts.a]\ncheckout = "srv/git"\n', "hosts.a.checkout: expected an absolute path"),
        ("[hosts.a]\ncheckout = 1\n", "hosts.a.checkout: expected a non-empty string"),
        (
            'libvirt_transport = "libssh"\n[hosts.a]\n',
            'libvirt_transport: expected "tunnel" or "ssh", got \'libssh\'',
        ),
        ('[hosts.a]\nuser = ""\n', "hosts.a.user: expected a non-empty string"),
        ('repo = "x"\n', "hosts: missing"),
        ("hosts = 3\n", "hosts: expected a table of hosts, got 3"),
        ("[hosts]\n", "hosts: empty"),
        ("refresh_slots = 0\n[hosts.a]\n", "refresh_slots: expected a whole number of refre"),
        ("refresh_slots = 2.5\n[hosts.a]\n", "refresh_slots: expected a whole number"),
        ("refresh_slots = true\n[hosts.a]\n", "refresh_slots: expected a whole number"),
        ('ssh_config = "nope"\n[hosts.a]\n', "ssh_config: no such file"),
        ("[hosts.a\n", "not valid TOML"),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    message = error_of(tmp_path, text)
    assert message.startswith(str(tmp_path / "inventory.toml"))
    assert expected in message


def test_missing_inventory_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(TropError) as info:
        load_inventory(tmp_path / "absent.toml")
    assert info.value.message == (
        f"no inventory at {tmp_path / 'absent.toml'}; create one (see README) or use --demo"
    )


def test_default_path_is_the_user_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    with pytest.raises(TropError, match=r"cfg/tropconsole/inventory\.toml"):
        load_inventory(None)


def test_cli_flags_override_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    args = argparse.Namespace(config=str(path), repo=str(tmp_path / "other"), read_only=True)
    inv = inventory_from_args(args)
    assert inv.repo == str(tmp_path / "other")
    assert inv.read_only is True
    args = argparse.Namespace(config=str(path), repo=None, read_only=False)
    assert inventory_from_args(args).repo == str(tmp_path / "heliodines")


def test_status_with_a_bad_inventory_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[hosts.trop01]\nport = "x"\n')
    assert main(["--config", str(path), "status"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"tropconsole: {path}: hosts.trop01.port: expected an integer 1-65535, got 'x'"


def test_checkout_defaults_and_can_be_set_per_host(tmp_path: Path) -> None:
    path = tmp_path / "inventory.toml"
    path.write_text('[hosts.a]\n[hosts.b]\ncheckout = "/srv/heliodines"\n')
    inv = load_inventory(path)
    assert inv.host("a").checkout == "/var/local/projects/heliodines/git"  # type: ignore[union-attr]
    assert inv.host("b").checkout == "/srv/heliodines"  # type: ignore[union-attr]
