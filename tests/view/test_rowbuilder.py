"""The incremental Leases view (``RowBuilder``) against the one built from nothing."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest

from tropconsole.core.live import FleetSnapshot, HostSnapshot, HostState, HostStatus
from tropconsole.core.models import (
    FleetConfig,
    HostConfig,
    Lease,
    LibvirtNetwork,
    NetworkIP,
    Reservation,
)
from tropconsole.core.scheme import norm_mac
from tropconsole.view.build import RowBuilder
from tropconsole.view.common import SORT_COLUMNS, View, ViewRows, host_cell
from tropconsole.view.leases import _expires_until, _lease_entry, expires_text, lease_rows

NOW = 1_800_000_000.0

# "trop2" and "trop02" sort as equals (natural order): their rows interleave.
HOSTS = ("trop01", "trop02", "trop03", "trop10", "trop2")
NETWORKS = ("default", "bridged", "net9", "net10")
MACS = (*(f"52:54:00:00:00:{i:02x}" for i in range(12)), "52:54:00:00:00:0A", "junk")


def status(host: str, state: HostState, leases: list[Lease], last_ok: float) -> HostStatus:
    snap = None
    if state is not HostState.DOWN:
        snap = HostSnapshot(host=host, taken_at=last_ok, leases=tuple(leases))
    return HostStatus(host, state, snap, None if state is HostState.OK else "timeout", last_ok)


def renewed(leases: list[Lease]) -> list[Lease]:
    """Equal leases, new objects: what the poller hands over on every refresh."""
    return [dataclasses.replace(lease) for lease in leases]


def config(spec: dict[tuple[str, str], list[Reservation]]) -> FleetConfig:
    """A new config (new objects, every time) holding the reservations of ``spec``."""
    hosts = []
    for host in sorted({h for h, _ in spec}):
        nets = tuple(
            LibvirtNetwork(
                name=net,
                ips=(NetworkIP("10.0.0.1", hosts=tuple(map(dataclasses.replace, res))),),
                path=f"/repo/{host}/{net}.xml",
            )
            for (h, net), res in spec.items()
            if h == host
        )
        hosts.append(HostConfig(name=host, index=None, interfaces=None, networks=nets))
    return FleetConfig(repo="/repo", hosts=tuple(hosts))


class World:
    """A small fleet changed at random, step by step."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.now = NOW
        self.hosts: dict[str, tuple[HostState, list[Lease], float]] = {}
        self.spec: dict[tuple[str, str], list[Reservation]] = {}
        self.config: FleetConfig | None = None
        self.twice: str | None = None  # a host listed twice in the fleet
        for host in HOSTS[:2] + HOSTS[-1:]:
            self.hosts[host] = (HostState.OK, [self.lease(host) for _ in range(6)], NOW)

    def lease(self, host: str) -> Lease:
        rng = self.rng
        if rng.random() < 0.01:
            host = rng.choice(HOSTS)  # a lease naming another host
        return Lease(
            host=host,
            network=rng.choice(NETWORKS),
            mac=rng.choice(MACS),
            ip=f"192.168.1.{rng.randrange(2, 20)}",
            hostname=rng.choice((None, "web", "db", f"vm{rng.randrange(100)}")),
            expiry=None if rng.random() < 0.1 else int(self.now) + rng.randrange(-300, 7300),
            source=rng.choice(("libvirt", "libvirt", "status-file", "demo")),
        )

    def fleet(self) -> FleetSnapshot:
        hosts = [status(h, state, leases, ok) for h, (state, leases, ok) in self.hosts.items()]
        if self.twice in self.hosts:
            _, leases, ok = self.hosts[self.twice]
            hosts.append(status(self.twice, HostState.STALE, leases[:2], ok - 200))
        return FleetSnapshot(self.now, tuple(hosts))

    def step(self) -> None:
        rng = self.rng
        kind = rng.randrange(12)
        host = rng.choice(list(self.hosts)) if self.hosts else None
        if kind == 0:
            self.now += rng.choice((0, 0.5, 1, 59, 60, 61, rng.uniform(0, 400)))
        elif kind == 1 and host:  # add a lease
            self.hosts[host][1].insert(
                rng.randrange(len(self.hosts[host][1]) + 1), self.lease(host)
            )
        elif kind == 2 and host and self.hosts[host][1]:  # remove one
            self.hosts[host][1].pop(rng.randrange(len(self.hosts[host][1])))
        elif kind in (3, 4) and host and self.hosts[host][1]:  # change one field of one
            leases = self.hosts[host][1]
            i = rng.randrange(len(leases))
            fresh = self.lease(host)
            field = rng.choice(("ip", "hostname", "expiry", "mac", "source", "network", "expiry"))
            leases[i] = dataclasses.replace(leases[i], **{field: getattr(fresh, field)})
        elif kind == 5 and host:  # the same leases, re-read
            state, leases, ok = self.hosts[host]
            self.hosts[host] = (state, renewed(leases), ok)
        elif kind == 6 and host:  # OK, stale or down
            state, leases, ok = self.hosts[host]
            new = rng.choice((HostState.OK, HostState.STALE, HostState.DOWN))
            self.hosts[host] = (new, leases, self.now if new is HostState.OK else ok)
        elif kind == 7:
            self.switch_config()
        elif kind == 8:
            missing = [h for h in HOSTS if h not in self.hosts]
            if missing and rng.random() < 0.6:
                name = rng.choice(missing)
                self.hosts[name] = (HostState.OK, [self.lease(name) for _ in range(4)], self.now)
            elif host:
                del self.hosts[host]
        elif kind == 9:
            self.twice = host if rng.random() < 0.5 else None
        else:  # the common case: time passes, every host re-read
            self.now += rng.uniform(0, 3)
            for name, (state, leases, ok) in self.hosts.items():
                self.hosts[name] = (
                    state,
                    renewed(leases),
                    self.now if state is HostState.OK else ok,
                )

    def switch_config(self) -> None:
        rng = self.rng
        choice = rng.randrange(5)
        if choice == 0:
            self.config = None
        elif choice == 1:  # a new but equal config (reloaded)
            self.config = config(self.spec)
        elif choice == 2 and self.spec:  # one reservation's IP changed
            res = rng.choice(list(self.spec.values()))
            if res:
                i = rng.randrange(len(res))
                res[i] = dataclasses.replace(res[i], ip=f"192.168.1.{rng.randrange(2, 20)}")
            self.config = config(self.spec)
        else:  # reservations for some MACs of some hosts
            self.spec = {
                (host, net): [
                    Reservation(
                        ip=f"192.168.1.{rng.randrange(2, 20)}",
                        mac=rng.choice((*MACS, None)),
                        name=rng.choice((None, "res")),
                    )
                    for _ in range(rng.randrange(4))
                ]
                for host in rng.sample(HOSTS, 3)
                for net in rng.sample(NETWORKS, 2)
            }
            self.config = config(self.spec)


def reference(fleet: FleetSnapshot, cfg: FleetConfig | None, now: float) -> ViewRows:
    """The Leases view the plain way: every lease in turn (the last lease of a row key
    wins, at the place of the first), then one sort of the whole view."""
    index = {
        (host.name, net.name, norm_mac(res.mac) or ""): res
        for host in (cfg.hosts if cfg else ())
        for net in host.networks
        for res in net.reservations
        if res.mac
    }
    rows = {}
    for status in fleet.hosts:
        if status.snapshot is None:
            continue
        for lease in status.snapshot.leases:
            mac = norm_mac(lease.mac) or ""
            reserved = index.get((lease.host, lease.network, mac))
            entry = _lease_entry(status, lease, mac, reserved, cfg, host_cell(status, now), now)
            rows[entry.key] = (entry.row, entry.target)
    out = ViewRows()
    for key, (row, target) in rows.items():
        out.add(key, row, target)
    return out.sorted(SORT_COLUMNS[View.LEASES])


def assert_same(got: ViewRows, fleet: FleetSnapshot, cfg: FleetConfig | None, now: float) -> None:
    """``got`` is what a new builder makes (the contract), and what the plain way makes."""
    for expected in (lease_rows(fleet, cfg, now), reference(fleet, cfg, now)):
        assert list(got.rows.items()) == list(expected.rows.items())
        assert list(got.targets.items()) == list(expected.targets.items())


@pytest.mark.parametrize("seed", range(4))
def test_the_row_builder_matches_a_fresh_build_at_every_step(seed: int) -> None:
    rng = random.Random(seed)
    world = World(rng)
    builder = RowBuilder()
    last: ViewRows | None = None
    last_items: list[object] = []
    for _ in range(300):
        world.step()
        fleet = world.fleet()
        got = builder.lease_rows(fleet, world.config, world.now)
        assert_same(got, fleet, world.config, world.now)
        if last is not None:  # the event loop may still hold it: the builder left it alone
            assert [*last.rows.items(), *last.targets.items()] == last_items
        last, last_items = got, [*got.rows.items(), *got.targets.items()]


def test_the_row_builder_starts_over_when_the_clock_goes_back() -> None:
    leases = [
        Lease("trop01", "default", MACS[i], f"192.168.1.{i + 2}", expiry=int(NOW) + 600 * i)
        for i in range(5)
    ]
    fleet = FleetSnapshot(NOW, (status("trop01", HostState.OK, leases, NOW),))
    builder = RowBuilder()
    for now in (NOW, NOW + 1900, NOW + 30, NOW + 4000, NOW - 100):
        assert_same(builder.lease_rows(fleet, None, now), fleet, None, now)


def lease(host: str, mac: int, ip: int, network: str = "default") -> Lease:
    return Lease(host, network, MACS[mac], f"192.168.1.{ip}", expiry=int(NOW) + 1830)


def leases_of(host: HostStatus) -> list[Lease]:
    return list(host.snapshot.leases) if host.snapshot else []


def ok(host: str, *leases: Lease) -> HostStatus:
    return status(host, HostState.OK, list(leases), NOW)


@pytest.mark.parametrize(
    "hosts",
    [
        # Host cells that sort as equals ("trop2", "trop02"): their rows interleave by IP.
        (
            ok("trop02", lease("trop02", 0, 2), lease("trop02", 1, 9)),
            ok("trop2", lease("trop2", 2, 5)),
        ),
        # A host listed twice, the second time stale: its copy of a key wins.
        (
            ok("trop01", lease("trop01", 0, 2), lease("trop01", 1, 3), lease("trop01", 2, 4)),
            ok("trop02", lease("trop02", 0, 2)),
            status("trop01", HostState.STALE, [lease("trop01", 1, 3)], NOW - 300),
        ),
        # A lease naming another host, with the key of one of that host's leases.
        (
            ok("trop01", lease("trop01", 0, 2), lease("trop02", 1, 3), lease("trop01", 2, 4)),
            ok("trop02", lease("trop02", 1, 3), lease("trop02", 3, 2)),
        ),
        # Duplicate keys within a host: the last lease of a key, at the place of the first.
        (ok("trop01", lease("trop01", 0, 9), lease("trop01", 1, 9), lease("trop01", 0, 9)),),
    ],
)
def test_the_row_builder_merges_hosts_whose_rows_mix(hosts: tuple[HostStatus, ...]) -> None:
    fleet = FleetSnapshot(NOW, hosts)
    builder = RowBuilder()
    for now in (NOW, NOW + 1):
        assert_same(builder.lease_rows(fleet, None, now), fleet, None, now)
    again = FleetSnapshot(
        NOW, tuple(status(h.host, h.state, renewed(leases_of(h)), NOW) for h in hosts)
    )
    assert_same(builder.lease_rows(again, None, NOW + 2), again, None, NOW + 2)
    assert len(builder.lease_rows(again, None, NOW + 2).rows) > 1


E = 1_800_003_600  # an expiry an hour after NOW


def after(t: float) -> float:
    return math.nextafter(t, math.inf)


@pytest.mark.parametrize(
    ("now", "text", "until"),
    [
        (E, "expired", math.inf),  # expired just now: "expired" for good
        (E + 500.5, "expired", math.inf),
        (E - 0.5, "in <1m", E),  # "in <1m" until the expiry
        (E - 59.5, "in <1m", E),
        (E - 60, "in 1m", after(E - 60)),  # exactly a minute left, then less
        (E - 119.5, "in 1m", after(E - 60)),
        (E - 120, "in 2m", after(E - 120)),  # exactly 2 minutes
        (E - 3599.5, "in 59m", after(E - 3540)),
        (E - 3600, "in 1h00m", after(E - 3600)),  # exactly an hour: "in 1h00m", then 59m
        (E - 3660.25, "in 1h01m", after(E - 3660)),
        (E - 7800, "in 2h10m", after(E - 7800)),  # over an hour, on a minute boundary
        (E - 7830, "in 2h10m", after(E - 7800)),
    ],
)
def test_expires_until_is_when_the_expires_text_next_reads_differently(
    now: float, text: str, until: float
) -> None:
    assert expires_text(E, now) == text
    assert _expires_until(E, now) == until
    if until != math.inf:
        assert expires_text(E, math.nextafter(until, -math.inf)) == text
        assert expires_text(E, until) != text


def test_expires_until_without_an_expiry_is_never() -> None:
    assert _expires_until(None, NOW) == math.inf


def test_expires_until_on_random_times() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        expiry = int(NOW) + rng.randrange(-200, 8000)
        now = rng.choice((NOW + rng.randrange(-100, 100), NOW + rng.uniform(-100, 100)))
        until = _expires_until(expiry, now)
        text = expires_text(expiry, now)
        assert until > now
        if until == math.inf:
            assert expires_text(expiry, now + 10**6) == text
            continue
        before = math.nextafter(until, -math.inf)
        between = now + (before - now) * rng.random()
        assert expires_text(expiry, before) == expires_text(expiry, between) == text
        assert expires_text(expiry, until) != text


def test_expires_until_is_never_late_where_the_subtraction_rounds() -> None:
    # 10 000 - 100.00000000000001 rounds to 9900.0: "in 2h45m" lasts a little longer than
    # the exact arithmetic says. Early is only a row redone for nothing; it is after now.
    now = 100.0
    until = _expires_until(10_000, now)
    assert until == after(100.0)
    assert expires_text(10_000, until) == expires_text(10_000, now) == "in 2h45m"
    assert _expires_until(10_000, until) > until


def test_an_unchanged_host_keeps_its_row_objects() -> None:
    def host(name: str, k: int) -> list[Lease]:
        return [
            Lease(name, "default", MACS[i], f"192.168.{k}.{i + 2}", expiry=int(NOW) + 1830)
            for i in range(8)
        ]

    one, two = host("trop01", 1), host("trop02", 2)
    builder = RowBuilder()
    fleet = FleetSnapshot(
        NOW,
        (status("trop01", HostState.OK, one, NOW), status("trop02", HostState.OK, two, NOW)),
    )
    first = builder.lease_rows(fleet, None, NOW)
    # A second later: trop01 re-read unchanged, trop02 with one lease's hostname changed.
    two[3] = dataclasses.replace(two[3], hostname="renamed")
    later = FleetSnapshot(
        NOW + 1,
        (
            status("trop01", HostState.OK, renewed(one), NOW + 1),
            status("trop02", HostState.OK, renewed(two), NOW + 1),
        ),
    )
    second = builder.lease_rows(later, None, NOW + 1)
    assert_same(second, later, None, NOW + 1)
    changed = [k for k in second.rows if second.rows[k] is not first.rows[k]]
    assert changed == ["trop02/default/52:54:00:00:00:03"]
    # Nothing changed at all: the very same view, so the table's diff has nothing to do.
    assert builder.lease_rows(later, None, NOW + 2) is second
