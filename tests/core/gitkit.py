"""Throwaway git repos for the write-path tests: the sample repo, isolated from the machine.

Isolation matters: an operator's global git config (signing, hooks, identity) or a
GIT_* variable in the environment must not change what these tests see.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tropconsole.core.sample import write_sample_repo

OPERATOR = ("Ada Operator", "ada@example.org")
TROP02_DEFAULT = "src/cfg/tropo/trop02/etc/libvirt/qemu/networks/default.xml"


def isolate_git(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """No system or global git config, no GIT_* identity, no inventory from the real home."""
    home.mkdir(parents=True, exist_ok=True)
    for var in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "EMAIL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))


def git(repo: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout


def make_repo(dest: Path, *, identity: bool = True) -> Path:
    """The sample repo, with the operator's identity set in its own config."""
    write_sample_repo(dest)
    if identity:
        git(dest, "config", "user.name", OPERATOR[0])
        git(dest, "config", "user.email", OPERATOR[1])
    return dest


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def status(repo: Path) -> str:
    return git(repo, "status", "--porcelain", "--untracked-files=all")


def commit_file(repo: Path, rel: str, text: str, message: str) -> str:
    """Commit ``text`` as ``rel`` the way another sysadmin would, by hand."""
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    git(repo, "add", "--", rel)
    git(
        repo,
        "-c",
        "user.name=Someone Else",
        "-c",
        "user.email=else@example.org",
        "commit",
        "-q",
        "--no-verify",
        "-m",
        message,
        "--",
        rel,
    )
    return head(repo)
