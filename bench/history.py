"""History section: ``tropconsole history`` on a config repo with 10 000 commits.

Run as ``python -m bench.history [--commits 10000] [--repeats R]``. No lab: the repo is
built in a scratch directory with ``git fast-import`` from the sample repo's files (four
hyper-visors). Each commit then changes one thing, the way operators do: mostly one
``<host>`` line added or removed in one host's ``default.xml`` (entries come and go, up to
60 per network), every 50th a changed entry (a removal and an addition: not revertible),
every 20th only the README (not listed). Timed, each a median of R runs:

* ``read_history``: the whole history (one streamed ``git log``, parsed into commits);
* ``git log`` alone with the same arguments, output thrown away: git's share of it;
* the first screen (``limit=50``) and one host (``host="trop03"``);
* ``tropconsole history --json`` as a process (start-up and JSON included);
* ``plan_revert`` of the newest commit (what ``revert --dry-run`` and the view's ``u`` add).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, emit, log, median, python

HOSTS = ("trop01", "trop02", "trop03", "trop04")
MAX_ENTRIES = 60


def _default_rel(host: str) -> str:
    return f"src/cfg/tropo/{host}/etc/libvirt/qemu/networks/default.xml"


def _render(template: str, entries: list[str]) -> str:
    head, tail = template.split("    </dhcp>\n", 1)
    return head + "".join(entries) + "    </dhcp>\n" + tail


def build_repo(dest: Path, commits: int) -> float:
    """The repo in ``dest`` with ``commits`` commits after the sample's first; returns the
    seconds fast-import and the checkout took."""
    from tropconsole.core.sample import sample_files

    files = sample_files()
    templates: dict[str, str] = {}
    entries: dict[str, list[str]] = {}
    free: dict[str, list[int]] = {}
    for host in HOSTS:
        text = files[_default_rel(host)]
        lines = text.splitlines(keepends=True)
        entries[host] = [ln for ln in lines if ln.lstrip().startswith("<host ")]
        templates[host] = "".join(ln for ln in lines if not ln.lstrip().startswith("<host "))
        free[host] = list(range(16, 255))
    out: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        out.append(b"data %d\n" % len(raw) + raw + b"\n")

    def commit(i: int, message: str, changed: dict[str, str]) -> None:
        when = 1_700_000_000 + i * 600
        who = ("Ada Operator <ada@example.org>", "Bob Admin <bob@example.org>")[i % 2]
        out.append(b"commit refs/heads/main\n")
        out.append(f"author {who} {when} +0000\ncommitter {who} {when} +0000\n".encode())
        data(message)
        if i == 0:
            out.append(b"deleteall\n")
        for rel, text in changed.items():
            out.append(f"M 100644 inline {rel}\n".encode())
            data(text)
        out.append(b"\n")

    commit(0, "Sample heliodines config\n", files)
    for i in range(1, commits + 1):
        host = HOSTS[i % len(HOSTS)]
        index = int(host[-2:])
        rel = _default_rel(host)
        mine = entries[host]
        if i % 20 == 7:
            commit(i, f"readme {i}\n", {"README.md": f"{files['README.md']}\nrevision {i}\n"})
            continue
        if i % 50 == 13 and mine:
            old = mine.pop(i % len(mine))
            mine.append(old.replace("name='", f"name='r{i}", 1))
            subject = f"{host}/default: rename an entry"
        elif (len(mine) < MAX_ENTRIES and (i // len(HOSTS)) % 3 != 2) or not mine:
            octet = free[host].pop(0)
            mine.append(
                f"      <host mac='52:54:00:02:{index:02x}:{octet:02x}' "
                f"ip='192.168.20{index}.{octet}' name='vm{i}'/>\n"
            )
            subject = f"{host}/default: reserve vm{i}"
        else:
            gone = mine.pop(0)
            octet = int(gone.split("ip='", 1)[1].split("'", 1)[0].rsplit(".", 1)[1])
            if octet >= 16:
                free[host].append(octet)
            subject = f"{host}/default: unreserve"
        commit(i, subject + "\n", {rel: _render(templates[host], mine)})
    stream = b"".join(out)
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    started = time.perf_counter()
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True, env=env)
    subprocess.run(
        ["git", "-C", str(dest), "fast-import", "--quiet"], input=stream, check=True, env=env
    )
    subprocess.run(["git", "-C", str(dest), "reset", "-q", "--hard"], check=True, env=env)
    # packed, with a commit-graph, as git gc leaves an operator's long-lived checkout
    subprocess.run(["git", "-C", str(dest), "gc", "-q"], check=True, env=env)
    return time.perf_counter() - started


CPU: dict[str, list[float]] = {}


def _cpu() -> float:
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn: Any, repeats: int, name: str) -> tuple[list[float], Any]:
    """Wall seconds of each run; the CPU seconds (this process and git) go to ``CPU``."""
    runs: list[float] = []
    value = None
    for _ in range(repeats):
        c0, t0 = _cpu(), time.perf_counter()
        value = fn()
        runs.append(time.perf_counter() - t0)
        CPU.setdefault(name, []).append(_cpu() - c0)
    return runs, value


def run(commits: int, repeats: int) -> dict[str, Any]:
    from tropconsole.core.history import NETWORK_GLOB, read_history
    from tropconsole.core.service import ReservationService

    scratch = Path(tempfile.mkdtemp(prefix="tropconsole-bench-history-"))
    try:
        repo = scratch / "repo"
        log(f"history: building a repo with {commits} commits (fast-import)")
        build_s = build_repo(repo, commits)
        total = subprocess.run(
            ["git", "-C", str(repo), "rev-list", "--count", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        full_runs, full = _timed(lambda: read_history(repo), repeats, "full")
        git_cmd = ["git", "-C", str(repo), "log", "--full-diff", "-p", "--unified=0"]
        git_cmd += ["--no-renames", "--format=%H", "--", f":(top,glob){NETWORK_GLOB}"]
        git_runs, _ = _timed(
            lambda: subprocess.run(git_cmd, stdout=subprocess.DEVNULL, check=True),
            repeats,
            "git_only",
        )
        first_runs, _ = _timed(lambda: read_history(repo, limit=50), repeats, "first_50")
        host_runs, host = _timed(lambda: read_history(repo, host="trop03"), repeats, "one_host")
        cli = [python(), "-m", "tropconsole", "--repo", str(repo), "history", "--json"]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        cli_runs, _ = _timed(
            lambda: subprocess.run(cli, stdout=subprocess.DEVNULL, check=True, env=env),
            repeats,
            "cli_json",
        )
        service = ReservationService(repo)
        revert_runs, plan = _timed(
            lambda: service.plan_revert(full[0].commit), repeats, "plan_revert"
        )
        return {
            "commits": int(total),
            "build_seconds": build_s,
            "listed": len(full),
            "entries": sum(len(c.changes) for c in full),
            "revertible": sum(1 for c in full if c.revertible),
            "full": full_runs,
            "git_only": git_runs,
            "first_50": first_runs,
            "one_host": host_runs,
            "one_host_listed": len(host),
            "cli_json": cli_runs,
            "plan_revert": revert_runs,
            "plan_revert_subject": plan.subject,
            "repeats": repeats,
            "cpu": CPU,
            "load": os.getloadavg()[0],
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def report_lines(h: dict[str, Any]) -> list[str]:
    """The Markdown section ``bench.report`` prints for this section."""

    def ms(values: list[float]) -> str:
        return f"{median(values) * 1000:.0f} ms"

    def row(what: str, key: str) -> str:
        return f"| {what} | {ms(h[key])} | {ms(h['cpu'][key])} |"

    return [
        f"## History: {h['commits']} commits\n",
        f"Repo built with git fast-import in {h['build_seconds']:.1f} s; "
        f"{h['listed']} reservation commits listed ({h['entries']} entries, "
        f"{h['revertible']} revertible). Medians of {h['repeats']} runs; load average "
        f"{h['load']:.1f} at the end. CPU is this process plus its git children.\n",
        "| What | Wall | CPU |",
        "|---|---|---|",
        row(f"`read_history`: all {h['listed']} commits, one streamed git log", "full"),
        row("of which `git log` alone (same arguments, output discarded)", "git_only"),
        row("first screen (`limit=50`)", "first_50"),
        row(f"one host (`host=trop03`, {h['one_host_listed']} commits)", "one_host"),
        row("`tropconsole history --json` (a new process)", "cli_json"),
        row("`plan_revert` of the newest commit", "plan_revert"),
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.history")
    ap.add_argument("--commits", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)
    result = run(a.commits, a.repeats)
    for line in report_lines(result):
        print(line, file=sys.stderr)
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
