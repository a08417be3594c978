"""Command line: argument parsing, then one command or the console.

Each command module in ``COMMAND_MODULES`` exposes ``register(subparsers)``, which adds
its sub-commands and sets ``func`` (``Callable[[argparse.Namespace], int]``). Modules
import heavy things (paramiko, libvirt, textual) inside their functions so that parsing
stays fast. Errors derived from ``TropError`` become one line on stderr and their exit
code; nothing else is caught, so a real bug still shows its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from tropconsole import __version__
from tropconsole.core.errors import TropError

COMMAND_MODULES: tuple[str, ...] = (
    "tropconsole.cli.sample_cmd",
    "tropconsole.cli.config_cmds",
    "tropconsole.cli.drift_cmds",
    "tropconsole.cli.live_cmds",
    "tropconsole.cli.history_cmds",
    "tropconsole.cli.serve_cmd",
    "tropconsole.cli.monitor_cmds",
    "tropconsole.cli.vm_cmds",
)


# (flags, argparse keywords) of the options every command takes before or after its name.
_GLOBAL_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (
        ("--config",),
        {
            "metavar": "PATH",
            "help": "inventory file (TOML); default: the user config dir's "
            "tropconsole/inventory.toml",
        },
    ),
    (
        ("--repo",),
        {
            "metavar": "PATH",
            "help": "the config repo (heliodines checkout); overrides the inventory's 'repo'",
        },
    ),
    (
        ("--read-only",),
        {
            "action": "store_true",
            "help": "monitoring mode: refuse every write, open libvirt read-only",
        },
    ),
    (
        ("--demo",),
        {
            "action": "store_true",
            "help": "use the embedded demo fleet (libvirt test:/// driver, no server) "
            "and its config repo",
        },
    ),
)
# Commands for which --demo means nothing (they touch neither a fleet nor a repo).
_NO_DEMO = frozenset({"sample-repo"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tropconsole",
        description="Operations console for KVM hyper-visors: bridges, libvirt networks, "
        "DHCP leases and reservations kept in git. Without a command, opens the console.",
    )
    parser.add_argument("--version", action="version", version=f"tropconsole {__version__}")
    for flags, kwargs in _GLOBAL_OPTIONS:
        parser.add_argument(*flags, **kwargs)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    for name, command in subcommands(parser).items():
        _add_global_options(command, demo=name not in _NO_DEMO)
    return parser


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every registered command's parser by name (aliases included), for tests and help."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _add_global_options(command: argparse.ArgumentParser, *, demo: bool) -> None:
    """The global options once more, after the command's name (``reserve --repo R``).

    ``default=SUPPRESS``: a sub-parser copies every attribute it has onto the main
    namespace, so an option left out after the command must not be set at all, or it
    would overwrite the same option given before the command.
    """
    if any(g.title == _GROUP_TITLE for g in command._action_groups):
        return  # an alias: the same parser object, already done
    group = command.add_argument_group(_GROUP_TITLE)
    taken = set(command._option_string_actions)
    for flags, kwargs in _GLOBAL_OPTIONS:
        if (flags[0] == "--demo" and not demo) or taken.intersection(flags):
            continue
        group.add_argument(*flags, **{**kwargs, "default": argparse.SUPPRESS})


_GROUP_TITLE = "global options (also accepted before the command)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    try:
        if func is None:
            from tropconsole.cli.console import run_console

            return run_console(args)
        result: int = func(args)
        return result
    except TropError as err:
        print(f"tropconsole: {err.message}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("tropconsole: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `tropconsole reservations --json | head`: the reader left; that is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
