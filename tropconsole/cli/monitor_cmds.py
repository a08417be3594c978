"""``tropconsole metrics``: the live fleet as Prometheus metrics, read-only.

The exporter (``remote.metrics``) polls the fleet in a thread at the inventory's refresh
interval with the same ``FleetPoller`` the console uses, opened read-only whatever the
inventory says; the HTTP server (prometheus_client's) serves the last refresh's values.
Bad input (an address that is not ``HOST:PORT``, a port in use) is one line and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from tropconsole.core.errors import TropError

DEFAULT_LISTEN = "127.0.0.1:9877"


class ListenError(TropError):
    """The --listen address is malformed or cannot be bound: nothing started."""

    exit_code = 2


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "metrics",
        help="serve the fleet's live state as Prometheus metrics (read-only)",
        description="Poll every host of the inventory at its refresh_interval (SSH + "
        "libvirt, read-only: libvirt's read-only socket, no write path) and serve the last "
        "refresh on http://HOST:PORT/metrics: tropconsole_host_up, refresh duration, "
        "leases / reservations / free addresses per DHCP network, drift findings by kind "
        "(when a config repo is set), alerts, last successful refresh time. See "
        "docs/monitoring.md. Runs until interrupted (exit 0); exit 2 for bad input (a "
        "malformed --listen, a port in use, a bad inventory).",
    )
    parser.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default=DEFAULT_LISTEN,
        help=f"address to serve on (default {DEFAULT_LISTEN}; port 0 picks a free one; "
        "IPv6 as [::1]:9877). There is no authentication: keep it on loopback or a "
        "monitoring network",
    )
    parser.set_defaults(func=run_metrics)


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (IPv6 in brackets) -> (host, port); ``ListenError`` otherwise."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise ListenError(f"--listen {text!r}: expected HOST:PORT, e.g. {DEFAULT_LISTEN}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise ListenError(
                f"--listen {text!r}: {host!r} is not an IP address (or localhost)"
            ) from None
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ListenError(f"--listen {text!r}: port must be a number 0-65535")
    return host, int(port_text)


def run_metrics(args: argparse.Namespace) -> int:
    from prometheus_client import start_http_server

    from tropconsole.remote.inventory import inventory_from_args
    from tropconsole.remote.metrics import MetricsExporter

    host, port = parse_listen(args.listen)
    inventory = inventory_from_args(args)
    repo = Path(inventory.repo) if inventory.repo else None

    def warn(message: str) -> None:
        print(f"tropconsole metrics: {message}", file=sys.stderr, flush=True)

    exporter = MetricsExporter(inventory, repo=repo, on_error=warn)
    try:
        try:
            server, _ = start_http_server(port, addr=host, registry=exporter.registry)
        except OSError as err:
            raise ListenError(f"cannot listen on {args.listen}: {err.strerror or err}") from None
        bound = server.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        print(
            f"tropconsole metrics: serving http://{shown}:{bound}/metrics (read-only, "
            f"refresh every {inventory.refresh_interval:g}s"
            + ("" if repo else "; no config repo: no drift metrics")
            + ")",
            flush=True,
        )
        stop = threading.Event()
        with contextlib.suppress(ValueError):  # not the main thread (tests): no handler
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        poller = threading.Thread(
            target=exporter.run, args=(stop,), name="tropconsole-metrics", daemon=True
        )
        poller.start()
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            stop.set()
        server.shutdown()
        server.server_close()
        poller.join(timeout=inventory.timeout + inventory.refresh_interval)
        return 0
    finally:
        exporter.close()
