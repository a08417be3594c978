"""Reservation commits with fixed authors and dates, so the History view is the same on
every run (hashes included): plain git, no tropconsole version in any message."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

NETWORKS = "src/cfg/tropo/{host}/etc/libvirt/qemu/networks/{net}.xml"


def git(repo: Path, *args: str, author: str = "", date: str = "") -> str:
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    if author:
        name, email = author.rsplit(" <", 1)
        env |= {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email.rstrip(">")}
        env |= {"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email.rstrip(">")}
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def edit(repo: Path, host: str, net: str, *, add: tuple[str, ...] = (), drop: str = "") -> str:
    rel = NETWORKS.format(host=host, net=net)
    path = repo / rel
    text = path.read_text(encoding="utf-8")
    if drop:
        text = "".join(line for line in text.splitlines(True) if drop not in line)
    for entry in add:
        text = text.replace("    </dhcp>\n", f"      {entry}\n    </dhcp>\n", 1)
    path.write_text(text, encoding="utf-8")
    return rel


def commit(repo: Path, rel: str, subject: str, author: str, date: str) -> str:
    git(repo, "add", rel)
    git(repo, "commit", "-q", "--no-verify", "-m", subject, author=author, date=date)
    return git(repo, "rev-parse", "HEAD")


def make_history(repo: Path) -> dict[str, str]:
    """Three reservation commits on top of the sample's one: an added entry, a removed
    one (both revertible) and two entries at once (refused)."""
    alice = "Alice Admin <alice@example.invalid>"
    bob = "Bob Ops <bob@example.invalid>"
    made = {}
    rel = edit(
        repo,
        "trop02",
        "default",
        add=("<host mac='52:54:00:02:02:20' ip='192.168.202.32' name='web05'/>",),
    )
    made["added"] = commit(repo, rel, "trop02: reserve web05", alice, "2024-02-01T09:30:00+01:00")
    rel = edit(repo, "trop01", "default", drop="name='Ganwen'")
    made["removed"] = commit(repo, rel, "trop01: drop Ganwen", bob, "2024-03-05T14:00:00+00:00")
    rel = edit(
        repo,
        "trop03",
        "default",
        add=(
            "<host mac='52:54:00:02:03:21' ip='192.168.203.33' name='db07'/>",
            "<host mac='52:54:00:02:03:22' ip='192.168.203.34' name='db08'/>",
        ),
    )
    made["two"] = commit(repo, rel, "trop03: two db guests", alice, "2024-04-10T17:45:00+02:00")
    return made
