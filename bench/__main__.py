"""``python -m bench``: start lab sizes, run every section, write the Markdown report.

    python -m bench [--quick] [--sizes 1,4,8,16] [--out bench/results/latest.md]
                    [--only fleet,table,startup,scale,history] [--lab-dir DIR]

Sections run in their own processes (``python -m bench.<section>``); labs are started with
``lab/up N`` in a directory and prefix of the benchmark's own and removed afterwards.
The raw numbers go next to the report as ``<out>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.common import ROOT, load_emitted, loadavg, log, now_utc, python
from bench.lab import (
    DEFAULT_DIR,
    DEFAULT_OFFSET,
    DEFAULT_PREFIX,
    SHARED_DIR,
    BenchLab,
    LabFailed,
)

SECTIONS = ("table", "startup", "fleet", "scale", "history")


def section(module: str, *args: str, timeout: float = 1800) -> dict[str, Any]:
    """Run ``python -m bench.<module> args`` and return its JSON (stderr passes through).
    On timeout the section gets SIGTERM (the scale section then removes its firewall rule),
    then SIGKILL."""
    cmd = [python(), "-m", f"bench.{module}", *args]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        stdout, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        raise RuntimeError(f"bench.{module} did not finish in {timeout:.0f} s") from None
    if proc.returncode:
        raise RuntimeError(f"bench.{module} failed with exit status {proc.returncode}")
    return load_emitted(stdout)


def plan(args: argparse.Namespace) -> dict[str, Any]:
    quick = args.quick
    sizes = [int(s) for s in (args.sizes or ("1,4" if quick else "1,4,8,16")).split(",")]
    return {
        "quick": quick,
        "sizes": sizes,
        "fleet_rounds": {n: (3 if quick else (5 if n <= 8 else 3)) for n in sizes},
        "serial_rounds": {n: (2 if quick else (5 if n <= 8 else 3)) for n in sizes},
        "warm": 5 if quick else 10,
        "table_repeats": 2 if quick else 5,
        "startup_repeats": 3 if quick else 7,
        "scale_seconds": 10.0 if quick else 30.0,
        "scale_deadline": 60.0 if quick else 200.0,
        "scale_hosts": 16 if 16 in sizes else max(sizes),
        "history_commits": 10_000,
        "history_repeats": 3 if quick else 5,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="N=1,4 and few repeats (~3 min)")
    ap.add_argument("--sizes", help="lab sizes, e.g. 1,4,8,16")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.md")
    ap.add_argument("--only", help=f"comma-separated subset of {','.join(SECTIONS)}")
    ap.add_argument(
        "--lab-dir",
        type=Path,
        help="use this running lab (its first N hosts) instead of starting one",
    )
    ap.add_argument("--lab-prefix", default=DEFAULT_PREFIX)
    ap.add_argument("--lab-offset", type=int, default=DEFAULT_OFFSET)
    args = ap.parse_args(argv)
    p = plan(args)
    only = set((args.only or ",".join(SECTIONS)).split(","))
    unknown = only - set(SECTIONS)
    if unknown:
        ap.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    started = time.monotonic()
    meta: dict[str, Any] = {
        "started": now_utc(),
        "command": "python -m bench " + " ".join(argv or sys.argv[1:]),
        "cpus": os.cpu_count(),
        "load_start": loadavg(),
        "python": platform.python_version(),
        "plan": p,
    }
    with open(os.devnull, "w") as devnull:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=devnull,
        ).stdout.strip()
    meta["git"] = rev or "?"
    results: dict[str, Any] = {"meta": meta, "fleet": {}, "errors": []}

    def attempt(name: str, fn: Any) -> Any:
        try:
            return fn()
        except (RuntimeError, LabFailed, subprocess.TimeoutExpired, ValueError) as err:
            log(f"{name}: FAILED: {err}")
            results["errors"].append(f"{name}: {err}")
            return None

    if "table" in only:
        log("table section")
        results["table"] = attempt(
            "table", lambda: section("table", "--repeats", str(p["table_repeats"]))
        )
    if "startup" in only:
        log("start-up section")
        results["startup"] = attempt(
            "startup", lambda: section("startup", "--repeats", str(p["startup_repeats"]))
        )
    if "history" in only:
        log("history section")
        results["history"] = attempt(
            "history",
            lambda: section(
                "history",
                "--commits",
                str(p["history_commits"]),
                "--repeats",
                str(p["history_repeats"]),
            ),
        )
    if only & {"fleet", "scale"}:
        for n in p["sizes"] if "fleet" in only else [p["scale_hosts"]]:
            lab = None
            try:
                if args.lab_dir:
                    lab = BenchLab.existing(args.lab_dir)
                    if len(lab.hosts) < n:
                        raise LabFailed(f"{args.lab_dir} has only {len(lab.hosts)} hosts")
                else:
                    log(f"lab/up {n} in {DEFAULT_DIR}")
                    lab = BenchLab.start(n, DEFAULT_DIR, args.lab_prefix, args.lab_offset)
                if "fleet" in only:
                    log(f"fleet section, N={n}")
                    res = attempt(
                        f"fleet N={n}",
                        lambda n=n, lab=lab: section(
                            "fleet",
                            "--lab-dir",
                            str(lab.dir),
                            "--hosts",
                            str(n),
                            "--rounds",
                            str(p["fleet_rounds"][n]),
                            "--warm",
                            str(p["warm"]),
                            "--serial-rounds",
                            str(p["serial_rounds"][n]),
                        ),
                    )
                    if res is not None:
                        res["lab_up_seconds"] = lab.up_seconds
                        results["fleet"][str(n)] = res
                if "scale" in only and n == p["scale_hosts"]:
                    if lab.dir.resolve() == SHARED_DIR or lab.prefix == "tl":
                        raise LabFailed(
                            "the scale section blackholes a host: not on the shared lab"
                        )
                    log(f"scale section, N={n}")
                    results["scale"] = attempt(
                        "scale",
                        lambda n=n, lab=lab: section(
                            "scale",
                            "--lab-dir",
                            str(lab.dir),
                            "--hosts",
                            str(n),
                            "--seconds",
                            str(p["scale_seconds"]),
                            "--deadline",
                            str(p["scale_deadline"]),
                            timeout=p["scale_deadline"] + 60,
                        ),
                    )
            except LabFailed as err:
                log(f"N={n}: {err}")
                results["errors"].append(f"lab N={n}: {err}")
            finally:
                if lab is not None:
                    lab.stop()
    meta["load_end"] = loadavg()
    meta["seconds"] = time.monotonic() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    raw = args.out.with_suffix(".json")
    raw.write_text(json.dumps(results, indent=1) + "\n")
    args.out.write_text(report.render(results, raw.name))
    log(f"wrote {args.out} and {raw} in {meta['seconds']:.0f}s")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
