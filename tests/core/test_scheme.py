"""The allocation scheme: who owns which MACs and addresses, and what next_free proposes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fleetkit import fleet, host, net_path, res, seed_fleet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tropconsole.core.errors import ValidationError
from tropconsole.core.models import (
    FleetConfig,
    HostConfig,
    Lease,
    LibvirtNetwork,
    NetworkIP,
    Reservation,
)
from tropconsole.core.scheme import (
    HostScheme,
    SchemeOverride,
    fleet_schemes,
    next_free,
    parse_mac,
    scheme_clashes,
    scheme_for,
)
from tropconsole.core.validate import validate_reservation


def bare(name: str, index: int | None) -> HostConfig:
    return HostConfig(name=name, index=index, interfaces=None)


# --- scheme_for --------------------------------------------------------------------------


def test_scheme_of_trop02_matches_the_published_table() -> None:
    scheme = scheme_for(bare("trop02", 2))
    assert scheme == HostScheme("trop02", "52:54:00:02:02", "192.168.202.0/24")
    assert scheme.mac_range == "52:54:00:02:02:xx"


@pytest.mark.parametrize(
    ("index", "prefix", "subnet"),
    [
        (1, "52:54:00:02:01", "192.168.201.0/24"),
        (4, "52:54:00:02:04", "192.168.204.0/24"),
        (9, "52:54:00:02:09", "192.168.209.0/24"),
        (10, "52:54:00:02:10", "192.168.210.0/24"),  # decimal digits read as hex: reads "10"
        (42, "52:54:00:02:42", "192.168.242.0/24"),
        (55, "52:54:00:02:55", "192.168.255.0/24"),
    ],
)
def test_scheme_reads_the_host_number_in_both_mac_and_ip(
    index: int, prefix: str, subnet: str
) -> None:
    scheme = scheme_for(bare(f"trop{index:02d}", index))
    assert (scheme.mac_prefix, scheme.subnet) == (prefix, subnet)


def test_schemes_beyond_nine_stay_distinct() -> None:
    prefixes = {scheme_for(bare(f"t{i}", i)).mac_prefix for i in range(56)}
    assert len(prefixes) == 56


@pytest.mark.parametrize(("index", "shown"), [(56, "index 56"), (None, "no number")])
def test_host_without_a_derivable_scheme_is_refused_with_a_hint(
    index: int | None, shown: str
) -> None:
    with pytest.raises(ValidationError) as err:
        scheme_for(bare("trop56" if index else "gateway", index))
    text = str(err.value)
    assert shown in text
    assert "override" in text
    assert err.value.exit_code == 2


def test_override_rescues_a_host_beyond_the_rule() -> None:
    overrides = {"trop56": SchemeOverride(mac_prefix="52:54:00:03:56:xx", subnet="10.56.0.0/24")}
    scheme = scheme_for(bare("trop56", 56), overrides)
    assert scheme == HostScheme("trop56", "52:54:00:03:56", "10.56.0.0/24")


def test_partial_override_keeps_the_derived_rest() -> None:
    scheme = scheme_for(bare("trop02", 2), {"trop02": SchemeOverride(subnet="10.2.0.0/16")})
    assert scheme == HostScheme("trop02", "52:54:00:02:02", "10.2.0.0/16")


def test_override_of_another_host_does_not_apply() -> None:
    overrides = {"trop03": SchemeOverride(mac_prefix="52:54:00:09:09")}
    assert scheme_for(bare("trop02", 2), overrides).mac_prefix == "52:54:00:02:02"


def test_partial_override_cannot_rescue_a_host_without_index() -> None:
    with pytest.raises(ValidationError, match="override"):
        scheme_for(bare("gw", None), {"gw": SchemeOverride(subnet="10.0.0.0/24")})


@pytest.mark.parametrize(
    "override",
    [
        SchemeOverride(mac_prefix="52:54:00:02"),
        SchemeOverride(mac_prefix="52:54:00:02:zz"),
        SchemeOverride(mac_prefix="53:54:00:02:02"),  # multicast
        SchemeOverride(subnet="192.168.210.7/24"),  # host bits set
        SchemeOverride(subnet="192.168.210.0"),  # no prefix length
        SchemeOverride(subnet="fd00::/64"),
        SchemeOverride(subnet="nonsense"),
    ],
)
def test_bad_overrides_are_refused_naming_the_host(override: SchemeOverride) -> None:
    with pytest.raises(ValidationError, match="trop02"):
        scheme_for(bare("trop02", 2), {"trop02": override})


def test_override_from_inventory_table() -> None:
    assert SchemeOverride.from_mapping({"subnet": "10.0.0.0/24"}) == SchemeOverride(
        subnet="10.0.0.0/24"
    )
    with pytest.raises(ValidationError, match="unknown key"):
        SchemeOverride.from_mapping({"prefix": "52:54:00:02:02"})
    with pytest.raises(ValidationError, match="must be a string"):
        SchemeOverride.from_mapping({"subnet": 24})


def test_ownership_of_macs_and_addresses() -> None:
    scheme = scheme_for(bare("trop02", 2))
    assert scheme.owns_mac("52:54:00:02:02:0a")
    assert scheme.owns_mac("52:54:00:02:02:0A")
    assert not scheme.owns_mac("52:54:00:02:01:0a")
    assert not scheme.owns_mac("52:54:00:02:020a:00")
    assert scheme.owns_ip("192.168.202.200")
    assert not scheme.owns_ip("192.168.201.200")
    assert not scheme.owns_ip("not an ip")
    assert scheme.mac(0x0A) == "52:54:00:02:02:0a"
    with pytest.raises(ValueError):
        scheme.mac(256)


def test_fleet_schemes_skips_hosts_without_one() -> None:
    cfg = fleet(host(1), HostConfig(name="gw", index=None, interfaces=None))
    assert list(fleet_schemes(cfg)) == ["trop01"]


@pytest.mark.parametrize("text", ["52:54:00:02:02:0A", "5254.0002.020a", "52-54-00-02-02-0a"])
def test_parse_mac_accepts_config_notations(text: str) -> None:
    assert parse_mac(text) == "52:54:00:02:02:0a"


@pytest.mark.parametrize("text", ["", "52:54:00:02:02", "52:54:00:02:02:0a:00:00", "xyz"])
def test_parse_mac_rejects_non_macs(text: str) -> None:
    assert parse_mac(text) is None


def test_derived_schemes_never_clash() -> None:
    hosts = [bare(f"trop{i:02d}", i) for i in range(56)]
    assert scheme_clashes({h.name: scheme_for(h) for h in hosts}) == ()


def test_overrides_that_collide_are_reported() -> None:
    overrides = {"trop03": SchemeOverride(mac_prefix="52:54:00:02:02", subnet="192.168.0.0/16")}
    schemes = fleet_schemes(fleet(host(2), host(3), host(4)), overrides)
    found = [str(p) for p in scheme_clashes(schemes)]
    assert found == [
        "scheme: trop02 and trop03 share the MAC range 52:54:00:02:02:xx; "
        "give one of them a mac_prefix override",
        "scheme: trop02's subnet 192.168.202.0/24 overlaps trop03's 192.168.0.0/16; "
        "give one of them a subnet override",
        "scheme: trop03's subnet 192.168.0.0/16 overlaps trop04's 192.168.204.0/24; "
        "give one of them a subnet override",
    ]


# --- next_free ---------------------------------------------------------------------------


def test_empty_range_gives_its_first_address_with_the_matching_mac() -> None:
    assert next_free(seed_fleet(), "trop03") == ("52:54:00:02:03:08", "192.168.203.8")


def test_next_free_skips_reserved_addresses_and_keeps_the_pair() -> None:
    assert next_free(seed_fleet(), "trop02") == ("52:54:00:02:02:0a", "192.168.202.10")


def test_next_free_fills_a_hole_in_the_range() -> None:
    cfg = fleet(host(2, [res(2, 8, "a"), res(2, 10, "b")]))
    assert next_free(cfg, "trop02") == ("52:54:00:02:02:09", "192.168.202.9")


def test_taken_pair_mac_falls_back_to_a_mac_no_free_address_needs() -> None:
    # .8's twin MAC :08 is held by an off-scheme entry whose IP is .20.
    odd = Reservation(ip="192.168.202.20", mac="52:54:00:02:02:08", name="odd")
    cfg = fleet(host(2, [odd]))
    mac, ip = next_free(cfg, "trop02")
    assert ip == "192.168.202.8"
    # :00 and :ff are avoided, :01 is the bridge, :02 pairs with no range address.
    assert mac == "52:54:00:02:02:02"


def test_fallback_mac_skips_the_twins_of_free_range_addresses() -> None:
    taken = [
        Reservation(ip=f"192.168.202.{30 + b}", mac=f"52:54:00:02:02:{b:02x}", name=f"t{b}")
        for b in range(2, 9)
    ]
    cfg = fleet(host(2, taken))
    mac, ip = next_free(cfg, "trop02")
    assert ip == "192.168.202.8"
    # :09..:0f would pair with free .9...15 later; :10 (=16) pairs with nothing in range.
    assert mac == "52:54:00:02:02:10"


def test_mac_taken_on_another_host_counts() -> None:
    stray = Reservation(ip="192.168.201.50", mac="52:54:00:02:03:08", name="stray")
    cfg = fleet(host(1, [stray]), host(3))
    assert next_free(cfg, "trop03")[0] != "52:54:00:02:03:08"


def test_ip_taken_on_another_host_counts() -> None:
    stray = Reservation(ip="192.168.203.8", mac="52:54:00:02:01:30", name="stray")
    cfg = fleet(host(1, [stray]), host(3))
    assert next_free(cfg, "trop03") == ("52:54:00:02:03:09", "192.168.203.9")


def test_leases_take_addresses_and_macs() -> None:
    leases = [
        Lease("trop03", "default", "52:54:00:aa:bb:cc", "192.168.203.8"),
        Lease("trop03", "default", "52:54:00:02:03:09", "192.168.203.40"),
    ]
    mac, ip = next_free(seed_fleet(), "trop03", taken_leases=leases)
    assert ip == "192.168.203.9"
    assert mac != "52:54:00:02:03:09"
    assert mac.startswith("52:54:00:02:03:")


def test_full_range_is_refused_naming_host_range_and_file() -> None:
    cfg = fleet(host(2, [res(2, i, f"vm{i}") for i in range(8, 16)]))
    with pytest.raises(ValidationError) as err:
        next_free(cfg, "trop02")
    text = str(err.value)
    assert "trop02/default" in text
    assert "192.168.202.8-192.168.202.15" in text
    assert net_path("trop02") in text
    assert err.value.problems[0].field == "ip"


def test_outside_range_uses_the_subnet_but_never_network_or_gateway() -> None:
    cfg = fleet(host(2, [res(2, i, f"vm{i}") for i in range(8, 16)]))
    assert next_free(cfg, "trop02", inside_range=False) == ("52:54:00:02:02:02", "192.168.202.2")


def test_outside_range_never_proposes_broadcast() -> None:
    taken = [Reservation(ip=f"192.168.202.{i}", mac=None, name=f"vm{i}") for i in range(2, 254)]
    cfg = fleet(host(2, taken))
    assert next_free(cfg, "trop02", inside_range=False)[1] == "192.168.202.254"
    full = fleet(host(2, [*taken, Reservation("192.168.202.254", None, "last")]))
    with pytest.raises(ValidationError, match=r"subnet 192\.168\.202\.0/24"):
        next_free(full, "trop02", inside_range=False)


def test_several_ranges_are_used_in_address_order() -> None:
    cfg = fleet(host(2, [res(2, 100, "a")], ranges=[(100, 101), (20, 20)]))
    assert next_free(cfg, "trop02") == ("52:54:00:02:02:14", "192.168.202.20")


def test_overlapping_ranges_count_each_address_once() -> None:
    full = [res(2, i, f"vm{i}") for i in range(8, 16)]
    cfg = fleet(host(2, full, ranges=[(8, 12), (10, 15)]))
    with pytest.raises(ValidationError, match="8 usable, all taken"):
        next_free(cfg, "trop02")
    cfg = fleet(host(2, full[:3], ranges=[(10, 15), (8, 12)]))
    assert next_free(cfg, "trop02") == ("52:54:00:02:02:0b", "192.168.202.11")


def test_a_wide_subnet_is_walked_lazily() -> None:
    wide = NetworkIP(address="10.0.0.1", prefix=8, has_dhcp=True, line=3)
    net = LibvirtNetwork("wide", mac="52:54:00:02:02:01", ips=(wide,), path="/wide.xml")
    taker = Reservation(ip="192.168.202.99", mac="52:54:00:02:02:02", name="taker")
    cfg = fleet(HostConfig("trop02", 2, None, (net, host(2, [taker]).networks[1])))
    # 10.0.0.2's twin MAC :02 is taken; every last byte still pairs with a free address.
    assert next_free(cfg, "trop02", "wide", inside_range=False) == (
        "52:54:00:02:02:03",
        "10.0.0.2",
    )


def test_range_reaching_past_the_subnet_is_clipped() -> None:
    cfg = fleet(host(2, [res(2, 254, "a")], ranges=[(254, 254)]))
    with pytest.raises(ValidationError, match="no free address"):
        next_free(cfg, "trop02")


def test_exhausted_mac_prefix_is_refused() -> None:
    macs = [
        Reservation(ip=f"10.0.{b // 200}.{b % 200 + 1}", mac=f"52:54:00:02:02:{b:02x}", name=None)
        for b in range(256)
    ]
    cfg = fleet(host(2, macs))
    with pytest.raises(ValidationError, match=r"every MAC in trop02's range"):
        next_free(cfg, "trop02")


@pytest.mark.parametrize(
    ("who", "net", "expected"),
    [
        ("trop09", "default", "unknown host 'trop09'; the config repo has: trop01, trop02"),
        ("trop02", "isolated", "trop02 has no network 'isolated'; it has: bridged, default"),
        ("trop02", "bridged", "networks with DHCP on trop02: default"),
    ],
)
def test_bad_target_is_refused_saying_what_exists(who: str, net: str, expected: str) -> None:
    cfg = fleet(host(1), host(2))
    with pytest.raises(ValidationError) as err:
        next_free(cfg, who, net)
    assert expected in str(err.value)


def test_explicit_scheme_is_used() -> None:
    scheme = HostScheme("trop02", "52:54:00:99:02", "192.168.202.0/24")
    assert next_free(seed_fleet(), "trop02", scheme=scheme)[0] == "52:54:00:99:02:0a"


def test_overrides_are_used() -> None:
    cfg = fleet(host(2))
    overrides = {"trop02": SchemeOverride(mac_prefix="52:54:00:07:02")}
    assert next_free(cfg, "trop02", overrides=overrides)[0] == "52:54:00:07:02:08"


# --- the sample repo ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_fleet(tmp_path_factory: pytest.TempPathFactory) -> FleetConfig:
    from tropconsole.core.configrepo import load_fleet
    from tropconsole.core.sample import write_sample_repo

    repo: Path = tmp_path_factory.mktemp("sample") / "heliodines"
    write_sample_repo(repo)
    return load_fleet(repo)


def test_sample_hosts_follow_the_scheme(sample_fleet: FleetConfig) -> None:
    for cfg in sample_fleet.hosts:
        scheme = scheme_for(cfg)
        net = cfg.network("default")
        assert net is not None
        for entry in net.reservations:
            assert entry.mac is not None
            assert scheme.owns_mac(entry.mac), entry
            assert scheme.owns_ip(entry.ip), entry


def test_sample_ranges_are_full_so_next_free_says_so(sample_fleet: FleetConfig) -> None:
    with pytest.raises(ValidationError, match="trop02/default's DHCP range"):
        next_free(sample_fleet, "trop02")


def test_sample_outside_range_proposal_validates(sample_fleet: FleetConfig) -> None:
    mac, ip = next_free(sample_fleet, "trop02", inside_range=False)
    assert (mac, ip) == ("52:54:00:02:02:02", "192.168.202.2")
    problems = validate_reservation(sample_fleet, "trop02", "default", name="newvm", mac=mac, ip=ip)
    assert [p.severity for p in problems] == ["warning"]


# --- properties --------------------------------------------------------------------------


@st.composite
def random_fleets(draw: st.DrawFn) -> FleetConfig:
    """1-4 hosts with random ranges and random reservations, some off-scheme."""
    indexes = draw(st.lists(st.integers(1, 12), min_size=1, max_size=4, unique=True))
    hosts: list[HostConfig] = []
    counter = 0
    for index in indexes:
        lo = draw(st.integers(2, 250))
        hi = draw(st.integers(lo, min(lo + 12, 254)))
        entries: list[Reservation] = []
        for _ in range(draw(st.integers(0, 12))):
            counter += 1
            owner = draw(st.sampled_from(indexes))  # MAC sometimes from another host
            entries.append(
                Reservation(
                    ip=f"192.168.{200 + index}.{draw(st.integers(2, 254))}",
                    mac=f"52:54:00:02:{int(str(owner), 16):02x}:{draw(st.integers(0, 255)):02x}",
                    name=f"vm{counter}",
                )
            )
        hosts.append(host(index, entries, ranges=[(lo, hi)]))
    return fleet(*hosts)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=random_fleets(), data=st.data(), inside=st.booleans())
def test_next_free_always_validates(cfg: FleetConfig, data: st.DataObject, inside: bool) -> None:
    target = data.draw(st.sampled_from([h.name for h in cfg.hosts]))
    try:
        mac, ip = next_free(cfg, target, inside_range=inside)
    except ValidationError as err:
        assert "no free address" in str(err) or "every MAC" in str(err)
        return
    problems = validate_reservation(cfg, target, "default", name="brand-new", mac=mac, ip=ip)
    assert not [p for p in problems if p.severity == "error"], problems
    if inside:
        assert problems == ()
    scheme = scheme_for(cfg.host(target))  # type: ignore[arg-type]
    if scheme.mac(int(ip.rsplit(".", 1)[1])) not in _all_macs(cfg):
        assert mac == scheme.mac(int(ip.rsplit(".", 1)[1]))  # the pair is kept when free


def _all_macs(cfg: FleetConfig) -> set[str]:
    found: set[str] = set()
    for h in cfg.hosts:
        for n in h.networks:
            found.update(m for m in [n.mac, *(r.mac for r in n.reservations)] if m)
    return found
