"""The command palette's provider: every action of the console, by name.

Built from the same bindings as the footer and the help screen, so the three agree. In
read-only mode the write actions are not listed (``check_action`` says False); a command
that reaches a write anyway goes through ``MainScreen.attempt`` and is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tropconsole.ui.console import console_of
from tropconsole.ui.screens.main import MainScreen


def console_commands(screen: MainScreen) -> list[tuple[str, str, Callable[[], object]]]:
    """(name, help, callback) for every action the console offers right now."""
    app = screen.app
    out: list[tuple[str, str, Callable[[], object]]] = []
    seen: set[str] = set()
    for binding in [*MainScreen.BINDINGS, *type(app).BINDINGS]:
        if isinstance(binding, tuple) or not binding.description or binding.action in seen:
            continue
        action = binding.action
        seen.add(action)
        name, _, _params = action.partition("(")
        owner = screen if binding in MainScreen.BINDINGS else app
        if owner.check_action(name, ()) is False:
            continue  # hidden here exactly as in the footer (read-only write actions)
        key = app.get_key_display(binding)
        run = (
            partial(screen.attempt, action) if owner is screen else partial(app.run_action, action)
        )
        out.append((binding.tooltip or binding.description, f"key {key}", run))
    for host in (None, *console_of(screen).source.host_names):
        label = f"Show host {host} only" if host else "Show all hosts"
        out.append((label, "host filter (h cycles)", partial(screen.set_host_filter, host)))
    return out


class ConsoleCommands(Provider):
    def _main(self) -> MainScreen | None:
        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, MainScreen):
                return screen
        return None

    async def discover(self) -> Hits:
        main = self._main()
        if main is None:
            return
        for name, help_text, run in console_commands(main):
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> AsyncIterator[Hit]:
        main = self._main()
        if main is None:
            return
        matcher = self.matcher(query)
        for name, help_text, run in console_commands(main):
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
