"""Global options (``--repo``, ``--config``, ``--read-only``, ``--demo``) are accepted
before or after the command, for every command registered: the parser's own list is
walked, so a command added in a new module is covered without touching this file."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import pytest

from tropconsole.cli import build_parser, main, subcommands
from tropconsole.core.sample import write_sample_repo

PARSER = build_parser()
COMMANDS = sorted(subcommands(PARSER))


def _required(command: argparse.ArgumentParser) -> list[str]:
    """The least argv the command's parser accepts: a value for each required argument."""
    argv: list[str] = []
    groups_done: set[int] = set()
    for group in command._mutually_exclusive_groups:
        if group.required and group._group_actions:
            action = group._group_actions[0]
            argv += [action.option_strings[0], *_values(action)]
            groups_done.update(id(a) for a in group._group_actions)
    positionals: list[str] = []
    for action in command._actions:
        if id(action) in groups_done or isinstance(action, argparse._HelpAction):
            continue
        if not action.option_strings:
            if action.nargs not in ("?", "*", argparse.SUPPRESS):
                positionals += _values(action)
        elif action.required:
            argv += [action.option_strings[0], *_values(action)]
    return argv + positionals


def _values(action: argparse.Action) -> list[str]:
    if action.nargs == 0:
        return []
    value = str(next(iter(action.choices))) if action.choices else "x"
    count = action.nargs if isinstance(action.nargs, int) else 1
    return [value] * count


def _globals(command: str) -> list[str]:
    flags = ["--repo", "/srv/repo", "--config", "/etc/inv.toml", "--read-only"]
    if "--demo" in subcommands(PARSER)[command]._option_string_actions:
        flags.append("--demo")
    return flags


def test_every_command_is_walked() -> None:
    assert {"hosts", "reservations", "reserve", "unreserve", "drift", "status"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_global_options_parse_the_same_before_and_after_the_command(command: str) -> None:
    rest = _required(subcommands(PARSER)[command])
    before = PARSER.parse_args([*_globals(command), command, *rest])
    after = PARSER.parse_args([command, *rest, *_globals(command)])
    assert vars(before) == vars(after)
    assert after.repo == "/srv/repo"
    assert after.config == "/etc/inv.toml"
    assert after.read_only is True
    assert after.demo is ("--demo" in _globals(command))


@pytest.mark.parametrize("command", COMMANDS)
def test_an_option_after_the_command_wins_and_one_before_is_kept(command: str) -> None:
    rest = _required(subcommands(PARSER)[command])
    both = PARSER.parse_args(["--repo", "/a", "--read-only", command, *rest, "--repo", "/b"])
    assert both.repo == "/b"
    assert both.read_only is True  # given before only: not reset by the sub-parser
    only_before = PARSER.parse_args(["--config", "/c", command, *rest])
    assert only_before.config == "/c"
    assert only_before.repo is None


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command_lists_the_global_options(command: str) -> None:
    text = subcommands(PARSER)[command].format_help()
    for flag in ("--repo", "--config", "--read-only"):
        assert flag in text, f"{command} --help does not list {flag}"


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("globals") / "repo"
    write_sample_repo(dest)
    for key, value in (("user.name", "Ada Operator"), ("user.email", "ada@example.org")):
        subprocess.run(["git", "-C", str(dest), "config", key, value], check=True)
    return dest


def _stable(command: str, out: str) -> str:
    """``status`` stamps times and round trips: keep what the options decide."""
    if command != "status":
        return out
    hosts = json.loads(out)["hosts"]
    return json.dumps([(h["host"], h["state"], h["read_only"], h["bridges"]) for h in hosts])


# Every command the operator can run without a real fleet, as it runs on the demo.
RUNS: dict[str, list[str]] = {
    "hosts": ["hosts"],
    "reservations": ["reservations", "--host", "trop02", "--json"],
    "reserve": ["reserve", "--host", "trop02", "--name", "both-ways"],
    "unreserve": ["unreserve", "--host", "trop02", "--name", "Orodreth"],
    "drift": ["drift", "--host", "trop03"],
    "sync": ["sync", "--host", "trop02", "--dry-run"],
    "leases": ["leases", "--host", "trop01"],
    "status": ["status", "--json"],
}


@pytest.mark.parametrize("command", sorted(RUNS))
def test_each_command_runs_the_same_with_options_before_or_after(
    command: str, demo_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opts = ["--demo", "--repo", str(demo_repo), "--read-only"]
    results = []
    for argv in ([*opts, *RUNS[command]], [*RUNS[command], *opts]):
        code = main(argv)
        out, err = capsys.readouterr()
        results.append((code, _stable(command, out), err.replace(str(demo_repo), "REPO")))
    assert results[0] == results[1]
    code, out, err = results[0]
    if command in ("reserve", "unreserve"):
        assert code == 2 and "read-only" in err  # --read-only reached the write door
    else:
        assert code in (0, 3), err  # 3: drift found drift on the demo
        assert out


def test_reserve_with_repo_after_the_command_commits(demo_repo: Path, capsys) -> None:
    """The issue's own example: ``reserve --repo PATH --host ... --name ...``."""
    code = main(["reserve", "--repo", str(demo_repo), "--host", "trop04", "--name", "late-opt"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "committed" in out
    log = subprocess.run(
        ["git", "-C", str(demo_repo), "log", "-1", "--format=%s"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "trop04/default: reserve late-opt" in log
