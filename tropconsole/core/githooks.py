"""The repo's own ``pre-commit`` and ``commit-msg`` hooks, run on the commit tropconsole builds.

Why: tropconsole commits with plumbing (a private index, ``commit-tree``, a
compare-and-swap of the branch), which on its own would skip a site's validation hooks
without a word. ``git hook run`` runs them as ``git commit`` would: ``pre-commit`` with
``GIT_INDEX_FILE`` naming the index being committed (so ``git diff --cached`` shows the
change) and the new file already in the work tree; ``commit-msg`` with the message in a
file it may edit. ``--no-verify`` skips both, as it does for git.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tropconsole.core.errors import RefusedError

if TYPE_CHECKING:
    from tropconsole.core.gitrepo import GitRepo

# The refusal shows this many of the hook's last output lines: enough for a validator's
# complaint, not a screenful of a linter's progress bar.
_SHOWN_LINES = 20


def run_commit_hooks(repo: GitRepo, env: Mapping[str, str], message: str) -> str:
    """Run ``pre-commit`` then ``commit-msg``; the message as ``commit-msg`` left it.

    ``env`` carries ``GIT_INDEX_FILE`` (and the identity). A hook that fails raises a
    ``RefusedError`` (exit 2) carrying its output; the caller undoes its write.
    """
    _run(repo, env, "pre-commit")
    with tempfile.TemporaryDirectory(prefix="tropconsole-msg-") as tmp:
        msg_file = Path(tmp) / "COMMIT_EDITMSG"
        msg_file.write_text(message, encoding="utf-8")
        _run(repo, env, "commit-msg", str(msg_file))
        edited = msg_file.read_text(encoding="utf-8")
    if not edited.strip():
        raise RefusedError(f"{repo.root}: the commit-msg hook left an empty message; not committed")
    return edited


def _run_directly(
    repo: GitRepo, env: Mapping[str, str], hook: str, args: tuple[str, ...]
) -> subprocess.CompletedProcess[str]:
    """What ``git hook run`` does, for a git without it: the hook file, when executable."""
    found = repo.run_git("rev-parse", "--git-path", f"hooks/{hook}").stdout.strip()
    path = repo.root / found if found else None
    if path is None or not os.access(path, os.X_OK) or not path.is_file():
        return subprocess.CompletedProcess([hook], 0, "", "")
    return subprocess.run(
        [str(path), *args],
        cwd=repo.root,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _run(repo: GitRepo, env: Mapping[str, str], hook: str, *args: str) -> None:
    hook_env = {**env, "GIT_EDITOR": ":"}
    done = repo.run_git(
        "hook", "run", "--ignore-missing", hook, *(["--", *args] if args else []), env=hook_env
    )
    if done.returncode != 0 and "'hook' is not a git command" in done.stderr:
        done = _run_directly(repo, hook_env, hook, args)  # git before 2.36
    if done.returncode == 0:
        return
    output = [line.rstrip() for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    shown = output[-_SHOWN_LINES:]
    more = (
        f"  ({len(output) - len(shown)} earlier lines not shown)\n"
        if len(output) > len(shown)
        else ""
    )
    detail = "".join(f"  {hook}: {line}\n" for line in shown) or f"  {hook}: (no output)\n"
    raise RefusedError(
        f"{repo.root}: the repo's {hook} hook refused the commit (exit {done.returncode}); "
        "nothing was committed and the file is as it was (fix what it says, or pass "
        f"--no-verify to skip the repo's hooks as git commit does)\n{more}{detail}".rstrip("\n")
    )
