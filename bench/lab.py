"""Lab fleets for the benchmark: its own directory, prefix and address offset.

The shared lab (``/tmp/tropconsole-lab``, prefix ``tl``) belongs to the tests and the other
engineers; the benchmark starts each size with ``lab/up N`` beside it and removes it with
``lab/down`` afterwards. ``--lab-dir`` reuses a lab that is already running instead (its
first N hosts), and then leaves it alone.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT, log

SHARED_DIR = Path("/tmp/tropconsole-lab")  # the shared lab: never started here
DEFAULT_DIR = Path("/tmp/tropconsole-bench-lab")
DEFAULT_PREFIX = "tb"
DEFAULT_OFFSET = 100  # management addresses 198.18.101.0/30 ... (the shared lab uses 1...)


class LabFailed(RuntimeError):
    pass


@dataclass
class BenchLab:
    dir: Path
    prefix: str
    offset: int
    owned: bool  # started (and to be stopped) by the benchmark
    state: dict[str, Any] = dataclasses.field(default_factory=dict)
    up_seconds: float | None = None

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["TROPCONSOLE_LAB_DIR"] = str(self.dir)
        if self.owned:
            env["TROPCONSOLE_LAB_PREFIX"] = self.prefix
            env["TROPCONSOLE_LAB_OFFSET"] = str(self.offset)
        env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}"
        return env

    @property
    def inventory(self) -> Path:
        return Path(self.state["inventory"])

    @property
    def hosts(self) -> list[dict[str, Any]]:
        return list(self.state["hosts"])

    @classmethod
    def start(cls, n: int, directory: Path, prefix: str, offset: int) -> BenchLab:
        if directory.resolve() == SHARED_DIR or prefix == "tl":
            raise LabFailed("the benchmark never starts or stops the shared lab")
        lab = cls(directory, prefix, offset, owned=True)
        timeout = str(max(90, 30 + 8 * n))
        for attempt in (1, 2):
            t0 = time.monotonic()
            proc = subprocess.run(
                ["bash", str(ROOT / "lab" / "up"), str(n), "--timeout", timeout],
                env=lab.env,
                capture_output=True,
                text=True,
                timeout=float(timeout) + 120,
            )
            if proc.returncode == 0:
                lab.up_seconds = time.monotonic() - t0
                lab.state = json.loads((directory / "lab.json").read_text())
                log(f"lab/up {n} in {lab.up_seconds:.1f}s ({directory}, prefix {prefix})")
                return lab
            tail = "\n".join(proc.stderr.strip().splitlines()[-6:])
            log(f"lab/up {n} failed (attempt {attempt}):\n{tail}")
            lab.stop()
        raise LabFailed(f"lab/up {n} failed twice in {directory}")

    @classmethod
    def existing(cls, directory: Path) -> BenchLab:
        state = json.loads((directory / "lab.json").read_text())
        return cls(directory, state["prefix"], int(state["offset"]), owned=False, state=state)

    def stop(self) -> None:
        if not self.owned:
            return
        proc = subprocess.run(
            ["bash", str(ROOT / "lab" / "down")],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if proc.returncode:
            log(f"lab/down failed: {proc.stderr.strip()[-400:]}")
