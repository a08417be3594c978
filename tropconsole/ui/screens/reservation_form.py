"""The reservation form: a typed modal that returns a ``ReservationOrder`` or None.

Everything it says about the input comes from the core: problems from
``validate_reservation`` (each conflict names its twin's host, network, file and line),
the next free pair from ``next_free``, the preview from ``ReservationService.plan_add``,
which is the exact diff that the commit will hold. The form never writes anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from tropconsole.core.errors import Problem, TropError, ValidationError
from tropconsole.core.live import HostState
from tropconsole.core.models import FleetConfig, Lease, ReservationRequest
from tropconsole.core.propose import resolve
from tropconsole.core.validate import validate_reservation
from tropconsole.ui.console import Console, console_of

CHECK_DELAY = 0.15  # seconds of quiet typing before the core is asked again


@dataclass(frozen=True, slots=True)
class ReservationOrder:
    """What the form hands back: the request, and whether to apply it live after the commit."""

    request: ReservationRequest
    apply_live: bool


@dataclass
class FormChecked(Message):
    generation: int
    problems: tuple[Problem, ...]
    diff: str | None
    error: str | None = None


def describe_problem(problem: Problem, repo: str | None) -> Text:
    """One line per problem; the mark says error or warning in words, not colour alone."""
    error = problem.severity == "error"
    text = Text("✖ error  " if error else "▲ warning ", style="bold red" if error else "yellow")
    text.append(f"{problem.field}: {problem.message}")
    where = problem.conflict
    if where is not None:
        parts = [p for p in (where.host, where.network) if p]
        if where.path:
            path = where.path
            if repo and path.startswith(repo.rstrip("/") + "/"):
                path = path[len(repo.rstrip("/")) + 1 :]
            parts.append(f"{path}:{where.line}" if where.line else path)
        text.append(f"  → twin: {' / '.join(parts)}", style="bold")
    return text


def diff_text(diff: str) -> Text:
    text = Text(no_wrap=True)
    for line in diff.splitlines():
        style = ""
        if line.startswith("+") and not line.startswith("+++"):
            style = "green"
        elif line.startswith("-") and not line.startswith("---"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        text.append(line + "\n", style=style)
    return text


class ReservationForm(ModalScreen[ReservationOrder | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save (commit)", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(
        self,
        *,
        host: str | None = None,
        network: str | None = None,
        prefill: ReservationRequest | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__()
        self._title = title
        self._host = prefill.host if prefill else host
        self._network = prefill.network if prefill else network
        self._prefill = prefill
        self._auto: tuple[str, str] = ("", "")
        self._generation = 0
        self._checked: FormChecked | None = None

    @property
    def console(self) -> Console:
        return console_of(self)

    @property
    def fleet(self) -> FleetConfig:
        config = self.console.config
        assert config is not None, "the form opens only once the config repo was read"
        return config

    def _leases(self) -> tuple[Lease, ...]:
        snapshot = self.console.snapshot
        return snapshot.leases if snapshot else ()

    def compose(self) -> ComposeResult:
        hosts = [h.name for h in self.fleet.hosts]
        host = self._host if self._host in hosts else (hosts[0] if hosts else None)
        self._host = host
        with Vertical(id="form-box"):
            title = self._title or ("Reserve lease" if self._prefill else "New reservation")
            yield Label(f"{title}  (ctrl+s save · esc cancel · tab next field)", id="form-title")
            with Horizontal(classes="field"):
                yield Label("Host", classes="field-label")
                yield Select(
                    [(h, h) for h in hosts],
                    value=host or Select.NULL,
                    allow_blank=False,
                    compact=True,
                    id="host",
                )
            with Horizontal(classes="field"):
                yield Label("Network", classes="field-label")
                yield Select(
                    self._network_options(host),
                    allow_blank=False,
                    compact=True,
                    id="network",
                    value=self._default_network(host),
                )
            with Horizontal(classes="field"):
                yield Label("Name", classes="field-label")
                yield Input(
                    placeholder="host name, e.g. web01",
                    compact=True,
                    id="name",
                    value=(self._prefill.name or "") if self._prefill else "",
                )
            with Horizontal(classes="field"):
                yield Label("MAC", classes="field-label")
                yield Input(compact=True, id="mac", placeholder="52:54:00:02:0N:xx")
            with Horizontal(classes="field"):
                yield Label("IP", classes="field-label")
                yield Input(compact=True, id="ip", placeholder="192.168.20N.x")
            with Horizontal(classes="field"):
                yield Label("", classes="field-label")
                yield Checkbox(
                    "Apply live after the commit",
                    value=self._live_default(host),
                    compact=True,
                    id="apply",
                )
            yield Static("", id="problems")
            yield Label("Preview: the commit's diff", id="diff-title")
            with VerticalScroll(id="diff-box"):
                yield Static("", id="diff")
            with Horizontal(id="form-buttons"):
                yield Button("Save ctrl+s", id="save", variant="primary", compact=True)
                yield Button("Cancel esc", id="cancel", compact=True)

    def on_mount(self) -> None:
        for box in self.query(Input):  # tests turn blinking off so screenshots are stable
            box.cursor_blink = self.console.cursor_blink
        mac = self.query_one("#mac", Input)
        ip = self.query_one("#ip", Input)
        if self._prefill is not None:
            mac.value = self._prefill.mac or ""
            ip.value = self._prefill.ip or self._next_ip(mac.value)
        else:
            self._fill_next_free()
        self.query_one("#name", Input).focus()
        self._schedule_check()

    # --- defaults --------------------------------------------------------------------

    def _network_options(self, host: str | None) -> list[tuple[str, str]]:
        host_cfg = self.fleet.host(host) if host else None
        nets = [n.name for n in host_cfg.networks if n.dhcp_ip] if host_cfg else []
        return [(n, n) for n in nets] or [("(no network with DHCP)", "")]

    def _default_network(self, host: str | None) -> str:
        names = [value for _, value in self._network_options(host)]
        for wanted in (self._network, "default"):
            if wanted in names:
                return wanted
        return names[0]

    def _live_default(self, host: str | None) -> bool:
        console = self.console
        if console.read_only or host is None or console.snapshot is None:
            return False
        status = console.snapshot.host(host)
        return status is not None and status.state is HostState.OK and not status.read_only

    def _fill_next_free(self) -> None:
        """Propose the next free pair by the same rule as ``reserve --mac auto --ip auto``
        (``core.propose.resolve``): inside the DHCP range first, else just past it."""
        host, network = self._values()[:2]
        mac_box = self.query_one("#mac", Input)
        ip_box = self.query_one("#ip", Input)
        if mac_box.value not in ("", self._auto[0]) or ip_box.value not in ("", self._auto[1]):
            return  # the operator typed something: keep it
        try:
            mac, ip = resolve(self.fleet, ReservationRequest(host=host, network=network))
            pair = (mac or "", ip)
        except ValidationError:
            pair = ("", "")
        self._auto = pair
        mac_box.value, ip_box.value = pair

    def _next_ip(self, mac: str) -> str:
        """A prefill with a MAC and no IP (a VM's NIC): the next free IP, as ``reserve
        --ip auto`` would pick it for that MAC."""
        host, network = self._values()[:2]
        try:
            return resolve(self.fleet, ReservationRequest(host=host, network=network, mac=mac))[1]
        except ValidationError:
            return ""

    def _values(self) -> tuple[str, str, str, str, str]:
        host = self.query_one("#host", Select).value
        network = self.query_one("#network", Select).value
        return (
            host if isinstance(host, str) else "",
            network if isinstance(network, str) else "",
            self.query_one("#name", Input).value.strip(),
            self.query_one("#mac", Input).value.strip(),
            self.query_one("#ip", Input).value.strip(),
        )

    def request(self) -> ReservationRequest:
        host, network, name, mac, ip = self._values()
        return ReservationRequest(
            host=host, network=network, name=name or None, mac=mac or None, ip=ip or None
        )

    # --- checking, through the core ---------------------------------------------------

    @on(Select.Changed, "#host")
    def _host_changed(self, event: Select.Changed) -> None:
        host = event.value if isinstance(event.value, str) else None
        networks = self.query_one("#network", Select)
        networks.set_options(self._network_options(host))
        networks.value = self._default_network(host)
        self.query_one("#apply", Checkbox).value = self._live_default(host)
        self._fill_next_free()
        self._schedule_check()

    @on(Select.Changed, "#network")
    def _network_changed(self) -> None:
        self._fill_next_free()
        self._schedule_check()

    @on(Input.Changed)
    def _input_changed(self) -> None:
        self._schedule_check()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def _schedule_check(self) -> None:
        self._generation += 1
        generation = self._generation
        self.set_timer(CHECK_DELAY, lambda: self._start_check(generation))

    def _start_check(self, generation: int) -> None:
        if generation == self._generation and self.is_attached:
            self._check(generation, self.request(), self.fleet, self._leases())

    def problems_now(
        self, request: ReservationRequest, fleet: FleetConfig, leases: Iterable[Lease]
    ) -> tuple[Problem, ...]:
        return validate_reservation(
            fleet,
            request.host,
            request.network,
            name=request.name,
            mac=request.mac,
            ip=request.ip or "",
            leases=leases,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="form-check")
    def _check(
        self,
        generation: int,
        request: ReservationRequest,
        fleet: FleetConfig,
        leases: tuple[Lease, ...],
    ) -> None:
        problems = self.problems_now(request, fleet, leases)
        diff: str | None = None
        error: str | None = None
        service = self.console.service
        if service is not None and not any(p.severity == "error" for p in problems):
            try:
                diff = service.plan_add(request).diff
            except ValidationError as err:
                problems = problems + tuple(p for p in err.problems if p not in problems)
            except TropError as err:
                error = err.message
        self.post_message(FormChecked(generation, problems, diff, error))

    def on_form_checked(self, message: FormChecked) -> None:
        if message.generation != self._generation:
            return  # the operator typed on; a newer check is coming
        self._checked = message
        self._show_problems(message.problems, message.error)
        if message.diff:
            self.query_one("#diff", Static).update(diff_text(message.diff))
        else:
            self.query_one("#diff", Static).update(
                Text("(no diff: fix the errors above)", style="dim")
            )

    def _show_problems(self, problems: tuple[Problem, ...], error: str | None = None) -> None:
        repo = self.fleet.repo
        lines = [describe_problem(p, repo) for p in problems]
        if error:
            lines.append(Text(f"✖ error  {error}", style="bold red"))
        if not lines:
            lines.append(Text("✔ ok     no problems: ctrl+s commits", style="green"))
        self.query_one("#problems", Static).update(Text("\n").join(lines))
        bad = {p.field for p in problems if p.severity == "error"}
        for field in ("name", "mac", "ip"):
            self.query_one(f"#{field}", Input).set_class(field in bad, "-invalid")

    # --- leaving ---------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_save(self) -> None:
        if self.console.read_only:
            self.console.refuse("adding a reservation")
            return
        request = self.request()
        problems = self.problems_now(request, self.fleet, self._leases())
        if any(p.severity == "error" for p in problems):
            self._show_problems(problems)
            self.notify("fix the errors in the form first (nothing was written)", severity="error")
            return
        apply_live = self.query_one("#apply", Checkbox).value
        self.dismiss(ReservationOrder(request, apply_live))

    def action_cancel(self) -> None:
        self.dismiss(None)
