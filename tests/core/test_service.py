"""The one door for writes, on the sample repo: golden commits, refusals, live apply."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from gitkit import OPERATOR, TROP02_DEFAULT, commit_file, git, head, isolate_git, make_repo, status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tropconsole.core.errors import ReadOnlyError, RefusedError, RemoteError, TropError
from tropconsole.core.models import Reservation, ReservationRequest
from tropconsole.core.sample import TROP02_DEFAULT_XML
from tropconsole.core.service import ReservationService

NEWHOST = ReservationRequest(host="trop02", name="Newhost")
SUBJECT = "trop02/default: reserve Newhost 52:54:00:02:02:10 192.168.202.16"
LINE = "      <host mac='52:54:00:02:02:10' ip='192.168.202.16' name='Newhost'/>"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_git(monkeypatch, tmp_path / "home")
    return make_repo(tmp_path / "repo")


def added_and_removed(repo: Path, rev: str = "HEAD~1") -> str:
    return git(repo, "diff", "--numstat", rev, "HEAD").strip()


def test_golden_reserve_then_unreserve(repo: Path) -> None:
    base = head(repo)
    result = ReservationService(repo).add(NEWHOST)
    assert git(repo, "rev-list", "--count", f"{base}..HEAD").strip() == "1"
    assert result.commit == head(repo)
    assert added_and_removed(repo) == f"1\t0\t{TROP02_DEFAULT}"
    diff = git(repo, "diff", "HEAD~1", "HEAD")
    assert [ln for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")] == [
        "+" + LINE
    ]
    log = git(repo, "log", "-1", "--format=%an <%ae>%n%cn%n%B").splitlines()
    assert log[0] == "Ada Operator <ada@example.org>"
    assert log[1] == OPERATOR[0]
    assert log[2] == SUBJECT
    body = "\n".join(log[3:])
    for detail in (
        "Host:    trop02",
        "Network: default",
        "Name:    Newhost",
        "MAC:     52:54:00:02:02:10",
        "IP:      192.168.202.16",
        "via tropconsole",
    ):
        assert detail in body
    assert result.plan.warnings and "outside the DHCP range" in str(result.plan.warnings[0])
    assert status(repo) == ""

    removed = ReservationService(repo).remove("trop02", name="Newhost")
    assert removed.plan.subject == SUBJECT.replace("reserve", "unreserve")
    assert (repo / TROP02_DEFAULT).read_text() == TROP02_DEFAULT_XML
    assert git(repo, "diff", base, "HEAD") == ""
    assert status(repo) == ""


def test_author_option_overrides_the_operator(repo: Path) -> None:
    ReservationService(repo, author="Grace Hopper <grace@example.org>").add(NEWHOST)
    assert (
        git(repo, "log", "-1", "--format=%an <%ae>|%cn").strip()
        == "Grace Hopper <grace@example.org>|Ada Operator"
    )


def test_plan_is_a_dry_run(repo: Path) -> None:
    base = head(repo)
    plan = ReservationService(repo).plan_add(NEWHOST)
    assert plan.diff.splitlines()[:2] == [f"--- a/{TROP02_DEFAULT}", f"+++ b/{TROP02_DEFAULT}"]
    assert [ln for ln in plan.diff.splitlines() if ln.startswith("+")][1:] == ["+" + LINE]
    assert plan.subject == SUBJECT and plan.head == base
    assert head(repo) == base and status(repo) == ""


def test_auto_fills_the_twin_of_a_given_half(repo: Path) -> None:
    service = ReservationService(repo)
    by_ip = service.plan_add(ReservationRequest(host="trop02", name="a", ip="192.168.202.30"))
    assert by_ip.reservation.mac == "52:54:00:02:02:1e"
    by_mac = service.plan_add(ReservationRequest(host="trop02", name="b", mac="52:54:00:02:02:20"))
    assert by_mac.reservation.ip == "192.168.202.32"


def test_read_only_refuses_every_write_before_touching_anything(repo: Path) -> None:
    base = head(repo)
    service = ReservationService(repo, read_only=True)
    with pytest.raises(ReadOnlyError, match="read-only"):
        service.add(NEWHOST)
    with pytest.raises(ReadOnlyError):
        service.remove("trop02", name="Ulov")
    assert head(repo) == base and status(repo) == ""
    assert service.plan_add(NEWHOST).subject == SUBJECT  # reading is still allowed


def test_head_moved_between_read_and_commit_is_detected(repo: Path) -> None:
    service = ReservationService(repo)
    theirs: list[str] = []
    service.before_commit = lambda: theirs.append(
        commit_file(repo, "README.md", "someone else's change\n", "their change")
    )
    with pytest.raises(RefusedError, match="the repo moved"):
        service.add(NEWHOST)
    assert head(repo) == theirs[0]
    assert git(repo, "show", "HEAD:README.md") == "someone else's change\n"
    assert (repo / TROP02_DEFAULT).read_text() == TROP02_DEFAULT_XML
    assert status(repo) == ""
    service.before_commit = None
    assert service.add(NEWHOST).commit == head(repo)  # a retry after the refusal works


def test_dirty_network_file_is_refused(repo: Path) -> None:
    path = repo / TROP02_DEFAULT
    path.write_text(TROP02_DEFAULT_XML + "<!-- wip -->\n")
    base = head(repo)
    with pytest.raises(RefusedError, match="uncommitted changes"):
        ReservationService(repo).remove("trop02", name="Ulov")
    assert head(repo) == base and path.read_text().endswith("<!-- wip -->\n")


def test_crlf_network_file_keeps_its_line_endings(repo: Path) -> None:
    crlf = TROP02_DEFAULT_XML.replace("\n", "\r\n")
    commit_file(repo, TROP02_DEFAULT, crlf, "crlf")
    ReservationService(repo).add(NEWHOST)
    assert (repo / TROP02_DEFAULT).read_bytes() == crlf.replace(
        "name='Acilamwen'/>\r\n", "name='Acilamwen'/>\r\n" + LINE + "\r\n"
    ).encode()
    assert added_and_removed(repo) == f"1\t0\t{TROP02_DEFAULT}"
    ReservationService(repo).remove("trop02", ip="192.168.202.16")
    assert (repo / TROP02_DEFAULT).read_bytes() == crlf.encode()


class FakeApplier:
    read_only = False

    def __init__(self, fail: Exception | None = None) -> None:
        self.calls: list[tuple[str, str, str, Reservation]] = []
        self.fail = fail

    def add_reservation(self, host: str, network: str, reservation: Reservation) -> str:
        self.calls.append(("add", host, network, reservation))
        if self.fail:
            raise self.fail
        return "live+config"

    def remove_reservation(self, host: str, network: str, reservation: Reservation) -> str:
        self.calls.append(("remove", host, network, reservation))
        if self.fail:
            raise self.fail
        return "live+config"


def test_apply_after_commit(repo: Path) -> None:
    applier = FakeApplier()
    result = ReservationService(repo, applier=applier).add(NEWHOST, apply=True)
    assert result.live == "applied (live+config)" and result.live_ok
    assert applier.calls == [("add", "trop02", "default", result.plan.reservation)]
    removed = ReservationService(repo, applier=applier).remove("trop02", name="Newhost", apply=True)
    assert applier.calls[-1][0] == "remove" and applier.calls[-1][3].mac == "52:54:00:02:02:10"
    assert removed.live_ok


@pytest.mark.parametrize(
    "fail", [RemoteError("trop02", "connection refused"), RuntimeError("libvirt exploded")]
)
def test_live_failure_keeps_the_commit(repo: Path, fail: Exception) -> None:
    base = head(repo)
    result = ReservationService(repo, applier=FakeApplier(fail)).add(NEWHOST, apply=True)
    assert head(repo) == result.commit and git(repo, "rev-parse", "HEAD~1").strip() == base
    assert result.live_ok is False and result.live is not None
    assert result.live.startswith("FAILED: ")
    assert "the commit stands; retry with: virsh net-update default add-last" in result.live


def test_apply_without_an_applier_is_reported_not_raised(repo: Path) -> None:
    result = ReservationService(repo).add(NEWHOST, apply=True)
    assert result.live_ok is False and "no live connection to trop02" in (result.live or "")


def test_pull_and_push_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch, tmp_path / "home")
    make_repo(tmp_path / "origin")
    git(tmp_path, "clone", "-q", "--bare", str(tmp_path / "origin"), "hub.git")
    for name in ("mine", "theirs"):
        git(tmp_path, "clone", "-q", str(tmp_path / "hub.git"), name)
        git(tmp_path / name, "config", "user.name", OPERATOR[0])
        git(tmp_path / name, "config", "user.email", OPERATOR[1])
    theirs = commit_file(tmp_path / "theirs", "README.md", "news\n", "their change")
    git(tmp_path / "theirs", "push", "-q")
    result = ReservationService(tmp_path / "mine", pull=True, push=True).add(NEWHOST)
    assert result.push_error is None
    assert git(tmp_path / "hub.git", "rev-parse", "main~1").strip() == theirs
    assert git(tmp_path / "hub.git", "rev-parse", "main").strip() == result.commit


# --- property: invalid input never writes a file or a commit ---------------------------

bad_name = st.sampled_from(["", "-x", "x-", "a.b", "a_b", "x" * 64, "Ulov", "calenwyth", "é"])
bad_mac = st.sampled_from(
    [
        "52:54:00:02:03:40",
        "01:00:5e:00:00:01",
        "ff:ff:ff:ff:ff:ff",
        "52:54:00:02:02:08",
        "nonsense",
        "52:54:00:02:02",
        "52:54:00:02:01:01",
    ]
)
bad_ip = st.sampled_from(
    [
        "192.168.203.20",
        "192.168.202.0",
        "192.168.202.255",
        "192.168.202.1",
        "192.168.202.9",
        "10.0.0.1",
        "300.1.1.1",
        "fe80::1",
        "x",
    ]
)
good_name = st.from_regex(r"[a-z][a-z0-9]{2,8}", fullmatch=True).map(lambda s: "zz" + s)


@st.composite
def invalid_requests(draw: st.DrawFn) -> ReservationRequest:
    """At least one field is wrong; the others may be fine or auto."""
    broken = draw(st.sets(st.sampled_from(["name", "mac", "ip", "host"]), min_size=1))
    return ReservationRequest(
        host=draw(st.sampled_from(["trop9", "TROP02", "nohost"])) if "host" in broken else "trop02",
        name=draw(bad_name) if "name" in broken else draw(good_name),
        mac=draw(bad_mac) if "mac" in broken else "auto",
        ip=draw(bad_ip) if "ip" in broken else "auto",
    )


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(request=invalid_requests())
def test_invalid_input_never_writes(repo: Path, request: ReservationRequest) -> None:
    base = head(repo)
    with pytest.raises(TropError) as err:
        ReservationService(repo).add(request)
    assert err.value.exit_code == 2
    assert "\n" not in err.value.message
    assert head(repo) == base and status(repo) == ""


names = st.lists(st.from_regex(r"[a-z]{3,8}", fullmatch=True), min_size=1, max_size=3, unique=True)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=names, order=st.randoms(use_true_random=False))
def test_valid_add_remove_sequences_round_trip_in_git(
    repo: Path, names: list[str], order: random.Random
) -> None:
    base, original = head(repo), (repo / TROP02_DEFAULT).read_bytes()
    service = ReservationService(repo)
    added = [service.add(ReservationRequest(host="trop02", name=f"vm{n}")).plan for n in names]
    for plan in added:
        assert plan.diff.count("\n+") == 2  # the +++ header and the one added line
    order.shuffle(added)
    for plan in added:
        service.remove("trop02", mac=plan.reservation.mac)
    assert (repo / TROP02_DEFAULT).read_bytes() == original
    assert git(repo, "diff", base, "HEAD") == "" and status(repo) == ""


def test_eol_attributes_are_honoured_like_git_add(repo: Path) -> None:
    """A repo that checks XML out with CRLF (``eol=crlf``) but stores LF stays clean."""
    commit_file(repo, ".gitattributes", "*.xml text eol=crlf\n", "crlf checkouts")
    (repo / TROP02_DEFAULT).unlink()
    git(repo, "checkout", "--", TROP02_DEFAULT)
    assert (repo / TROP02_DEFAULT).read_bytes().count(b"\r\n") == 24
    ReservationService(repo).add(NEWHOST)
    assert status(repo) == ""
    assert added_and_removed(repo) == f"1\t0\t{TROP02_DEFAULT}"
    assert b"\r\n" not in git(repo, "show", f"HEAD:{TROP02_DEFAULT}").encode()
    assert (LINE + "\r\n").encode() in (repo / TROP02_DEFAULT).read_bytes()
