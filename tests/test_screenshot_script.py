"""scripts/screenshot.py makes the README's picture from the demo fleet, so it can be
remade after any UI change: it must keep working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_screenshot_script_draws_the_demo_console(tmp_path: Path) -> None:
    out = tmp_path / "shot.svg"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshot.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "DEMO&#160;FLEET" in svg  # the banner: this is the demo, not a real fleet
    for host in ("trop01", "trop02", "trop03", "trop04"):
        assert host in svg  # every host answered before the picture was taken
    assert "Calenwyth" in svg  # the Leases view (key 3) with the demo's leases
