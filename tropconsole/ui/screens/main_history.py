"""The History view's reads: ``core.history`` in a thread worker, never on every poll.

The main screen asks for a read when the view is opened, on ``r`` there, and when a poll
brings a config repo HEAD other than the one last read (a write the console made, or
anyone's commit). A read is one streamed ``git log`` that stops after the newest
``HISTORY_LIMIT`` commits, so a long history does not stall anything; a later read
supersedes an earlier one (``generation``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tropconsole.ui.console import console_of
from tropconsole.ui.messages import HistoryRead
from tropconsole.view.common import ViewRows

if TYPE_CHECKING:
    from textual.screen import Screen

HISTORY_GROUP = "history"


class HistoryReader:
    def __init__(self, screen: Screen[None]) -> None:
        self._screen = screen
        self.generation = 0
        self.head: str | None = None  # the config HEAD when the last read was asked for
        self.asked = False
        self.line = "reading the reservation history…"

    def summary(self, *, read_only: bool) -> str:
        if read_only:
            return f"{self.line}  ·  read-only: u (undo) is refused"
        return f"{self.line}  ·  u undoes the commit under the cursor"

    def read(self) -> None:
        """Read the history in a thread; the answer comes back as ``HistoryRead``."""
        console = console_of(self._screen)
        config = console.config
        self.head = config.head if config is not None else None
        self.asked = True
        self.generation += 1
        generation = self.generation
        screen = self._screen

        def body() -> None:
            from tropconsole.view.history import read_history_rows

            service = console.service
            if service is None:
                screen.post_message(HistoryRead(generation, None, "no config repo: no history"))
                return
            try:
                rows, line = read_history_rows(service.repo)
            except Exception as err:  # a git failure must not take the view down
                why = getattr(err, "message", None) or f"{type(err).__name__}: {err}"
                screen.post_message(HistoryRead(generation, None, f"history unreadable: {why}"))
                return
            screen.post_message(HistoryRead(generation, rows, line))

        screen.run_worker(
            body, thread=True, exit_on_error=False, group=HISTORY_GROUP, name="read history"
        )

    def answered(self, message: HistoryRead) -> ViewRows | None:
        """The rows a read brought (none: the line says why), or None when a later read
        superseded it."""
        if message.generation != self.generation:
            return None
        self.line = message.line
        return message.rows if message.rows is not None else ViewRows()

    def stale(self, head: str | None) -> bool:
        """True when a poll brought a HEAD other than the one last read."""
        return self.asked and head != self.head
