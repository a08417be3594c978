"""Three-way network drift: each difference is reported once, with where it sits and its fix."""

from __future__ import annotations

import dataclasses
import re

from driftkit import (
    NOW,
    clean_snapshot,
    fleet_of,
    fleet_snapshot,
    git_host,
    live,
    with_network,
    with_reservations,
)

from tropconsole.core.drift import (
    Action,
    Kind,
    Severity,
    fleet_drift,
    network_drift,
    plan_sync,
)
from tropconsole.core.live import FleetSnapshot, HostState, HostStatus
from tropconsole.core.models import DhcpRange, LibvirtNetwork, Reservation
from tropconsole.core.netxml import parse_network
from tropconsole.core.sample import render_default_xml

NEW = Reservation(ip="192.168.202.30", mac="52:54:00:02:02:1e", name="Newcomer")


def default_of(host=None) -> LibvirtNetwork:
    net = (host or git_host()).network("default")
    assert net is not None
    return net


def only(findings, kind: Kind):
    found = [f for f in findings if f.kind is kind]
    assert len(found) == 1, [f.line() for f in findings]
    return found[0]


def libvirt_rewrite(xml: str) -> str:
    """What libvirt writes back for the same network: a header comment, a real uuid,
    attributes reordered, prefix instead of netmask, lower-case MACs, reordered hosts,
    names in another case, extra attributes libvirt adds."""
    hosts = re.findall(r"      <host mac='([^']+)' ip='([^']+)' name='([^']+)'/>\n", xml)
    body = "".join(
        f"      <host ip='{ip}' name='{name.upper()}' mac='{mac.lower()}'/>\n"
        for mac, ip, name in reversed(hosts)
    )
    out = re.sub(r"      <host [^\n]*\n", "", xml)
    out = out.replace("    </dhcp>", body + "    </dhcp>")
    out = out.replace("<uuid/>", "<uuid>3e6a6c6a-4b5f-4c4e-9c1f-3f0f1f2a3b4c</uuid>")
    out = out.replace("<network ipv6='yes'>", "<network connections='2' ipv6='yes'>")
    out = re.sub(
        r"<ip family='ipv4' address='([^']+)' netmask='255.255.255.0'>",
        r"<ip address='\1' prefix='24'>",
        out,
    )
    return (
        "<!--\nWARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n"
        "OVERWRITTEN AND LOST.\n-->\n\n" + out
    )


def test_a_host_that_matches_git_has_no_drift() -> None:
    hosts = [git_host(i) for i in (1, 2, 3, 4)]
    snapshot = fleet_snapshot(*(clean_snapshot(h) for h in hosts))
    assert fleet_drift(fleet_of(*hosts), snapshot) == ()


def test_libvirts_rewrite_of_the_same_network_is_not_drift() -> None:
    host = git_host()
    rewritten = parse_network(libvirt_rewrite(render_default_xml(2)))
    assert rewritten.uuid and rewritten.ips[0].prefix == 24  # the rewrite really differs
    assert rewritten.reservations[0].name == "ACILAMWEN"
    snap = with_network(clean_snapshot(host), live(rewritten))
    assert network_drift(host, snap) == ()


def test_live_only_addition_says_a_restart_would_lose_it() -> None:
    host = git_host()
    git = default_of(host)
    running = with_reservations(git, (*git.reservations, NEW))
    f = only(
        network_drift(host, with_network(clean_snapshot(host), live(git, running=running))),
        Kind.LIVE_ONLY,
    )
    assert (f.where, f.network, f.mac, f.ip) == ("only running", "default", NEW.mac, NEW.ip)
    assert f.action is Action.SYNC_NETWORK and f.aspect == "reservation"
    assert "restart would lose it" in f.fix and "tropconsole sync --host trop02" in f.fix


def test_live_only_removal_is_missing_from_running() -> None:
    host = git_host()
    git = default_of(host)
    running = with_reservations(git, git.reservations[1:])
    f = only(
        network_drift(host, with_network(clean_snapshot(host), live(git, running=running))),
        Kind.LIVE_ONLY,
    )
    assert f.where == "missing from running" and f.mac == "52:54:00:02:02:08"


def test_config_only_addition_takes_effect_on_restart() -> None:
    host = git_host()
    git = default_of(host)
    persistent = with_reservations(git, (*git.reservations, NEW))
    snap = with_network(clean_snapshot(host), live(git, persistent=persistent))
    f = only(network_drift(host, snap), Kind.CONFIG_ONLY)
    assert f.where == "only persistent" and f.mac == NEW.mac
    assert "net-destroy/net-start" in f.fix


def test_config_only_removal_is_missing_from_persistent() -> None:
    host = git_host()
    git = default_of(host)
    persistent = with_reservations(git, git.reservations[:-1])
    snap = with_network(clean_snapshot(host), live(git, persistent=persistent))
    assert only(network_drift(host, snap), Kind.CONFIG_ONLY).where == "missing from persistent"


def test_commit_not_applied_names_the_git_file_and_line() -> None:
    xml = render_default_xml(2).replace(
        "    </dhcp>",
        "      <host mac='52:54:00:02:02:1e' ip='192.168.202.30' name='Newcomer'/>\n    </dhcp>",
    )
    host = git_host(default_xml=xml)
    applied = default_of(git_host())
    findings = network_drift(host, with_network(clean_snapshot(host), live(applied)))
    f = only(findings, Kind.NOT_APPLIED)
    assert f.where == "only in git" and f.mac == NEW.mac
    assert "networks/default.xml:22" in f.detail
    assert f.fix == "commit not applied: tropconsole sync --host trop02 --network default"


def test_live_change_never_committed() -> None:
    host = git_host()
    git = default_of(host)
    both = with_reservations(git, (*git.reservations, NEW))
    f = only(network_drift(host, with_network(clean_snapshot(host), live(both))), Kind.NOT_APPLIED)
    assert f.where == "live, not in git"


def test_a_changed_ip_shows_the_old_and_the_new_entry() -> None:
    host = git_host()
    git = default_of(host)
    moved = Reservation("192.168.202.40", "52:54:00:02:02:08", "Araybwyn")
    both = with_reservations(git, (moved, *git.reservations[1:]))
    findings = network_drift(host, with_network(clean_snapshot(host), live(both)))
    assert sorted((f.where, f.ip) for f in findings) == [
        ("live, not in git", "192.168.202.40"),
        ("only in git", "192.168.202.8"),
    ]


def test_forward_mode_differs_from_git_on_both_sides() -> None:
    host = git_host()
    isolated = dataclasses.replace(default_of(host), forward_mode=None)
    f = only(
        network_drift(host, with_network(clean_snapshot(host), live(isolated))), Kind.NOT_APPLIED
    )
    assert (f.aspect, f.where, f.action) == ("forward", "git≠live", Action.REDEFINE_NETWORK)
    assert "git nat" in f.detail and "isolated" in f.detail


def test_a_redefined_but_not_restarted_network_is_config_only() -> None:
    host = git_host()
    git = default_of(host)
    old = dataclasses.replace(git, forward_mode="route")
    f = only(
        network_drift(host, with_network(clean_snapshot(host), live(git, running=old))),
        Kind.CONFIG_ONLY,
    )
    assert (f.aspect, f.where, f.action) == (
        "forward",
        "persistent≠running",
        Action.RESTART_NETWORK,
    )


def test_dhcp_range_address_bridge_and_mac_differences() -> None:
    host = git_host()
    git = default_of(host)
    ip = dataclasses.replace(
        git.ips[0],
        address="192.168.202.254",
        prefix=25,
        netmask=None,
        ranges=(DhcpRange("192.168.202.8", "192.168.202.20"),),
    )
    other = dataclasses.replace(git, ips=(ip,), bridge="virbr9", mac="52:54:00:aa:bb:cc")
    findings = network_drift(host, with_network(clean_snapshot(host), live(other)))
    aspects = sorted(f.aspect for f in findings if f.kind is Kind.NOT_APPLIED)
    assert aspects == ["address", "address", "bridge", "dhcp-range", "dhcp-range", "mac"]


def test_missing_unmanaged_inactive_and_transient_networks() -> None:
    host = git_host()
    git = default_of(host)
    snap = clean_snapshot(host)
    gone = dataclasses.replace(
        snap, networks=tuple(n for n in snap.networks if n.name != "default")
    )
    f = only(network_drift(host, gone), Kind.NETWORK_MISSING)
    assert f.severity is Severity.ERROR and f.where == "only in git"
    extra = dataclasses.replace(live(git), name="scratch")
    f = only(
        network_drift(host, dataclasses.replace(snap, networks=(*snap.networks, extra))),
        Kind.NETWORK_NOT_IN_GIT,
    )
    assert f.subject == "scratch" and f.action is Action.EDIT_CONFIG
    down = network_drift(host, with_network(snap, live(git, active=False)))
    assert [f.kind for f in down] == [Kind.NETWORK_INACTIVE]
    transient = network_drift(host, with_network(snap, live(git, is_persistent=False)))
    assert [f.kind for f in transient] == [Kind.NETWORK_TRANSIENT]


def test_an_inactive_network_is_compared_with_its_persistent_definition() -> None:
    host = git_host()
    git = default_of(host)
    persistent = with_reservations(git, (*git.reservations, NEW))
    snap = with_network(clean_snapshot(host), live(git, persistent=persistent, active=False))
    kinds = {f.kind: f for f in network_drift(host, snap)}
    assert set(kinds) == {Kind.NETWORK_INACTIVE, Kind.NOT_APPLIED}
    assert kinds[Kind.NOT_APPLIED].where == "live, not in git"


def test_unreadable_live_xml_is_reported_not_raised() -> None:
    host = git_host()
    bad = dataclasses.replace(
        live(default_of(host)),
        running=None,
        persistent_def=None,
        running_xml="<network><name>default",
        persistent_xml="<oops",
    )
    f = only(network_drift(host, with_network(clean_snapshot(host), bad)), Kind.NETWORK_UNREADABLE)
    assert "trop02" in f.detail and "malformed XML" in f.detail


def test_unreachable_host_is_one_finding_and_stale_host_is_still_checked() -> None:
    hosts = [git_host(1), git_host(2)]
    snap2 = clean_snapshot(hosts[1], leases=())
    snapshot = FleetSnapshot(
        taken_at=NOW + 60,
        hosts=(
            HostStatus("trop01", HostState.DOWN, error="ssh: connect timed out"),
            HostStatus("trop02", HostState.STALE, snapshot=snap2, error="libvirt: gone"),
            HostStatus("trop09", HostState.OK, snapshot=dataclasses.replace(snap2, host="trop09")),
        ),
    )
    findings = fleet_drift(fleet_of(*hosts), snapshot)
    assert [(f.host, f.kind) for f in findings] == [
        ("trop01", Kind.HOST_UNREACHABLE),
        ("trop02", Kind.HOST_STALE),
        ("trop09", Kind.HOST_NOT_IN_GIT),
    ]
    assert "not reachable, drift unknown" in findings[0].detail
    assert "60s old" in findings[1].detail
    assert fleet_drift(fleet_of(*hosts), snapshot, hosts=["trop01"]) == findings[:1]


def test_finding_keys_are_unique_and_stable() -> None:
    host = git_host()
    git = default_of(host)
    running = with_reservations(git, (*git.reservations[1:], NEW))
    snap = with_network(clean_snapshot(host), live(git, running=running))
    first, again = network_drift(host, snap), network_drift(host, snap)
    assert len(first) == 2 and len({f.key for f in first}) == 2
    assert [f.key for f in first] == [f.key for f in again]


def test_plan_sync_removes_extra_then_adds_missing_on_the_sides_that_need_it() -> None:
    git = default_of()
    stale = Reservation("192.168.202.40", "52:54:00:02:02:08", "Araybwyn")
    running = with_reservations(git, (stale, *git.reservations[1:], NEW))
    persistent = with_reservations(git, git.reservations[1:])
    to_add, to_remove = plan_sync(git, live(git, running=running, persistent=persistent))
    assert [(s.reservation.ip, s.live, s.config, s.whole) for s in to_add] == [
        ("192.168.202.8", True, True, True)
    ]
    assert sorted((s.reservation.ip, s.scope, s.whole) for s in to_remove) == [
        ("192.168.202.30", "live", False),
        ("192.168.202.40", "live", False),
    ]


def test_plan_sync_on_an_inactive_network_touches_the_persistent_side_only() -> None:
    git = default_of()
    persistent = with_reservations(git, git.reservations[1:])
    plan = plan_sync(git, live(git, persistent=persistent, active=False))
    assert [(s.scope, s.whole) for s in plan.to_add] == [("config", True)]
    assert plan.to_remove == ()


def test_plan_sync_of_a_matching_network_is_empty() -> None:
    git = default_of()
    assert plan_sync(git, live(parse_network(libvirt_rewrite(render_default_xml(2))))).empty
