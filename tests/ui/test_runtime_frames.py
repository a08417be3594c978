"""The console asks Textual for 120 frames a second, unless the operator says otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# run_console with the app itself replaced: what frame rate would Textual run at?
PROBE = """
import argparse, sys
import tropconsole.cli.console as console

def fake_run(args, runtime):
    import textual.constants
    print(textual.constants.MAX_FPS)
    return 0

console._run_console = fake_run
sys.exit(console.run_console(argparse.Namespace()))
"""


def probe(env_fps: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    if env_fps is not None:
        env["TEXTUAL_FPS"] = env_fps
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_console_runs_textual_at_120_frames_a_second() -> None:
    assert probe(None) == "120"


def test_an_operators_textual_fps_wins() -> None:
    assert probe("30") == "30"


def test_after_textual_is_imported_the_rate_in_force_is_kept_and_told() -> None:
    import textual.constants  # this test process has Textual already

    from tropconsole.ui.runtime import set_frame_rate

    environ: dict[str, str] = {}
    assert set_frame_rate(environ) == str(textual.constants.MAX_FPS)
    assert environ == {}  # nothing asked that could not take effect
