"""The host panel: one card per hyper-visor with its state in words and in colour."""

from __future__ import annotations

from itertools import zip_longest

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from tropconsole.core.live import HostState, HostStatus
from tropconsole.view.alerts import AlertState, host_alert_text, host_pool_text
from tropconsole.view.common import STALE, age_text
from tropconsole.view.drift import DriftState, drift_badge

STATE_WORDS = {
    HostState.OK: "● OK",
    HostState.CONNECTING: "… CONNECTING",
    HostState.STALE: "▲ STALE",
    HostState.DOWN: "✖ DOWN",
}
STATE_STYLES = {
    HostState.OK: "bold green",
    HostState.CONNECTING: "bold cyan",
    HostState.STALE: "bold yellow",
    HostState.DOWN: "bold red",
}


def card_text(
    status: HostStatus,
    now: float,
    drift: DriftState | None = None,
    alerts: AlertState | None = None,
) -> Text:
    """Three lines: name, state and alert count; rtt and age; drift count, the tightest
    DHCP pool's free addresses, the error (or 'no errors')."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(status.host, style="bold")
    text.append(f" {STATE_WORDS[status.state]}", style=STATE_STYLES[status.state])
    if status.read_only:
        text.append(" ro", style="dim")
    alert = host_alert_text(alerts, status.host)
    if alert is not None:
        text.append(f" {alert[0]}", style=alert[1])
    text.append("\n")
    snap = status.snapshot
    if snap is None or snap.rtt_ms is None:
        rtt = "rtt -"
    else:
        rtt = "rtt <1ms" if snap.rtt_ms < 1 else f"rtt {snap.rtt_ms:.0f}ms"
    text.append(f"{rtt}  age {age_text(status.age(now))}\n")
    badge, badge_style = drift_badge(drift, status.host)  # first: errors get cut
    pool = host_pool_text(alerts, status.host) if status.state is HostState.OK else None
    if pool is not None and pool[1] != STALE:  # an alerting pool leads: a narrow card cuts
        text.append(f"{pool[0]}  ", style=pool[1])
        pool = None
    text.append(f"{badge}  ", style=badge_style)
    if pool is not None:
        text.append(f"{pool[0]}  ", style=pool[1])
    if status.error:
        error = status.error.removeprefix(f"{status.host}: ")  # the card already names it
        text.append(error, style="bold red")
    else:
        text.append("no errors", style="dim")
    return text


class HostCard(Widget):
    """One host's three lines, painted line by line (Textual's line API).

    The cards change every second (the age counts up), sixteen of them on a big fleet.
    As ``Static`` widgets every tick re-rendered every line of every card through
    Textual's content pipeline, ~6 ms of the event loop (~10 ms while the poller's threads
    run), and a key pressed meanwhile waited for it. Here ``show`` compares the new lines
    with the ones shown and repaints only those that differ: on a tick, the age line.
    """

    def __init__(
        self, text: Text | None = None, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[Text] = list(text.split("\n")) if text is not None else []
        self._base: Style | None = None  # the card's style from the CSS, computed once

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None  # a state class, the theme or the stylesheet changed

    @property
    def text(self) -> Text:
        """The card as shown: its lines, before they are cut to the card's width."""
        return Text("\n").join(self._lines)

    def show(
        self,
        status: HostStatus,
        now: float,
        drift: DriftState | None = None,
        alerts: AlertState | None = None,
    ) -> None:
        for state in HostState:
            self.set_class(status.state is state, f"-{state.value}")
        tooltip = status.error or None
        if self.tooltip != tooltip:
            self.tooltip = tooltip
        lines = list(card_text(status, now, drift, alerts).split("\n"))
        # A card's size is set by the stylesheet (1fr x 3), never by its text: repaint the
        # lines that changed, not the card, and never the screen's layout.
        for y, (old, new) in enumerate(zip_longest(self._lines, lines)):
            if old != new:  # rich compares the text and its styles
                self.refresh(Region(0, y, self.size.width, 1))
        self._lines = lines

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self._base is None:
            self._base = self.rich_style
        base = self._base
        if y >= len(self._lines):
            return Strip.blank(width, base)
        line = self._lines[y].copy()
        line.truncate(width, overflow="ellipsis", pad=True)  # cut with "…", never wrapped
        return Strip(line.render(self.app.console, end="")).apply_style(base)


class HostPanel(Horizontal):
    """Cards are keyed by host name and updated in place, like the tables."""

    def __init__(self, hosts: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cards = {
            host: HostCard(Text(f"{host} … CONNECTING"), id=f"host-{host}", classes="-connecting")
            for host in hosts
        }

    def compose(self) -> ComposeResult:
        yield from self._cards.values()

    def show(
        self,
        statuses: tuple[HostStatus, ...],
        now: float,
        drift: DriftState | None = None,
        alerts: AlertState | None = None,
    ) -> None:
        for status in statuses:
            card = self._cards.get(status.host)
            if card is None:
                card = self._cards[status.host] = HostCard(id=f"host-{status.host}")
                self.mount(card)
            card.show(status, now, drift, alerts)
