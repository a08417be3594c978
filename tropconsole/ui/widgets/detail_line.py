"""The one line under the table: the cursor row's ``RowTarget.detail`` in full.

The text is made with the rows in the poll worker (``tropconsole.view``); on the cursor
path this widget does a lookup and, only if the text changed, one update of a line whose
size is fixed (no layout). Views whose widget shows the detail itself hide it.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.widgets import Static

from tropconsole.view.common import RowTarget


class DetailLine(Static):
    def __init__(self, *, shown: bool) -> None:
        super().__init__("", id="detail", markup=False)
        self._text = ""  # as last put on screen
        self.display = shown

    def show(self, key: str | None, targets: Mapping[str, RowTarget] | None, shown: bool) -> None:
        """The detail of the row ``key`` among ``targets``; hidden when not ``shown``."""
        if self.display != shown:
            self.display = shown
        target = targets.get(key) if targets is not None and key is not None and shown else None
        text = target.detail if target is not None else ""
        if text != self._text:
            self._text = text
            self.update(text, layout=False)
