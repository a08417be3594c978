"""``tropconsole serve``: the console in a browser (textual-serve), read-only by default.

Each browser session gets its own console process, started with the fleet options given
here (``--config``, ``--repo``, ``--demo``, ... before or after ``serve``) and
``--read-only`` unless ``--write`` is given. The server binds to loopback by default: it
has no authentication, so any other address needs ``--allow-remote``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

# Options of the console itself that serve does not pass on to the consoles it starts.
NOT_FORWARDED = {"help", "version", "read_only"}


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="serve the console to web browsers (read-only unless --write)",
        description="Serve the console in a web browser (textual-serve): one console per "
        "browser session, started with the fleet options given (--config, --repo, --demo) "
        "and read-only unless --write is given. Binds to loopback by default; the server "
        "has no authentication, so another address needs --allow-remote.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="IP address to listen on (default 127.0.0.1, loopback only)",
    )
    parser.add_argument(
        "--port", type=_port, default=8000, metavar="N", help="TCP port (default 8000)"
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="let browser sessions write (reservations, sync); default: read-only",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (there is NO authentication: anyone who can reach "
        "the port gets the console)",
    )
    # The console's fleet options are also accepted after `serve`; SUPPRESS keeps a value
    # given before `serve` when the option is not repeated here.
    parser.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="as above")
    parser.add_argument("--repo", metavar="PATH", default=argparse.SUPPRESS, help="as above")
    parser.add_argument("--demo", action="store_true", default=argparse.SUPPRESS, help="as above")
    parser.set_defaults(func=run_serve)
    parser.__class__ = _OneLineErrors  # built by add_parser: the class is argparse's


class _OneLineErrors(argparse.ArgumentParser):
    """Bad input to serve is one line on stderr and exit 2 (argparse adds a usage block),
    unknown options included (argparse leaves those to the top parser)."""

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def console_options(args: argparse.Namespace) -> list[str]:
    """The console's own options (those before any command) as given, to pass on.

    Read from the console's parser, so an option added there is passed on too."""
    from tropconsole.cli import build_parser

    out: list[str] = []
    for action in build_parser()._actions:
        if not action.option_strings or action.dest in NOT_FORWARDED:
            continue
        if isinstance(action, argparse._SubParsersAction):
            continue
        value = getattr(args, action.dest, action.default)
        if value is None or value == action.default or value is argparse.SUPPRESS:
            continue
        flag = action.option_strings[-1]
        if action.nargs == 0:  # store_true / store_const / count-like flags
            out.append(flag)
        elif isinstance(value, list):
            for item in value:
                out += [flag, str(item)]
        else:
            out += [flag, str(value)]
    return out


def run_serve(args: argparse.Namespace) -> int:
    from tropconsole.web import server

    if args.write and getattr(args, "read_only", False):
        raise server.ServeError("--write and --read-only contradict each other: give one")
    host = server.parse_host(args.host)
    remote = not host.is_loopback
    if remote and not args.allow_remote:
        raise server.ServeError(
            f"{host} is not a loopback address and the web view has no authentication: "
            "add --allow-remote to serve it there anyway"
        )
    if remote:
        print(
            f"tropconsole: warning: serving on {host}, beyond this machine, with NO "
            "authentication: anyone who can reach the port gets the console"
            + (" and can write" if args.write else ""),
            file=sys.stderr,
        )
    write = bool(args.write)
    if not getattr(args, "demo", False):
        # a missing or broken inventory is said once, here, not in every browser
        from tropconsole.remote.inventory import inventory_from_args

        if inventory_from_args(args).read_only and write:
            print("tropconsole: the inventory sets read_only = true: --write changes nothing")
            write = False
    server.check_bind(host, args.port)
    command = server.console_command(console_options(args), write=write)
    url = f"http://{server.url_host(host)}:{args.port}/"
    mode = "with writes allowed" if write else "read-only"
    reach = "loopback only" if not remote else "reachable from other machines"
    banner = [f"serving the console {mode} on {url} ({reach}); Ctrl+C stops"]
    try:
        server.serve(command, str(host), args.port, banner=banner)
    except OSError as err:  # lost the port between the check and the bind
        raise server.ServeError(f"cannot serve on {url}: {err.strerror or err}") from None
    return 0
