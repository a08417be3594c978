"""The one helper that starts a write worker: blocking work in a thread, a message back.

``work`` runs in a thread worker and returns the message that says it was done; a
``TropError`` it raises becomes ``WriteFailed`` with the core's words. Anything else is a
bug: the worker fails, and the app's ``on_worker_state_changed`` says so (as
``WriteFailed`` too, named after the worker).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App
from textual.message import Message

from tropconsole.core.errors import TropError
from tropconsole.ui.messages import WriteFailed

WRITE_GROUP = "write"


def run_write(
    app: App[int],
    name: str,
    work: Callable[[], Message],
    *,
    action: str | None = None,
    group: str = WRITE_GROUP,
) -> None:
    """Run ``work`` off the event loop; ``action`` names it in a failure (default ``name``)."""

    def body() -> None:
        try:
            done = work()
        except TropError as err:
            app.post_message(WriteFailed(action or name, err.message))
            return
        app.post_message(done)

    app.run_worker(body, thread=True, exit_on_error=False, group=group, name=name)
