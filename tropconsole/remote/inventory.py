"""The inventory: which hosts to reach and how, read from one TOML file.

The file is small and hand-written by an operator, so every mistake is reported with the
file and the dotted key (``inventory.toml: hosts.trop01.port: expected ...``) instead of
being guessed around: a typo such as ``prot = 22`` would otherwise silently fall back to a
default and send the console to the wrong place. Relative paths inside the file are taken
relative to the file's directory, so a lab or a checkout can carry its own inventory.
The format is described in docs/CONTRACTS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from tropconsole.core.alerts import AlertPolicy
from tropconsole.core.errors import ConfigError, TropError
from tropconsole.core.live import DEFAULT_CHECKOUT

DEFAULT_REFRESH = 5.0
DEFAULT_TIMEOUT = 5.0

_TOP_KEYS = frozenset(
    {
        "repo",
        "refresh_interval",
        "read_only",
        "timeout",
        "ssh_config",
        "known_hosts",
        "libvirt_transport",
        "refresh_slots",
        "alerts",
        "hosts",
    }
)
# How libvirt reaches a host without a libvirt_uri: "tunnel" = over the paramiko SSH
# connection the host already has (one handshake); "ssh" = libvirt's own qemu+ssh, which
# runs the OpenSSH client (a second handshake) through a generated strict wrapper.
LIBVIRT_TRANSPORTS = ("tunnel", "ssh")
_HOST_KEYS = frozenset({"ssh_host", "user", "port", "identity", "libvirt_uri", "checkout"})
_ALERT_KEYS = frozenset({"pool_warn_percent", "unreachable_refreshes", "lease_expiry_minutes"})


class InventoryMissing(TropError):
    """No inventory file where one was expected: nothing to connect to."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class HostEntry:
    """How to reach one hyper-visor. ``None`` means: let ssh_config (or ssh's default) decide."""

    name: str  # the console's name for the host, e.g. "trop01"
    ssh_host: str  # host name, address or ssh_config alias
    user: str | None = None
    port: int | None = None
    identity: str | None = None  # absolute path of a private key
    libvirt_uri: str | None = None  # used verbatim when given
    checkout: str = DEFAULT_CHECKOUT  # the host's own copy of the config repo (absolute)


@dataclass(frozen=True, slots=True)
class Inventory:
    path: str  # the file it was read from ("" when built in code)
    hosts: tuple[HostEntry, ...]
    repo: str | None = None
    refresh_interval: float = DEFAULT_REFRESH
    read_only: bool = False
    timeout: float = DEFAULT_TIMEOUT
    ssh_config: str | None = None  # absolute path, or None when there is none to read
    known_hosts: tuple[str, ...] = ()  # extra known_hosts files, absolute paths
    libvirt_transport: str = "tunnel"  # one of LIBVIRT_TRANSPORTS
    refresh_slots: int | None = None  # warm refreshes at once; None: two per core
    alerts: AlertPolicy = field(default_factory=AlertPolicy)  # core.alerts, from [alerts]

    def host(self, name: str) -> HostEntry | None:
        for h in self.hosts:
            if h.name == name:
                return h
        return None

    @property
    def host_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hosts)


def default_inventory_path() -> Path:
    """Where the inventory lives when ``--config`` is not given (XDG config dir on Linux)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("tropconsole")) / "inventory.toml"


def load_inventory(path: Path | None = None) -> Inventory:
    """Read and check an inventory file. Raises ``TropError`` naming the file and the key."""
    file = Path(path) if path is not None else default_inventory_path()
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise InventoryMissing(
            f"no inventory at {file}; create one (see README) or use --demo"
        ) from None
    except OSError as err:
        raise ConfigError(str(file), None, f"cannot read: {err.strerror or err}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(str(file), None, f"not UTF-8 text: {err.reason}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(
            str(file), getattr(err, "lineno", None), f"not valid TOML: {err}"
        ) from None
    return parse_inventory(data, str(file))


def parse_inventory(data: Mapping[str, Any], path: str) -> Inventory:
    """Check a parsed TOML document; ``path`` names it in messages and anchors relative paths."""
    c = _Checker(path)
    c.unknown_keys(data, _TOP_KEYS, "")
    base = Path(path).parent if path else Path.cwd()

    hosts_raw = data.get("hosts")
    if hosts_raw is None:
        c.fail("hosts", "missing: add at least one [hosts.NAME] table")
    if not isinstance(hosts_raw, dict):
        c.fail("hosts", f"expected a table of hosts, got {_show(hosts_raw)}")
    if not hosts_raw:
        c.fail("hosts", "empty: add at least one [hosts.NAME] table")
    hosts = tuple(c.host(name, value, base) for name, value in hosts_raw.items())

    ssh_config = c.path_value(data, "ssh_config", "", base)
    if ssh_config is None:
        user_cfg = Path("~/.ssh/config").expanduser()
        ssh_config = str(user_cfg) if user_cfg.is_file() else None
    elif not Path(ssh_config).is_file():
        c.fail("ssh_config", f"no such file: {ssh_config}")

    known_raw = data.get("known_hosts", [])
    if isinstance(known_raw, str):
        known_raw = [known_raw]
    if not isinstance(known_raw, list) or not all(isinstance(k, str) for k in known_raw):
        c.fail("known_hosts", f"expected a list of file paths, got {_show(known_raw)}")
    known = tuple(_resolve(k, base) for k in known_raw)

    transport = c.string(data, "libvirt_transport", "") or "tunnel"
    if transport not in LIBVIRT_TRANSPORTS:
        c.fail("libvirt_transport", f'expected "tunnel" or "ssh", got {transport!r}')

    slots = data.get("refresh_slots")
    if slots is not None and (isinstance(slots, bool) or not isinstance(slots, int) or slots < 1):
        c.fail("refresh_slots", f"expected a whole number of refreshes >= 1, got {_show(slots)}")

    return Inventory(
        path=path,
        hosts=hosts,
        repo=c.path_value(data, "repo", "", base),
        refresh_interval=c.positive(data, "refresh_interval", DEFAULT_REFRESH),
        read_only=c.boolean(data, "read_only", False),
        timeout=c.positive(data, "timeout", DEFAULT_TIMEOUT),
        ssh_config=ssh_config,
        known_hosts=known,
        libvirt_transport=transport,
        refresh_slots=slots,
        alerts=c.alerts(data.get("alerts")),
    )


def inventory_from_args(args: argparse.Namespace) -> Inventory:
    """The inventory for a CLI run: ``--config`` picks the file, ``--repo`` and
    ``--read-only`` override what it says (read-only can be forced on, never off)."""
    config = getattr(args, "config", None)
    inv = load_inventory(Path(config).expanduser() if config else None)
    repo = getattr(args, "repo", None)
    if repo:
        inv = dataclasses.replace(inv, repo=str(Path(repo).expanduser().resolve()))
    if getattr(args, "read_only", False):
        inv = dataclasses.replace(inv, read_only=True)
    return inv


def _resolve(value: str, base: Path) -> str:
    p = Path(os.path.expandvars(value)).expanduser()
    return str(p if p.is_absolute() else (base / p).resolve())


def _show(value: object) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class _Checker:
    """Builds messages of the form ``FILE: KEY: PROBLEM``."""

    def __init__(self, path: str) -> None:
        self.path = path or "inventory"

    def fail(self, key: str, problem: str) -> NoReturn:
        raise ConfigError(self.path, None, f"{key}: {problem}")

    def unknown_keys(self, table: Mapping[str, Any], allowed: frozenset[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.fail(f"{prefix}{key}", f"unknown key (expected one of: {hint})")

    def string(self, table: Mapping[str, Any], key: str, prefix: str) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{prefix}{key}", f"expected a non-empty string, got {_show(value)}")
        return str(value)

    def path_value(self, table: Mapping[str, Any], key: str, prefix: str, base: Path) -> str | None:
        value = self.string(table, key, prefix)
        return None if value is None else _resolve(value, base)

    def positive(self, table: Mapping[str, Any], key: str, default: float) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.fail(key, f"expected a number of seconds > 0, got {_show(value)}")
        return float(value)

    def boolean(self, table: Mapping[str, Any], key: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {_show(value)}")
        return bool(value)

    def alerts(self, table: object) -> AlertPolicy:
        """The ``[alerts]`` table: thresholds for core.alerts, each with a default."""
        if table is None:
            return AlertPolicy()
        if not isinstance(table, dict):
            self.fail("alerts", f"expected a table, got {_show(table)}")
        self.unknown_keys(table, _ALERT_KEYS, "alerts.")
        default = AlertPolicy()
        pct = table.get("pool_warn_percent", default.pool_warn_percent)
        if isinstance(pct, bool) or not isinstance(pct, int | float) or not 0 < pct <= 100:
            self.fail(
                "alerts.pool_warn_percent", f"expected a percentage 0 < p <= 100, got {_show(pct)}"
            )
        n = table.get("unreachable_refreshes", default.unreachable_refreshes)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            self.fail(
                "alerts.unreachable_refreshes",
                f"expected a whole number of refreshes >= 1, got {_show(n)}",
            )
        minutes = table.get("lease_expiry_minutes", default.lease_expiry_minutes)
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0:
            self.fail(
                "alerts.lease_expiry_minutes",
                f"expected a number of minutes > 0, got {_show(minutes)}",
            )
        return AlertPolicy(float(pct), n, float(minutes))

    def host(self, name: str, table: object, base: Path) -> HostEntry:
        prefix = f"hosts.{name}."
        if not isinstance(table, dict):
            self.fail(f"hosts.{name}", f"expected a table, got {_show(table)}")
        assert isinstance(table, dict)
        if not name.strip() or any(ch.isspace() for ch in name):
            self.fail(f"hosts.{name}", "a host name must be non-empty and contain no spaces")
        self.unknown_keys(table, _HOST_KEYS, prefix)
        port = table.get("port")
        if port is not None and (
            isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535
        ):
            self.fail(f"{prefix}port", f"expected an integer 1-65535, got {_show(port)}")
        uri = self.string(table, "libvirt_uri", prefix)
        if uri is not None and "://" not in uri:
            self.fail(
                f"{prefix}libvirt_uri", f"expected a libvirt URI like qemu+ssh://..., got {uri!r}"
            )
        checkout = self.string(table, "checkout", prefix)
        if checkout is not None and (
            not checkout.startswith("/") or any(c in checkout for c in "\n\r\0")
        ):
            self.fail(
                f"{prefix}checkout",
                f"expected an absolute path on the host like {DEFAULT_CHECKOUT}, got {checkout!r}",
            )
        return HostEntry(
            name=name,
            ssh_host=self.string(table, "ssh_host", prefix) or name,
            user=self.string(table, "user", prefix),
            port=port,
            identity=self.path_value(table, "identity", prefix, base),
            libvirt_uri=uri,
            checkout=checkout or DEFAULT_CHECKOUT,
        )
