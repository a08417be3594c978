"""The host panel: one card per hyper-visor with its state in words and in colour."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tropconsole.core.live import HostState, HostStatus
from tropconsole.ui.drift import DriftState, drift_badge
from tropconsole.ui.rows import age_text

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


def card_text(status: HostStatus, now: float, drift: DriftState | None = None) -> Text:
    """Three lines: name and state; rtt and age; drift count, the error (or 'no errors')."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(status.host, style="bold")
    text.append(f" {STATE_WORDS[status.state]}", style=STATE_STYLES[status.state])
    if status.read_only:
        text.append(" ro", style="dim")
    text.append("\n")
    snap = status.snapshot
    if snap is None or snap.rtt_ms is None:
        rtt = "rtt -"
    else:
        rtt = "rtt <1ms" if snap.rtt_ms < 1 else f"rtt {snap.rtt_ms:.0f}ms"
    text.append(f"{rtt}  age {age_text(status.age(now))}\n")
    badge, badge_style = drift_badge(drift, status.host)  # first: errors get cut
    text.append(f"{badge}  ", style=badge_style)
    if status.error:
        error = status.error.removeprefix(f"{status.host}: ")  # the card already names it
        text.append(error, style="bold red")
    else:
        text.append("no errors", style="dim")
    return text


class HostCard(Static):
    def show(self, status: HostStatus, now: float, drift: DriftState | None = None) -> None:
        for state in HostState:
            self.set_class(status.state is state, f"-{state.value}")
        tooltip = status.error or None
        if self.tooltip != tooltip:
            self.tooltip = tooltip
        # A card's size is set by the stylesheet (1fr x 3), never by its text: repaint the
        # card, not the screen's layout (which re-renders every widget, tables included).
        self.update(card_text(status, now, drift), layout=False)


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
        self, statuses: tuple[HostStatus, ...], now: float, drift: DriftState | None = None
    ) -> None:
        for status in statuses:
            card = self._cards.get(status.host)
            if card is None:
                card = self._cards[status.host] = HostCard(id=f"host-{status.host}")
                self.mount(card)
            card.show(status, now, drift)
