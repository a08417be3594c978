"""Driver for the start-up section: ``tropconsole --demo`` headless, exit after frame one.

Run as ``python -m bench.firstframe [console args]``. It changes nothing in tropconsole:
it wraps ``textual.app.App.run`` so that the console's own ``app.run()`` runs headless
(120x36) with an auto-pilot that, once the app is ready, waits for the first screen
refresh (``call_after_refresh``), prints ``FIRST-FRAME <epoch s> <App.run entered, epoch s>
<heavy modules loaded>`` on stderr and exits. The parent times from just before it spawned
this process.

``BENCH_NO_POLL=1`` is a diagnostic: the console's first poll (started in ``on_mount``,
in a thread worker) is held back until after the first frame, to show what that worker
costs the first frame.

``BENCH_NO_GC_POLICY=1`` measures start-up without the garbage-collector device of
``tropconsole.ui.runtime`` (collections stay on while the first frame is built); an
operator's ``TEXTUAL_FPS`` turns the frame-rate device off the same way.
"""

from __future__ import annotations

import os
import sys
import time


def main() -> int:
    from tropconsole.ui import runtime
    from tropconsole.ui.runtime import set_frame_rate

    if os.environ.get("BENCH_NO_GC_POLICY") == "1":
        runtime.GcPolicy.starting = lambda self: None  # type: ignore[method-assign]
    set_frame_rate()  # as run_console does, before this wrapper imports Textual
    from textual.app import App

    original = App.run
    entered: list[float] = []

    def run(self: App, *args: object, **kwargs: object) -> object:
        entered.append(time.time())
        hold = os.environ.get("BENCH_NO_POLL") == "1" and hasattr(self, "refresh_now")
        if hold:
            real_refresh = self.refresh_now
            self.refresh_now = lambda: False  # type: ignore[attr-defined]

        async def pilot(p: object) -> None:
            app = p.app  # type: ignore[attr-defined]
            import asyncio

            done = asyncio.get_running_loop().create_future()
            app.call_after_refresh(lambda: done.done() or done.set_result(time.time()))
            stamp = await done
            heavy = ",".join(
                m
                for m in ("paramiko", "libvirt", "netaddr", "tropconsole.demo")
                if m in sys.modules
            )
            print(
                f"FIRST-FRAME {stamp:.6f} {entered[0]:.6f} {heavy or '-'}",
                file=sys.__stderr__,
                flush=True,
            )
            if hold:
                self.refresh_now = real_refresh  # type: ignore[attr-defined]
            app.exit(0)

        kwargs.update(headless=True, size=(120, 36), auto_pilot=pilot)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    App.run = run  # type: ignore[method-assign]
    from tropconsole.cli import main as console_main

    return console_main(["--demo", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
