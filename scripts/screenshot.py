"""Textual's own screenshot of the console on the demo fleet, for the README.

    .venv/bin/python scripts/screenshot.py                  # writes docs/console.svg
    .venv/bin/python scripts/screenshot.py --view 3 --out /tmp/leases.svg

Why a script: the picture is made by the app factory the tests use (``create_app`` with
the embedded demo fleet, a frozen clock, no cursor blink), so re-running it after a UI
change keeps the README's picture true. A throwaway copy of the sample repo is used; the
operator's demo repo is not touched.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = 1_800_000_000.0  # 2027-01-15 08:00 UTC: ages and lease expiries are relative to it


def _frozen() -> float:
    return NOW


async def shoot(out: Path, view: str, size: tuple[int, int]) -> None:
    from tropconsole.core.sample import write_sample_repo
    from tropconsole.core.service import ReservationService
    from tropconsole.demo import DemoFleet
    from tropconsole.ui.app import create_app

    with tempfile.TemporaryDirectory(prefix="tropconsole-shot-") as tmp:
        repo = Path(tmp) / "repo"
        write_sample_repo(repo)
        source = DemoFleet(repo, clock=_frozen, fixed_rtt_ms=0.4)
        try:
            service = ReservationService(repo, applier=source.applier())
            app = create_app(
                source,
                service,
                read_only=False,
                clock=_frozen,
                demo=True,
                cursor_blink=False,
                autopoll=False,
            )
            async with app.run_test(size=size) as pilot:
                deadline = time.monotonic() + 30
                while app.polls == 0:  # the first poll starts just after the first frame
                    if time.monotonic() > deadline:
                        raise SystemExit("screenshot: the demo fleet never answered")
                    await pilot.pause(0.05)
                await app.workers.wait_for_complete()
                await pilot.press(view)
                for _ in range(3):
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                out.parent.mkdir(parents=True, exist_ok=True)
                app.save_screenshot(filename=out.name, path=str(out.parent))
        finally:
            source.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "console.svg")
    parser.add_argument("--view", default="3", help="the view key to show, 1-5 (default: 3)")
    parser.add_argument("--size", default="120x36", help="terminal COLSxROWS (default 120x36)")
    args = parser.parse_args(argv)
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    asyncio.run(shoot(args.out.resolve(), args.view, (cols, rows)))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
