"""``run_sync``: the one door for making libvirt hold git's reservations."""

from __future__ import annotations

import dataclasses

import pytest
from driftkit import git_host, live, with_reservations

from tropconsole.core.errors import ReadOnlyError, RemoteError
from tropconsole.core.models import Reservation
from tropconsole.core.sync import run_sync, virsh_command

NEW = Reservation("192.168.202.30", "52:54:00:02:02:1e", "Newcomer")


class FakeApplier:
    """Records calls; optionally fails on one IP, optionally scoped."""

    def __init__(self, *, read_only: bool = False, fail_ip: str | None = None) -> None:
        self.read_only = read_only
        self.fail_ip = fail_ip
        self.calls: list[tuple[str, str, str]] = []

    def _do(self, op: str, res: Reservation, scope: str) -> str:
        if res.ip == self.fail_ip:
            raise RemoteError("trop02", "libvirt failed: boom")
        self.calls.append((op, res.ip, scope))
        return scope

    def add_reservation(self, host: str, network: str, reservation: Reservation) -> str:
        return self._do("add", reservation, "auto")

    def remove_reservation(self, host: str, network: str, reservation: Reservation) -> str:
        return self._do("remove", reservation, "auto")


class ScopedFake(FakeApplier):
    def update_reservation(
        self, host: str, network: str, reservation: object, *, add: bool, live: bool, config: bool
    ) -> str:
        assert isinstance(reservation, Reservation)
        scope = "+".join(s for s, on in (("live", live), ("config", config)) if on)
        return self._do("add" if add else "remove", reservation, scope)


def drifted():
    host = git_host()
    git = host.network("default")
    changed = Reservation("192.168.202.40", git.reservations[0].mac, "Araybwyn")
    running = with_reservations(git, (changed, *git.reservations[1:], NEW))
    return git, live(
        git, running=running, persistent=with_reservations(git, (changed, *git.reservations[1:]))
    )


def test_removes_before_adds_and_uses_explicit_sides_when_it_can() -> None:
    git, net = drifted()
    applier = ScopedFake()
    outcomes = run_sync(applier, "trop02", git, net)
    assert applier.calls == [
        ("remove", "192.168.202.40", "auto"),  # in both sides: the plain call
        ("remove", "192.168.202.30", "live"),  # only running: live only
        ("add", "192.168.202.8", "auto"),
    ]
    assert all(o.ok for o in outcomes) and len(outcomes) == 3


def test_a_plain_applier_gets_every_step() -> None:
    git, net = drifted()
    applier = FakeApplier()
    run_sync(applier, "trop02", git, net)
    assert [c[0] for c in applier.calls] == ["remove", "remove", "add"]


def test_stops_at_the_first_failure_and_says_how_to_do_it_by_hand() -> None:
    git, net = drifted()
    seen = []
    outcomes = run_sync(
        FakeApplier(fail_ip="192.168.202.30"), "trop02", git, net, on_step=seen.append
    )
    assert [o.ok for o in outcomes] == [True, False] and seen == list(outcomes)
    assert "boom" in outcomes[1].message
    assert (
        "virsh net-update default delete ip-dhcp-host \"<host mac='52:54:00:02:02:1e' "
        "name='Newcomer' ip='192.168.202.30'/>\" --live"
    ) in outcomes[1].message


def test_read_only_is_refused_before_anything_is_touched_but_dry_run_is_allowed() -> None:
    git, net = drifted()
    applier = FakeApplier(read_only=True)
    with pytest.raises(ReadOnlyError) as err:
        run_sync(applier, "trop02", git, net)
    assert err.value.exit_code == 2 and applier.calls == []
    with pytest.raises(ReadOnlyError):
        run_sync(FakeApplier(), "trop02", git, net, read_only=True)
    dry = run_sync(None, "trop02", git, net, read_only=True, dry_run=True)
    assert len(dry) == 3 and all(o.message.startswith("dry run") for o in dry)


def test_nothing_to_do_when_libvirt_matches_git() -> None:
    git = git_host().network("default")
    assert run_sync(FakeApplier(), "trop02", git, live(git)) == ()


def test_no_applier_fails_with_the_command() -> None:
    git, net = drifted()
    [outcome] = run_sync(None, "trop02", git, net)
    assert not outcome.ok and "no live connection to trop02" in outcome.message


def test_virsh_command_for_config_only() -> None:
    from tropconsole.core.drift import SyncStep

    step = SyncStep(Reservation("192.168.202.9", None, None), live=False, config=True)
    assert virsh_command("add", "default", step) == (
        "virsh net-update default add-last ip-dhcp-host \"<host ip='192.168.202.9'/>\" --config"
    )


def test_resolve_sync_names_what_is_missing() -> None:
    from driftkit import clean_snapshot, fleet_of, fleet_snapshot

    from tropconsole.core.errors import RefusedError, TropError
    from tropconsole.core.live import FleetSnapshot
    from tropconsole.core.sync import resolve_sync

    host = git_host()
    fleet = fleet_of(host)
    snap = clean_snapshot(host)
    git_net, live_net = resolve_sync(fleet, fleet_snapshot(snap), "trop02", "default")
    assert (git_net.name, live_net.name) == ("default", "default")
    cases = [
        ("trop09", "default", fleet_snapshot(snap), "unknown host 'trop09'"),
        ("trop02", "nat9", fleet_snapshot(snap), "has no network 'nat9' in git"),
        ("trop02", "default", FleetSnapshot(taken_at=0), "trop02: cannot read live state"),
        (
            "trop02",
            "default",
            fleet_snapshot(dataclasses.replace(snap, networks=())),
            "virsh net-define /repo/src/cfg/tropo/trop02/etc/libvirt/qemu/networks/default.xml",
        ),
    ]
    for name, net, fs, text in cases:
        with pytest.raises(TropError) as err:
            resolve_sync(fleet, fs, name, net)
        assert text in err.value.message
        assert isinstance(err.value, RefusedError) == (fs.hosts != ())
