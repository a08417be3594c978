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

from tropconsole import __version__
from tropconsole.core.errors import TropError

COMMAND_MODULES: tuple[str, ...] = (
    "tropconsole.cli.sample_cmd",
    "tropconsole.cli.config_cmds",
    "tropconsole.cli.drift_cmds",
    "tropconsole.cli.live_cmds",
    "tropconsole.cli.vm_cmds",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tropconsole",
        description="Operations console for KVM hyper-visors: bridges, libvirt networks, "
        "DHCP leases and reservations kept in git. Without a command, opens the console.",
    )
    parser.add_argument("--version", action="version", version=f"tropconsole {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="inventory file (TOML); default: the user config dir's tropconsole/inventory.toml",
    )
    parser.add_argument(
        "--repo",
        metavar="PATH",
        help="the config repo (heliodines checkout); overrides the inventory's 'repo'",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="monitoring mode: refuse every write, open libvirt read-only",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the console on an embedded demo fleet (libvirt test:/// driver, no server)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


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
