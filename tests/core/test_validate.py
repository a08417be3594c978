"""Validation of a reservation against the whole fleet: every rule, and what it names."""

from __future__ import annotations

from pathlib import Path

import pytest
from fleetkit import FIRST_HOST_LINE, bridged_net, fleet, host, net_path, res, seed_fleet
from hypothesis import given
from hypothesis import strategies as st

from tropconsole.core.errors import Problem, ValidationError, Where
from tropconsole.core.models import (
    DhcpRange,
    FleetConfig,
    HostConfig,
    Lease,
    LibvirtNetwork,
    NetworkIP,
    Reservation,
)
from tropconsole.core.scheme import HostScheme, SchemeOverride
from tropconsole.core.validate import (
    check,
    is_hostname_label,
    normalise_ip,
    normalise_mac,
    validate_reservation,
)

GOOD = {"name": "newvm", "mac": "52:54:00:02:02:0a", "ip": "192.168.202.10"}


def run(
    cfg: FleetConfig | None = None,
    host_: str = "trop02",
    network: str = "default",
    **fields: str | None,
) -> tuple[Problem, ...]:
    values: dict[str, str | None] = {**GOOD, **fields}
    ip = values["ip"]
    assert ip is not None
    return validate_reservation(
        cfg or seed_fleet(), host_, network, name=values["name"], mac=values["mac"], ip=ip
    )


def errors(problems: tuple[Problem, ...], field: str | None = None) -> list[Problem]:
    return [p for p in problems if p.severity == "error" and field in (None, p.field)]


def warnings(problems: tuple[Problem, ...]) -> list[Problem]:
    return [p for p in problems if p.severity == "warning"]


# --- notations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "52:54:00:02:02:0A",
        "52:54:00:02:02:0a",
        "52-54-00-02-02-0a",
        "5254.0002.020a",
        "52540002020a",
        "52:54:0:2:2:a",
        "5254-0002-020a",
        "  52:54:00:02:02:0a\n",
    ],
)
def test_common_mac_notations_normalise_to_libvirt_form(text: str) -> None:
    assert normalise_mac(text) == "52:54:00:02:02:0a"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "52:54:00:02:02",
        "52:54:00:02:02:0g",
        "52:54:00:02:02:0a:00:00",
        "52 54 00 02 02 0a",
        "web01",
    ],
)
def test_non_macs_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        normalise_mac(text)
    assert err.value.problems[0].field == "mac"
    assert "52:54:00:02:02:0a" in str(err.value)


def test_normalise_ip() -> None:
    assert normalise_ip(" 192.168.202.10 ") == "192.168.202.10"
    for bad in ["192.168.202.010", "10", "192.168.202", "fd00::1", "host"]:
        with pytest.raises(ValidationError, match="not an IPv4 address"):
            normalise_ip(bad)


@given(st.integers(0, 2**48 - 1), st.sampled_from(["{:012x}", "{:012X}", "dash", "dot"]))
def test_normalise_mac_is_idempotent_whatever_the_notation(value: int, style: str) -> None:
    hexed = f"{value:012x}"
    if style == "dash":
        text = "-".join(hexed[i : i + 2] for i in range(0, 12, 2))
    elif style == "dot":
        text = ".".join(hexed[i : i + 4] for i in range(0, 12, 4))
    else:
        text = style.format(value)
    once = normalise_mac(text)
    assert normalise_mac(once) == once
    assert once == ":".join(hexed[i : i + 2] for i in range(0, 12, 2))


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("web01", True),
        ("Ulov", True),
        ("a", True),
        ("9lives", True),
        ("a-b", True),
        ("x" * 63, True),
        ("x" * 64, False),
        ("", False),
        ("-web", False),
        ("web-", False),
        ("web_01", False),
        ("web.example.org", False),
        ("wéb", False),
        ("web 01", False),
        ("web01\n", False),
    ],
)
def test_hostname_labels(name: str, ok: bool) -> None:
    assert is_hostname_label(name) is ok


# --- a clean reservation -----------------------------------------------------------------


def test_a_reservation_on_the_scheme_has_no_problems() -> None:
    assert run() == ()


def test_a_reservation_without_name_or_without_mac_is_fine() -> None:
    assert run(name=None) == ()
    assert run(mac=None) == ()


def test_neither_mac_nor_name_is_refused() -> None:
    assert "give a MAC or a name" in errors(run(name=None, mac=None), "mac")[0].message


# --- target ------------------------------------------------------------------------------


def test_unknown_host_names_the_hosts_that_exist() -> None:
    found = errors(run(host_="trop09"), "host")
    assert (
        found[0].message == "unknown host 'trop09'; the config repo has: "
        "trop01, trop02, trop03, trop04"
    )


def test_unknown_network_names_the_networks_of_the_host() -> None:
    found = errors(run(network="isolated"), "network")
    assert "trop02 has no network 'isolated'; it has: bridged, default" in found[0].message


def test_network_without_dhcp_points_to_one_with_dhcp() -> None:
    found = errors(run(network="bridged"), "network")
    assert "networks with DHCP on trop02: default" in found[0].message
    assert found[0].conflict is None  # not a conflict: nothing else holds the entry


def test_unknown_host_still_reports_the_other_problems() -> None:
    problems = run(host_="trop09", name="bad_name", mac="zz", ip="1.2.3")
    assert {p.field for p in errors(problems)} == {"host", "name", "mac", "ip"}


# --- MAC ---------------------------------------------------------------------------------


def test_mac_syntax_is_checked() -> None:
    assert "'52:54:zz' is not a MAC address" in errors(run(mac="52:54:zz"), "mac")[0].message


def test_mac_in_any_notation_is_accepted() -> None:
    assert run(mac="5254.0002.020A") == ()


@pytest.mark.parametrize(
    ("mac", "text"),
    [
        ("ff:ff:ff:ff:ff:ff", "broadcast"),
        ("53:54:00:02:02:0a", "multicast"),
        ("01:00:5e:00:00:fb", "multicast"),
        ("00:00:00:00:00:00", "not a usable MAC"),
    ],
)
def test_mac_must_be_unicast(mac: str, text: str) -> None:
    assert any(text in p.message for p in errors(run(mac=mac), "mac"))


def test_mac_from_another_hosts_range_names_that_host() -> None:
    found = errors(run(mac="52:54:00:02:01:0a"), "mac")
    assert [str(p) for p in found] == [
        "mac: 52:54:00:02:01:0a is in trop01's range 52:54:00:02:01:xx, "
        "not trop02's (52:54:00:02:02:xx)"
    ]


def test_mac_outside_every_range_says_whose_range_to_use() -> None:
    found = errors(run(mac="52:54:00:aa:bb:cc"), "mac")
    assert "outside trop02's range 52:54:00:02:02:xx" in found[0].message


def test_explicit_scheme_replaces_the_derived_one() -> None:
    scheme = HostScheme("trop02", "52:54:00:aa:bb", "192.168.202.0/24")
    problems = validate_reservation(
        seed_fleet(),
        "trop02",
        "default",
        name="n",
        mac="52:54:00:aa:bb:10",
        ip="192.168.202.10",
        scheme=scheme,
    )
    assert problems == ()


def test_overrides_say_who_owns_a_moved_prefix() -> None:
    overrides = {"trop03": SchemeOverride(mac_prefix="52:54:00:aa:03")}
    problems = validate_reservation(
        seed_fleet(),
        "trop02",
        "default",
        name="n",
        mac="52:54:00:aa:03:10",
        ip="192.168.202.10",
        overrides=overrides,
    )
    assert "in trop03's range 52:54:00:aa:03:xx" in errors(problems, "mac")[0].message


def test_host_without_scheme_is_an_error_suggesting_an_override() -> None:
    cfg = fleet(HostConfig("gw", None, None, (host(2).networks[1],)))
    found = errors(run(cfg, host_="gw"), "host")
    assert "override" in found[0].message


# --- IP ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "text"),
    [
        ("192.168.202", "not an IPv4 address"),
        ("", "no IP address given"),
        ("192.168.202.010", "not an IPv4 address"),
        ("fd00::10", "only IPv4"),
        ("192.168.202.0", "network address of 192.168.202.0/24"),
        ("192.168.202.255", "broadcast address of 192.168.202.0/24"),
        ("192.168.202.1", "trop02/default's own address (the guests' gateway)"),
        ("10.0.0.10", "outside trop02/default's subnet 192.168.202.0/24"),
    ],
)
def test_bad_addresses_are_errors(ip: str, text: str) -> None:
    found = errors(run(ip=ip), "ip")
    assert found and text in found[0].message


def test_gateway_refusal_points_at_the_ip_element() -> None:
    found = errors(run(ip="192.168.202.1"), "ip")
    assert found[0].conflict == Where("trop02", "default", net_path("trop02"), 11)


def test_address_in_another_hosts_subnet_names_it() -> None:
    found = errors(run(ip="192.168.203.10"), "ip")
    assert found[0].message == (
        "192.168.203.10 is outside trop02/default's subnet "
        "192.168.202.0/24 (it is in trop03's subnet 192.168.203.0/24)"
    )


def test_outside_the_dhcp_range_is_only_a_warning() -> None:
    problems = run(ip="192.168.202.100", mac="52:54:00:02:02:64")
    assert errors(problems) == []
    assert len(warnings(problems)) == 1
    assert "outside the DHCP range (192.168.202.8-192.168.202.15)" in problems[0].message
    check(problems)  # a warning does not refuse


def test_network_without_range_warns() -> None:
    cfg = fleet(host(2, ranges=[]))
    problems = run(cfg)
    assert [p.severity for p in problems] == ["warning"]
    assert f"has no <range> in {net_path('trop02')}" in problems[0].message


def test_address_off_the_host_scheme_in_a_wide_subnet_warns() -> None:
    wide = NetworkIP(
        address="192.168.0.1",
        prefix=16,
        has_dhcp=True,
        line=5,
        ranges=(DhcpRange("192.168.0.2", "192.168.255.254"),),
    )
    net = LibvirtNetwork("default", mac="52:54:00:02:02:01", ips=(wide,), path="/w.xml")
    cfg = fleet(HostConfig("trop02", 2, None, (net,)), host(3))
    assert run(cfg, ip="192.168.202.50") == ()
    assert (
        "is outside trop02's subnet 192.168.202.0/24"
        in warnings(run(cfg, ip="192.168.7.50"))[0].message
    )
    assert (
        "is in trop03's subnet 192.168.203.0/24, not trop02's"
        in warnings(run(cfg, ip="192.168.203.50"))[0].message
    )


# --- name --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("web_01", "only hold letters, digits and hyphens (found '_')"),
        ("-web", "must not start or end with a hyphen"),
        ("web.example.org", "single label; drop the domain ('web')"),
        ("x" * 64, "at most 63"),
        ("", "the name is empty"),
    ],
)
def test_bad_names_are_refused_saying_why(name: str, text: str) -> None:
    assert text in errors(run(name=name), "name")[0].message


# --- duplicates --------------------------------------------------------------------------


def test_duplicate_mac_in_the_same_network_names_the_twin() -> None:
    found = errors(run(mac="52:54:00:02:02:08"), "mac")
    assert found[0].message == (
        "52:54:00:02:02:08 is already reserved for Araybwyn "
        "(52:54:00:02:02:08, 192.168.202.8) on trop02/default"
    )
    assert found[0].conflict == Where("trop02", "default", net_path("trop02"), FIRST_HOST_LINE)


def test_duplicate_mac_on_another_host_names_its_file_and_line() -> None:
    found = errors(run(mac="52:54:00:02:01:09"), "mac")
    twins = [p.conflict for p in found if p.conflict]
    assert twins == [Where("trop01", "default", net_path("trop01"), FIRST_HOST_LINE + 1)]
    assert net_path("trop01") + ":15" in str(ValidationError(tuple(found)))


def test_bridge_mac_is_taken() -> None:
    found = errors(run(mac="52:54:00:02:02:01"), "mac")
    assert found[0].message == "52:54:00:02:02:01 is the bridge MAC of trop02/default"
    assert found[0].conflict == Where("trop02", "default", net_path("trop02"))


def test_duplicate_ip_in_the_same_network() -> None:
    found = errors(run(ip="192.168.202.9"), "ip")
    assert found[0].conflict == Where("trop02", "default", net_path("trop02"), FIRST_HOST_LINE + 1)
    assert "already reserved for Lothigometh" in found[0].message


def test_duplicate_ip_anywhere_in_the_fleet_is_a_conflict() -> None:
    stray = Reservation(ip="192.168.202.10", mac="52:54:00:02:01:30", name="stray", line=40)
    cfg = fleet(host(1, [stray]), host(2))
    found = errors(run(cfg), "ip")
    assert found[0].conflict == Where("trop01", "default", net_path("trop01"), 40)


def test_address_of_another_network_is_a_conflict() -> None:
    other = LibvirtNetwork(
        "isolated", ips=(NetworkIP("192.168.202.10", prefix=24, line=7),), path="/iso.xml"
    )
    cfg = fleet(HostConfig("trop01", 1, None, (other,)), host(2))
    found = errors(run(cfg), "ip")
    assert found[0].conflict == Where("trop01", "isolated", "/iso.xml", 7)


def test_duplicate_name_on_another_host_ignores_case() -> None:
    found = errors(run(name="CALENWYTH"), "name")
    assert "'CALENWYTH' is already used by Calenwyth" in found[0].message
    assert found[0].conflict == Where("trop01", "default", net_path("trop01"), FIRST_HOST_LINE)


def test_duplicate_in_a_second_network_of_the_same_host() -> None:
    second = LibvirtNetwork(
        "lab",
        ips=(
            NetworkIP(
                "10.9.0.1",
                prefix=24,
                has_dhcp=True,
                line=3,
                hosts=(Reservation("10.9.0.5", "52:54:00:02:02:0a", "labvm", 4),),
            ),
        ),
        path="/lab.xml",
    )
    base = host(2)
    cfg = fleet(HostConfig("trop02", 2, None, (*base.networks, second)))
    found = errors(run(cfg), "mac")
    assert found[0].conflict == Where("trop02", "lab", "/lab.xml", 4)


def test_editing_an_entry_does_not_conflict_with_itself() -> None:
    own = res(2, 8, "Araybwyn", FIRST_HOST_LINE)
    problems = validate_reservation(
        seed_fleet(), "trop02", "default", name="araybwyn", mac=own.mac, ip=own.ip, ignore=own
    )
    assert problems == ()


def test_ignore_skips_only_the_edited_entry() -> None:
    own = res(2, 8, "Araybwyn", FIRST_HOST_LINE)
    problems = validate_reservation(
        seed_fleet(), "trop02", "default", name="Lothigometh", mac=own.mac, ip=own.ip, ignore=own
    )
    assert [p.field for p in errors(problems)] == ["name"]


def test_all_problems_are_reported_at_once() -> None:
    problems = run(name="araybwyn", mac="52:54:00:02:02:09", ip="192.168.202.9")
    assert [p.field for p in errors(problems)] == ["name", "mac", "ip"]


def test_a_live_lease_on_the_address_warns() -> None:
    lease = Lease("trop02", "default", "52:54:00:77:77:77", "192.168.202.10", "tmpvm")
    problems = validate_reservation(
        seed_fleet(), "trop02", "default", name="n", mac=GOOD["mac"], ip=GOOD["ip"], leases=[lease]
    )
    assert [p.severity for p in problems] == ["warning"]
    assert "leased right now to 52:54:00:77:77:77 (tmpvm)" in problems[0].message
    own = Lease("trop02", "default", GOOD["mac"], GOOD["ip"])
    assert (
        validate_reservation(
            seed_fleet(),
            "trop02",
            "default",
            name="n",
            mac=GOOD["mac"],
            ip=GOOD["ip"],
            leases=[own],
        )
        == ()
    )


# --- check -------------------------------------------------------------------------------


def test_check_raises_with_every_problem_and_exit_code_2() -> None:
    problems = run(mac="52:54:00:02:01:0a", ip="192.168.202.100")
    with pytest.raises(ValidationError) as err:
        check(problems)
    assert err.value.problems == problems
    assert err.value.exit_code == 2
    assert "trop01's range" in str(err.value)


def test_check_passes_clean_and_warning_only_results() -> None:
    check(())
    check([Problem("ip", "outside the range", severity="warning")])


# --- robustness --------------------------------------------------------------------------


@given(
    name=st.one_of(st.none(), st.text(max_size=70)),
    mac=st.one_of(st.none(), st.text()),
    ip=st.text(max_size=40),
)
def test_any_input_gives_problems_never_a_crash(name: str | None, mac: str | None, ip: str) -> None:
    problems = validate_reservation(seed_fleet(), "trop02", "default", name=name, mac=mac, ip=ip)
    assert all(p.severity in ("error", "warning") for p in problems)


# --- the sample repo ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_fleet(tmp_path_factory: pytest.TempPathFactory) -> FleetConfig:
    from tropconsole.core.configrepo import load_fleet
    from tropconsole.core.sample import write_sample_repo

    repo: Path = tmp_path_factory.mktemp("sample") / "heliodines"
    write_sample_repo(repo)
    return load_fleet(repo)


def _twin_entry(cfg: FleetConfig, host_: str, name: str) -> Reservation:
    net = cfg.host(host_).network("default")  # type: ignore[union-attr]
    assert net is not None
    return next(r for r in net.reservations if r.name == name)


def test_sample_seed_entry_with_upper_case_mac_is_a_duplicate(sample_fleet: FleetConfig) -> None:
    # The seed writes 52:54:00:02:02:0A; typed in lower case it is the same MAC.
    found = errors(
        validate_reservation(
            sample_fleet,
            "trop02",
            "default",
            name="x",
            mac="52-54-00-02-02-0a",
            ip="192.168.202.100",
        ),
        "mac",
    )
    ulov = _twin_entry(sample_fleet, "trop02", "Ulov")
    assert found[0].conflict is not None
    assert found[0].conflict.line == ulov.line
    assert found[0].conflict.path is not None
    assert found[0].conflict.path.endswith(
        "src/cfg/tropo/trop02/etc/libvirt/qemu/networks/default.xml"
    )


def test_sample_duplicate_name_on_another_host(sample_fleet: FleetConfig) -> None:
    problems = validate_reservation(
        sample_fleet,
        "trop02",
        "default",
        name="ulov",
        mac="52:54:00:02:02:64",
        ip="192.168.202.100",
    )
    found = errors(problems, "name")
    assert found and found[0].conflict is not None
    assert (found[0].conflict.host, found[0].conflict.network) == ("trop02", "default")
    other_name = sample_fleet.hosts[0].network("default").reservations[0].name  # type: ignore[union-attr]
    assert other_name is not None
    problems = validate_reservation(
        sample_fleet,
        "trop02",
        "default",
        name=other_name.upper(),
        mac="52:54:00:02:02:64",
        ip="192.168.202.100",
    )
    twin = errors(problems, "name")[0].conflict
    assert twin is not None and twin.host == "trop01" and twin.line is not None


def test_sample_mac_from_trop01_on_trop02(sample_fleet: FleetConfig) -> None:
    problems = validate_reservation(
        sample_fleet, "trop02", "default", name="x", mac="52:54:00:02:01:64", ip="192.168.202.100"
    )
    assert (
        "is in trop01's range 52:54:00:02:01:xx, not trop02's (52:54:00:02:02:xx)"
        in errors(problems, "mac")[0].message
    )


def test_sample_bridged_network_has_no_dhcp(sample_fleet: FleetConfig) -> None:
    assert bridged_net("trop02").dhcp_ip is None
    found = errors(
        validate_reservation(
            sample_fleet,
            "trop02",
            "bridged",
            name="x",
            mac="52:54:00:02:02:64",
            ip="192.168.202.100",
        ),
        "network",
    )
    assert "no IPv4 <dhcp> block" in found[0].message
