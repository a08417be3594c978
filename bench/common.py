"""Small helpers shared by the sections: statistics, JSON hand-off, paths."""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_PY = ROOT / ".venv" / "bin" / "python"
FRAME_S = 1 / 60  # Textual's default MAX_FPS


def python() -> str:
    """The interpreter to run sections and the console with: the project's venv if any."""
    return str(VENV_PY) if VENV_PY.exists() else sys.executable


def median(values: Iterable[float]) -> float:
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(vals) if vals else math.nan


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    vals = sorted(values)
    if not vals:
        return math.nan
    k = max(0, min(len(vals) - 1, math.ceil(p / 100 * len(vals)) - 1))
    return vals[k]


def paired_ratios(num: Sequence[float], den: Sequence[float]) -> list[float]:
    """Ratio of each run to its own partner (same round), not of the medians."""
    return [a / b for a, b in zip(num, den, strict=False) if a is not None and b]


def now_utc() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())


def emit(result: dict[str, Any]) -> None:
    """A section's result: one JSON document on the last line of stdout."""
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    sys.stdout.flush()


def load_emitted(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("the section printed no JSON result")


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"
