"""Start-up floor: a bare Textual app (one Label), headless, exit after its first frame.

Run as ``python -m bench.floorframe``; prints ``FIRST-FRAME <epoch s> <App.run entered>``
like ``bench.firstframe``. What any Textual console pays on this machine before its own
work: interpreter start, ``import textual.app``, default CSS, one screen, one render.
"""

from __future__ import annotations

import asyncio
import sys
import time


def main() -> int:
    from textual.app import App, ComposeResult
    from textual.widgets import Label

    class Bare(App[int]):
        def compose(self) -> ComposeResult:
            yield Label("tropconsole")

    async def pilot(p: object) -> None:
        app = p.app  # type: ignore[attr-defined]
        done = asyncio.get_running_loop().create_future()
        app.call_after_refresh(lambda: done.done() or done.set_result(time.time()))
        stamp = await done
        print(f"FIRST-FRAME {stamp:.6f} {entered:.6f} -", file=sys.__stderr__, flush=True)
        app.exit(0)

    entered = time.time()
    Bare().run(headless=True, size=(120, 36), auto_pilot=pilot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
