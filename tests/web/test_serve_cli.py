"""``tropconsole serve``: what it refuses (one line, exit 2) and what it passes on."""

from __future__ import annotations

import shlex
import socket
import sys
from pathlib import Path

import pytest

from tropconsole.cli import build_parser, main
from tropconsole.cli.serve_cmd import console_options
from tropconsole.web.server import console_command


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert out == ""
    return code, err


def one_line(err: str) -> str:
    assert err.count("\n") == 1, err
    return err


def test_port_in_use_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        code, err = run(["serve", "--demo", "--port", str(port)], capsys)
    assert code == 2
    assert f"127.0.0.1:{port}: the port is in use" in one_line(err)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--host", "wall-screen"], "is not an IP address"),
        (["--host", "300.1.2.3"], "is not an IP address"),
        (["--port", "0"], "0 is not a port number"),
        (["--port", "http"], "'http' is not a port number"),
        (["--listen", "127.0.0.1:8000"], "unrecognized arguments: --listen"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(["serve", "--demo", *argv], capsys)
    assert code == 2
    assert words in one_line(err)


@pytest.mark.parametrize(
    "argv",
    [["--read-only", "serve", "--demo", "--write"], ["serve", "--demo", "--write", "--read-only"]],
)
def test_write_contradicts_a_read_only_console(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(argv, capsys)
    assert code == 2 and "--write and --read-only contradict" in one_line(err)


def test_a_remote_address_needs_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["serve", "--demo", "--host", "0.0.0.0"], capsys)
    assert code == 2
    assert "not a loopback address" in one_line(err) and "--allow-remote" in err


def test_allow_remote_warns_there_is_no_authentication(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 192.0.2.1 (TEST-NET-1) is on no interface here: the warning, then a bind that fails
    # before anything listens.
    code, err = run(["serve", "--demo", "--host", "192.0.2.1", "--allow-remote"], capsys)
    warning, failure = err.splitlines()
    assert "warning" in warning and "NO authentication" in warning
    assert code == 2 and "192.0.2.1 is not an address of this machine" in failure


def options(argv: list[str]) -> list[str]:
    return console_options(build_parser().parse_args(argv))


def test_fleet_options_pass_on_from_before_or_after_serve() -> None:
    assert options(["serve"]) == []
    assert options(["serve", "--demo"]) == ["--demo"]
    assert options(["--demo", "serve"]) == ["--demo"]
    assert options(["--config", "/etc/inv.toml", "serve", "--repo", "/srv/repo"]) == [
        "--config",
        "/etc/inv.toml",
        "--repo",
        "/srv/repo",
    ]
    # given after serve, an option wins over the same one given before
    assert options(["--repo", "/a", "serve", "--repo", "/b"]) == ["--repo", "/b"]


def test_the_spawned_console_is_read_only_unless_write() -> None:
    read_only = shlex.split(console_command(["--demo", "--repo", "/r x"], write=False))
    assert read_only == [
        sys.executable,
        "-m",
        "tropconsole",
        "--demo",
        "--repo",
        "/r x",
        "--read-only",
    ]
    writing = shlex.split(console_command(["--demo"], write=True))
    assert "--read-only" not in writing


def test_a_missing_inventory_is_said_once_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(["--config", f"{tmp_path}/none.toml", "serve"], capsys)
    assert code == 2 and "no inventory at" in one_line(err)
