"""Serve the console to browsers with textual-serve.

textual-serve starts one console per browser session: it runs a shell command with
Textual's web driver and relays the terminal over a websocket. The command is built here
from this Python and ``-m tropconsole``, with the fleet options the operator gave and
``--read-only`` unless writes were asked for; read-only is then enforced by the console's
core service and libvirt connections, not by the page.
"""

from __future__ import annotations

import errno
import ipaddress
import shlex
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tropconsole.core.errors import TropError


class ServeError(TropError):
    """The server cannot start as asked (address, port): bad input, nothing served."""

    exit_code = 2


TEMPLATES = Path(__file__).resolve().parent / "templates"
TITLE = "tropconsole"


def console_command(options: Sequence[str], *, write: bool, python: str = sys.executable) -> str:
    """The shell command textual-serve runs for each browser session."""
    argv = [python, "-m", "tropconsole", *options]
    if not write and "--read-only" not in argv:
        argv.append("--read-only")
    return shlex.join(argv)


def parse_host(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IP address to bind to. Names other than ``localhost`` are refused rather than
    resolved: which interfaces a name means is not something to guess (nor to ask DNS)."""
    if text == "localhost":
        return ipaddress.IPv4Address("127.0.0.1")
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        raise ServeError(
            f"--host {text!r} is not an IP address: give one, e.g. 127.0.0.1, ::1 or 0.0.0.0"
        ) from None


def check_bind(host: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int) -> None:
    """Fail with one line now if the server could not listen there (as aiohttp binds:
    address reuse on, so a port only in TIME_WAIT is free)."""
    family = socket.AF_INET6 if host.version == 6 else socket.AF_INET
    where = f"{url_host(host)}:{port}"
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((str(host), port))
            sock.listen(1)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"cannot serve on {where}: the port is in use; choose another with --port"
                ) from None
            if err.errno == errno.EADDRNOTAVAIL:
                raise ServeError(
                    f"cannot serve on {where}: {host} is not an address of this machine"
                ) from None
            if err.errno == errno.EACCES:
                raise ServeError(
                    f"cannot serve on {where}: permission denied (ports below 1024 need root)"
                ) from None
            raise ServeError(f"cannot serve on {where}: {err.strerror or err}") from None


def url_host(host: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return f"[{host}]" if host.version == 6 else str(host)


def serve(command: str, host: str, port: int, *, banner: Sequence[str]) -> None:
    """Run the web server until interrupted; ``banner`` lines are printed once it listens."""
    from textual_serve.server import Server

    class ConsoleServer(Server):
        async def on_startup(self, app: Any) -> None:
            for line in banner:
                print(line, flush=True)

    server = ConsoleServer(command, host=host, port=port, title=TITLE, templates_path=TEMPLATES)
    server.serve()
