"""Scale section: 16 lab hosts, 10 000 leases, one host blackholed; are keys still answered?

Run as ``python -m bench.scale --lab-dir DIR [--hosts 16] [--seconds S]``. The real
``FleetPoller`` on the lab, wrapped so each snapshot is padded with synthetic leases up to
``--leases`` rows (``bench.synthetic.PaddedSource``), feeds the real console
(``create_app``, headless 120x36, read-only, ``--interval`` seconds between polls, the
inventory's per-host timeout). On the Leases view, ``down``/``up`` keys are posted every
``--key-every`` seconds, first with every host answering, then with the last host
blackholed (``iptables -I INPUT -j DROP`` inside its network namespace; removed
afterwards). Per key: key -> handled (the cursor moved) and key -> painted (the next
screen refresh after that, ``wait_for_refresh``). Per poll: its duration and which hosts
were OK. Finally the time until the blackholed host is OK again.

The console runs with its garbage-collector policy and frame rate
(``tropconsole.ui.runtime``), as ``run_console`` sets them. The Leases view is
filled when first shown; keys are measured once it holds every row (``fill_seconds`` says
how long that took). The span of console work that can delay a key is ``show_fleet`` (the
keyed diff of every view shown, applied to the virtual table at once); it counts as
"during a snapshot".
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import FRAME_S, emit, log, median, pct
from tropconsole.ui.runtime import set_frame_rate

SIZE = (120, 36)


def iptables(netns: str, op: str) -> None:
    subprocess.run(
        ["ip", "netns", "exec", netns, "iptables", op, "INPUT", "-j", "DROP"],
        check=True,
        capture_output=True,
        timeout=10,
    )


def busy_overlap(t0: float, t1: float, busy: list[Any]) -> bool:
    """Spans are appended as they start: only the recent ones can overlap a key."""
    for a, b in reversed(busy):
        if a < t1 and b > t0:
            return True
        if a < t0 - 30:
            return False
    return False


class GcWatch:
    """Full (generation 2) garbage collections: when and how long, via ``gc.callbacks``."""

    def __init__(self) -> None:
        self.full: list[tuple[float, float]] = []
        self._t = 0.0
        gc.callbacks.append(self._cb)

    def _cb(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.full.append((self._t, time.perf_counter()))


def schedstat(tid: int) -> tuple[float, float]:
    """Seconds the thread ``tid`` of this process has spent on a core, and runnable but not
    running (waiting for a core), from the kernel's ``schedstat``; NaN where not kept."""
    try:
        with open(f"/proc/self/task/{tid}/schedstat") as f:
            on_cpu, waiting = f.read().split()[:2]
        return int(on_cpu) / 1e9, int(waiting) / 1e9
    except (OSError, ValueError):
        return float("nan"), float("nan")


def others_runq(loop_tid: int) -> float:
    """Run-queue seconds of every other thread of this process, summed: time the poll worker
    or an SSH thread was runnable but had no core, possibly while holding the GIL."""
    total = 0.0
    for task in os.listdir("/proc/self/task"):
        if int(task) != loop_tid:
            total += schedstat(int(task))[1] or 0.0
    return total


async def keys(
    app: Any,
    table: Any,
    seconds: float,
    every: float,
    busy: list[Any],
    gcw: GcWatch,
    out: list[dict[str, Any]],
) -> None:
    """Keys typed from another thread, as Textual's input thread does: each is stamped when
    it is sent, so a key that arrives while the event loop is busy waits, and that wait is
    measured. The next key is sent ``every`` seconds after the previous one was painted."""
    from textual import events

    loop = asyncio.get_running_loop()
    loop_tid = threading.get_native_id()  # the event loop's thread
    painted = threading.Event()
    current: list[Any] = [None]  # (seq, key, cursor row before, t0, runq), replaced atomically
    finished = threading.Event()
    stop = time.perf_counter() + seconds

    def sender() -> None:
        key, seq = "down", 0
        try:
            while time.perf_counter() < stop:
                seq += 1
                ev = events.Key(key, None)
                ev.set_sender(app)
                painted.clear()
                stats = (schedstat(loop_tid), others_runq(loop_tid))
                current[0] = (seq, key, table.cursor_row, time.perf_counter(), stats)
                loop.call_soon_threadsafe(app.post_message, ev)
                if not painted.wait(10):
                    t0 = current[0][3]
                    t1 = time.perf_counter()
                    out.append(
                        {
                            "key": key,
                            "handled": None,
                            "painted": 10.0,
                            "during_snapshot": busy_overlap(t0, t1, busy),
                            "during_gc": busy_overlap(t0, t1, gcw.full),
                        }
                    )
                    return
                time.sleep(every)
                key = "up" if key == "down" else "down"
        finally:
            finished.set()

    thread = threading.Thread(target=sender, name="bench-keys", daemon=True)
    thread.start()
    seen = 0
    while not finished.is_set():
        cur = current[0]
        if cur is not None and cur[0] != seen and table.cursor_row != cur[2]:
            seq, key, _, t0, (q0, o0) = cur
            handled = time.perf_counter() - t0
            await table.wait_for_refresh()
            t1 = time.perf_counter()
            seen = seq
            out.append(
                {
                    "key": key,
                    "handled": handled,
                    "painted": t1 - t0,
                    # of which the event loop's thread ran, and waited for a core
                    **dict(
                        zip(
                            ("cpu", "runq"),
                            map(float.__sub__, schedstat(loop_tid), q0),
                            strict=True,
                        )
                    ),
                    "others_runq": others_runq(loop_tid) - o0,
                    "during_snapshot": busy_overlap(t0, t1, busy),
                    "during_gc": busy_overlap(t0, t1, gcw.full),
                }
            )
            painted.set()
        await asyncio.sleep(0.001)
    thread.join(timeout=11)


def summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    painted = [s["painted"] for s in samples]
    quiet = [s["painted"] for s in samples if not (s["during_snapshot"] or s.get("during_gc"))]
    handled = [s["handled"] for s in samples if s["handled"] is not None]
    return {
        "keys": len(samples),
        "lost": sum(1 for s in samples if s["handled"] is None),
        "handled_p50": median(handled),
        "handled_p95": pct(handled, 95),
        "painted_p50": median(painted),
        "painted_p95": pct(painted, 95),
        "painted_p99": pct(painted, 99),
        "painted_max": max(painted, default=float("nan")),
        "within_1_frame": sum(1 for p in painted if p <= FRAME_S) / max(1, len(painted)),
        "within_2_frames": sum(1 for p in painted if p <= 2 * FRAME_S) / max(1, len(painted)),
        "during_snapshot": sum(1 for s in samples if s["during_snapshot"]),
        "during_gc": sum(1 for s in samples if s.get("during_gc")),
        "quiet_painted_p95": pct(quiet, 95),
        "quiet_painted_max": max(quiet, default=float("nan")),
        # keys over two frames, and how long the event loop's thread of each waited for a
        # core meanwhile (runnable, but the 2 cores were busy: lab servers, other threads)
        "slow": [
            {k: s.get(k, float("nan")) for k in ("painted", "cpu", "runq", "others_runq")}
            for s in samples
            if s["painted"] > 2 * FRAME_S
        ],
    }


def poller_phase(
    poller: Any, victim: dict[str, Any], seconds: float, hole: dict[str, Any]
) -> dict[str, Any]:
    """The poller alone (no console): polls back to back with the victim blackholed, then
    the time until it is OK again once the rule is gone. Bounded in count and time."""
    polls = []
    iptables(victim["netns"], "-I")
    hole["netns"] = victim["netns"]
    try:
        end = time.monotonic() + seconds
        last: dict[str, float] = {}
        while time.monotonic() < end and len(polls) < 100:
            t0 = time.monotonic()
            snap = poller.poll()
            dt = time.monotonic() - t0
            fresh = 0
            for h in snap.hosts:
                taken = h.snapshot.taken_at if h.snapshot else None
                if (
                    h.host != victim["name"]
                    and h.state.value == "ok"
                    and taken is not None
                    and taken > last.get(h.host, 0.0)
                ):
                    fresh += 1
                if taken is not None:
                    last[h.host] = taken
            v = snap.host(victim["name"])
            polls.append(
                {
                    "seconds": dt,
                    "fresh_others": fresh,
                    "victim": v.state.value if v else None,
                    "victim_error": v.error if v else None,
                }
            )
            time.sleep(0.2)
    finally:
        iptables(victim["netns"], "-D")
        hole["netns"] = None
    t_back = time.monotonic()
    recovered = None
    while time.monotonic() < t_back + 90:
        snap = poller.poll()
        v = snap.host(victim["name"])
        if v is not None and v.state.value == "ok":
            recovered = time.monotonic() - t_back
            break
        time.sleep(0.2)
    return {"polls": polls, "recovered_after": recovered}


async def scenario(
    lab: dict[str, Any],
    n: int,
    total: int,
    seconds: float,
    interval: float,
    every: float,
    out: dict[str, Any],
    hole: dict[str, Any],
) -> None:
    """Fills ``out`` as it goes, so the watchdog can report a run the console never let end."""
    from bench.synthetic import PaddedSource
    from tropconsole.remote.inventory import load_inventory
    from tropconsole.remote.poller import FleetPoller
    from tropconsole.ui.app import create_app
    from tropconsole.ui.runtime import ConsoleRuntime

    full = load_inventory(Path(lab["inventory"]))
    names = [h["name"] for h in lab["hosts"][:n]]
    inv = dataclasses.replace(full, hosts=tuple(e for e in full.hosts if e.name in names))
    victim = lab["hosts"][n - 1]
    poller = FleetPoller(inv, read_only=True)
    t0 = time.monotonic()
    while True:  # every host connected before the console starts
        first = poller.poll()
        if all(h.state.value == "ok" for h in first.hosts) or time.monotonic() > t0 + 60:
            break
    log(
        f"scale: {n} hosts connected in {time.monotonic() - t0:.2f}s"
        + "".join(f", {h.host}={h.state.value}" for h in first.hosts if h.state.value != "ok")
    )
    out.update(hosts=n, timeout=poller.timeout, interval=interval, victim=victim["name"])
    out["poller_only"] = poller_phase(poller, victim, min(20.0, seconds), hole)
    log(
        "scale: poller alone, victim blackholed: "
        + ", ".join(
            f"{p['seconds']:.1f}s/{p['fresh_others']} fresh" for p in out["poller_only"]["polls"]
        )
        + f"; recovered after {out['poller_only']['recovered_after']}"
    )
    source = PaddedSource(poller, total - len(first.leases))
    # The console's own process installs its garbage-collector policy (run_console); so
    # does the benchmark, to measure the console as it runs (``BENCH_NO_GC_POLICY=1``:
    # without it, to see what it still pays; ``TEXTUAL_FPS=60``: without the 120 Hz timer).
    no_gc = os.environ.get("BENCH_NO_GC_POLICY") == "1"
    out["gc_policy"] = not no_gc
    app = create_app(
        source,
        None,
        read_only=True,
        refresh_interval=interval,
        cursor_blink=False,
        runtime=None if no_gc else ConsoleRuntime(),
    )
    busy: list[Any] = []  # every span of console work on the event loop
    shows: list[Any] = []  # of which MainScreen.show_fleet
    gcw = GcWatch()
    out["show_fleet_raw"], out["gc_raw"], out["polls_raw"] = shows, gcw.full, source.polls
    async with app.run_test(size=SIZE) as pilot:
        while app.polls < 1:
            await asyncio.sleep(0.05)
        t_fill = time.perf_counter()
        await pilot.press("3")
        await pilot.pause()
        table = app.screen.query_one("#table-leases")
        # The Leases view is filled when first shown; keys are measured on the full table.
        out["fill_seconds"] = time.perf_counter() - t_fill
        out["rows"] = table.row_count
        table.move_cursor(row=10)
        await pilot.pause()
        # Time the console's snapshot handler (MainScreen.show_fleet) without changing it:
        # an instance attribute wrapping the bound method.
        screen = app.main

        def timed(original: Any, spans: list[Any]) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                span = [time.perf_counter(), float("inf")]  # visible while still running
                spans.append(span)
                busy.append(span)  # a key that waited on it counts as "during a snapshot"
                try:
                    return original(*args, **kwargs)
                finally:
                    span[1] = time.perf_counter()

            return wrapper

        screen.show_fleet = timed(screen.show_fleet, shows)
        out["baseline"] = []
        keys_from = time.perf_counter()
        await keys(app, table, seconds / 2, every, busy, gcw, out["baseline"])
        out["t_hole"] = time.monotonic()
        iptables(victim["netns"], "-I")
        hole["netns"] = victim["netns"]
        log(f"scale: {victim['name']} blackholed ({victim['netns']})")
        out["blackholed"] = []
        await keys(app, table, seconds, every, busy, gcw, out["blackholed"])
        out["keys_span"] = (keys_from, time.perf_counter())  # both phases, perf_counter
        iptables(victim["netns"], "-D")
        hole["netns"] = None
        out["t_back"] = t_back = time.monotonic()
        out["recovered_after"] = None
        while time.monotonic() < t_back + 90:
            done = [p for p in source.polls if p["start"] > t_back]
            if done and done[-1]["states"][victim["name"]] == "ok":
                out["recovered_after"] = done[-1]["start"] + done[-1]["seconds"] - t_back
                break
            await asyncio.sleep(0.2)
        slots = poller.slots  # warm refreshes at once (tropconsole.remote.slots)
        out["refresh_slots"] = {
            "slots": slots.slots,
            "peak": slots.peak,
            "overflows": slots.overflows,
        }
        app.exit()


def finish(out: dict[str, Any]) -> dict[str, Any]:
    """The JSON result from what ``scenario`` has gathered so far."""
    res = {k: v for k, v in out.items() if not k.endswith("_raw")}
    t_hole = out.get("t_hole", float("inf"))
    t_back = out.get("t_back", float("inf"))
    victim = out.get("victim")
    res["polls"] = [
        {
            "phase": "baseline"
            if p["start"] < t_hole
            else ("blackholed" if p["start"] < t_back else "after"),
            "seconds": p["seconds"],
            "ok": sum(1 for s in p["states"].values() if s == "ok"),
            "victim": p["states"].get(victim),
        }
        for p in list(out.get("polls_raw", []))
    ]
    res["show_fleet"] = [b - a for a, b in list(out.get("show_fleet_raw", [])) if b != float("inf")]
    res["show_fleet_unfinished"] = sum(
        1 for _, b in list(out.get("show_fleet_raw", [])) if b == float("inf")
    )
    res["gc_full"] = [b - a for a, b in list(out.get("gc_raw", []))]
    keys_span = [out.get("keys_span", (float("-inf"), float("inf")))]
    res["gc_full_while_keys"] = sum(
        busy_overlap(a, b, keys_span) for a, b in list(out.get("gc_raw", []))
    )
    for phase in ("baseline", "blackholed"):
        if out.get(phase):
            res[f"{phase}_summary"] = summary(list(out[phase]))
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scale")
    ap.add_argument("--lab-dir", type=Path, required=True)
    ap.add_argument("--hosts", type=int, default=16)
    ap.add_argument("--leases", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--key-every", type=float, default=0.1)
    ap.add_argument(
        "--deadline",
        type=float,
        default=None,
        help="give up (and report what was measured) after this many seconds",
    )
    a = ap.parse_args(argv)
    # The console's frame rate, as run_console sets it (before Textual is imported).
    fps = set_frame_rate()
    # paramiko logs "Success for unrequested channel!" when a blackholed session wakes up.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    lab = json.loads((a.lab_dir / "lab.json").read_text())
    if len(lab["hosts"]) < a.hosts:
        raise SystemExit(f"{a.lab_dir} has {len(lab['hosts'])} hosts, {a.hosts} asked for")
    out: dict[str, Any] = {"textual_fps": fps}
    hole: dict[str, Any] = {"netns": None}
    lock = threading.Lock()

    def unhole() -> None:
        with lock:
            if hole["netns"]:
                subprocess.run(
                    ["ip", "netns", "exec", hole["netns"], "iptables", "-D", "INPUT", "-j", "DROP"],
                    capture_output=True,
                    timeout=10,
                )
                hole["netns"] = None

    def give_up() -> None:
        # The event loop may be stuck in the console's code for minutes; this thread still
        # gets the GIL between bytecodes, removes the firewall rule and reports.
        unhole()
        res = finish(out)
        res["aborted"] = f"the console's event loop was still busy after {deadline:.0f} s"
        log(f"scale: {res['aborted']}; reporting what was measured")
        emit(res)
        os._exit(0)

    def on_term(_sig: int, _frame: Any) -> None:
        unhole()
        os._exit(143)

    signal.signal(signal.SIGTERM, on_term)
    deadline = a.deadline or (a.seconds * 1.5 + 240)
    dog = threading.Timer(deadline, give_up)
    dog.daemon = True
    dog.start()
    try:
        asyncio.run(scenario(lab, a.hosts, a.leases, a.seconds, a.interval, a.key_every, out, hole))
    finally:
        unhole()
    dog.cancel()
    res = finish(out)
    b = res.get("blackholed_summary")
    if b:
        log(
            f"scale: keys with a host blackholed: painted p50 {b['painted_p50'] * 1000:.1f} ms "
            f"p95 {b['painted_p95'] * 1000:.1f} ms max {b['painted_max'] * 1000:.0f} ms"
        )
    emit(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
