"""The config repo's git, driven through the ``git`` command, with every safety check.

Why these checks: several sysadmins (and their scripts) commit to heliodines. A write
from tropconsole must never lose or overwrite their work, so it refuses when the file
has uncommitted changes, when HEAD is detached or unborn, and when the branch moved
between reading the file and committing. The commit is built on a private temporary
index (other people's staged changes are not touched) and the branch is advanced with a
compare-and-swap (``git update-ref <ref> <new> <old>``): if someone committed meanwhile
the swap fails, our file is put back as it was and the operator is told to retry.

Why plain ``git`` and not a library: it is what the operators run by hand, it honours
their config (identity, hooks for push, credentials), and its errors are familiar.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tropconsole.core.errors import RefusedError, TropError
from tropconsole.core.fsio import atomic_write, lock_file
from tropconsole.core.githooks import run_commit_hooks
from tropconsole.core.gitident import Identity as Identity
from tropconsole.core.gitident import git_env, ident_env
from tropconsole.core.gitident import parse_author as parse_author

# How long a second writer waits for the first one's lock before it is refused.
LOCK_WAIT_S = 10.0
_IN_PROGRESS = {
    "MERGE_HEAD": "a merge",
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "REVERT_HEAD": "a revert",
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase or am",
}


@dataclass(frozen=True, slots=True)
class Head:
    """The branch HEAD names and the commit it pointed at when read."""

    branch: str  # "main", without refs/heads/
    commit: str

    @property
    def ref(self) -> str:
        return f"refs/heads/{self.branch}"


@dataclass(frozen=True, slots=True)
class CommitResult:
    commit: str
    branch: str
    previous: str
    warnings: tuple[str, ...] = ()


class GitRepo:
    """One checkout of the config repo; every refusal names it and says what to do."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        done = self._run("rev-parse", "--show-toplevel", check=False, cwd=self.path)
        if done.returncode != 0:
            raise RefusedError(
                f"{self.path}: not a git checkout; tropconsole commits every change, so the "
                "config repo must be one (git clone it, or 'tropconsole sample-repo DIR')"
            )
        self.root = Path(done.stdout.strip()).resolve()
        self._locked = False

    @contextmanager
    def write_lock(
        self, *, wait: float | None = None, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """Hold the repo's tropconsole write lock: a second writer waits for the first.

        The whole read-plan-commit of a write belongs inside it, so a waiting writer
        re-reads what the first one committed instead of seeing its half-done write (the
        new file before the commit) as the operator's uncommitted change.
        """
        if self._locked:
            yield
            return
        marker = self.git("rev-parse", "--git-path", "tropconsole.lock").strip()
        wait = LOCK_WAIT_S if wait is None else wait
        with lock_file(self.root / marker, str(self.root), wait=wait, on_wait=on_wait):
            self._locked = True
            try:
                yield
            finally:
                self._locked = False

    def git(
        self, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None
    ) -> str:
        """Run git in the repo; any failure is a ``TropError`` naming the repo and command."""
        done = self._run(*args, env=env, stdin=stdin, check=False)
        if done.returncode != 0:
            why = done.stderr.strip().splitlines()
            raise TropError(f"{self.root}: git {args[0]} failed: {why[-1] if why else '?'}")
        return done.stdout

    def head(self) -> Head:
        """HEAD's branch and commit; refuses a detached or unborn HEAD and unfinished merges."""
        queries = [arg for name in _IN_PROGRESS for arg in ("--git-path", name)]
        markers = self.git("rev-parse", *queries).splitlines()
        for marker, what in zip(markers, _IN_PROGRESS.values(), strict=True):
            if (self.root / marker).exists():
                raise RefusedError(
                    f"{self.root}: {what} is in progress; finish or abort it, then retry"
                )
        sym = self._run("symbolic-ref", "-q", "HEAD", check=False)
        ref = sym.stdout.strip()
        if sym.returncode != 0 or not ref.startswith("refs/heads/"):
            at = self._run("rev-parse", "--short", "HEAD", check=False).stdout.strip()
            raise RefusedError(
                f"{self.root}: HEAD is detached{' at ' + at if at else ''}; check out the "
                "branch to commit on (git switch main) and retry"
            )
        branch = ref.removeprefix("refs/heads/")
        rev = self._run("rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
        if rev.returncode != 0:
            raise RefusedError(
                f"{self.root}: branch {branch} has no commit yet (unborn HEAD); commit the "
                "current config first, then retry"
            )
        return Head(branch=branch, commit=rev.stdout.strip())

    def relpath(self, path: Path) -> str:
        """``path`` relative to the top of the checkout, with forward slashes, as git wants."""
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError as err:
            raise RefusedError(f"{path}: not inside the config repo {self.root}") from err

    def ensure_clean(self, rel: str) -> None:
        """Refuse when ``rel`` differs from HEAD (staged or not) or is not tracked."""
        out = self.git(
            "--no-optional-locks",
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--",
            rel,
        )
        if not out:
            return
        if out.startswith("??"):
            raise RefusedError(f"{self.root}/{rel}: not tracked by git; commit it first")
        raise RefusedError(
            f"{self.root}/{rel}: has uncommitted changes (staged or not); commit, stash or "
            "discard them (git -C REPO diff HEAD -- FILE shows them), then retry"
        )

    def identity(self, author: str | None = None) -> tuple[Identity, Identity]:
        """(author, committer): the operator's git identity, or ``author`` when given.

        The committer stays the operator when known, so ``git log`` shows who ran
        tropconsole on whose behalf.
        """
        mine = self._configured_ident()
        if author is not None:
            chosen = parse_author(author)
            return chosen, mine or chosen
        if mine is None:
            raise RefusedError(
                f"{self.root}: no git identity to commit as; set one with "
                f"'git -C {self.root} config user.name \"Your Name\"' and "
                "'... config user.email you@example.org', or pass --author \"Name <email>\""
            )
        return mine, mine

    def pull_ff_only(self) -> None:
        """``git pull --ff-only``: divergence is a refusal (2), anything else a failure (1)."""
        done = self._run("pull", "--ff-only", "--quiet", check=False)
        if done.returncode != 0:
            why = " ".join(done.stderr.split())
            if "fast-forward" in why or "diverg" in why:
                raise RefusedError(
                    f"{self.root}: pull --ff-only refused, the branch has diverged from its "
                    "upstream; merge or rebase by hand, then retry"
                )
            raise TropError(f"{self.root}: git pull --ff-only failed: {why or '?'}")

    def push(self) -> str | None:
        """Push the current branch; returns None on success, else why it failed."""
        done = self._run("push", "--quiet", check=False)
        if done.returncode == 0:
            return None
        return " ".join(done.stderr.split()) or f"git push exited {done.returncode}"

    def commit_file(
        self,
        rel: str,
        old_text: str,
        new_text: str,
        message: str,
        *,
        expected: Head,
        author: Identity,
        committer: Identity,
        before_swap: Callable[[], None] | None = None,
        verify: bool = True,
    ) -> CommitResult:
        """Write ``rel`` and commit it on ``expected.branch`` only if nothing moved.

        ``old_text`` is what the caller read and planned from; if the file no longer
        holds exactly that, or the branch is no longer at ``expected.commit`` when the
        swap happens, nothing is committed and the file is left (or put back) as found.
        ``before_swap`` is a test seam: it runs after the write, just before the swap.
        ``verify`` runs the repo's pre-commit and commit-msg hooks (``githooks``); a
        failing hook refuses the write and the file is put back.
        """
        with self.write_lock():
            return self._commit_file(
                rel, old_text, new_text, message, expected, author, committer, before_swap, verify
            )

    def _commit_file(
        self,
        rel: str,
        old_text: str,
        new_text: str,
        message: str,
        expected: Head,
        author: Identity,
        committer: Identity,
        before_swap: Callable[[], None] | None,
        verify: bool,
    ) -> CommitResult:
        path = self.root / rel
        self.ensure_clean(rel)
        self._ensure_unmoved(expected)
        try:
            current = path.read_bytes()
        except OSError as err:
            raise TropError(f"{path}: cannot read: {err.strerror or err}") from err
        if current != old_text.encode("utf-8"):
            raise RefusedError(f"{path}: changed since tropconsole read it; retry")
        mode = self._mode_in(expected.commit, rel)
        data = new_text.encode("utf-8")
        with self._private_index(rel, mode, data, expected) as index_env:
            try:
                atomic_write(path, data)
            except OSError as err:
                raise TropError(
                    f"{path}: cannot write: {err.strerror or err}; nothing was committed "
                    "(check the permissions of the file and its directory)"
                ) from err
            try:
                ident = ident_env(author, committer)
                if verify:
                    message = run_commit_hooks(self, {**index_env, **ident}, message)
                # written after pre-commit: what a hook staged is committed, as by git commit
                tree = self.git("write-tree", env=index_env).strip()
                commit = self.git(
                    "commit-tree", tree, "-p", expected.commit, "-F", "-", env=ident, stdin=message
                ).strip()
                if before_swap is not None:
                    before_swap()
                self._ensure_same_branch(expected)
                swapped = self._run(
                    "update-ref",
                    "-m",
                    f"tropconsole: {message.splitlines()[0]}",
                    expected.ref,
                    commit,
                    expected.commit,
                    check=False,
                )
            except BaseException:
                self._restore(path, rel, current, new_text, expected.ref)
                raise
        if swapped.returncode != 0:
            restored = self._restore(path, rel, current, new_text, expected.ref)
            now = self._run("rev-parse", "--short", expected.ref, check=False).stdout.strip()
            raise RefusedError(
                f"{self.root}: the repo moved while tropconsole wrote ({expected.branch} was "
                f"{expected.commit[:7]}, now {now or '?'}); nothing was committed"
                + (f" and {rel} was restored" if restored else f"; {rel} was left as found")
                + "; re-read and retry"
            )
        warnings: list[str] = []
        refreshed = self._run("update-index", "--", rel, check=False)
        if refreshed.returncode != 0:
            warnings.append(
                f"committed, but the index entry of {rel} is stale "
                f"(git -C {self.root} reset -q -- {rel} fixes it)"
            )
        return CommitResult(
            commit=commit,
            branch=expected.branch,
            previous=expected.commit,
            warnings=tuple(warnings),
        )

    @contextmanager
    def _private_index(
        self, rel: str, mode: str, data: bytes, expected: Head
    ) -> Iterator[dict[str, str]]:
        """A temporary index: ``expected`` plus the new ``rel``, so nobody's staged work is
        touched; yields the environment that points git (and the hooks) at it."""
        # --path: the same clean filters (eol, attributes) as ``git add`` would apply
        hashed = self._run_bytes(("hash-object", "-w", "--stdin", "--path", rel), data)
        blob = (hashed or b"").decode().strip()
        with tempfile.TemporaryDirectory(prefix="tropconsole-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.git("read-tree", expected.commit, env=env)
            self.git("update-index", "--cacheinfo", f"{mode},{blob},{rel}", env=env)
            yield env

    def _mode_in(self, commit: str, rel: str) -> str:
        listed = self.git("ls-tree", commit, "--", rel).split()
        if len(listed) < 4 or listed[1] != "blob":
            raise RefusedError(f"{self.root}/{rel}: not tracked by git; commit it first")
        if listed[0] not in ("100644", "100755"):
            raise RefusedError(f"{self.root}/{rel}: not a regular file in git (mode {listed[0]})")
        return listed[0]

    def _ensure_unmoved(self, expected: Head) -> None:
        self._ensure_same_branch(expected)
        now = self.git("rev-parse", "--verify", "-q", expected.ref).strip()
        if now != expected.commit:
            raise RefusedError(
                f"{self.root}: the repo moved since tropconsole read it ({expected.branch} "
                f"was {expected.commit[:7]}, now {now[:7]}); nothing was written; re-read and retry"
            )

    def _ensure_same_branch(self, expected: Head) -> None:
        ref = self._run("symbolic-ref", "-q", "HEAD", check=False).stdout.strip()
        if ref != expected.ref:
            raise RefusedError(
                f"{self.root}: HEAD changed from {expected.branch} to {ref or 'detached'} "
                "while tropconsole worked; nothing was committed; retry"
            )

    def _restore(self, path: Path, rel: str, original: bytes, new_text: str, ref: str) -> bool:
        """Undo our write, unless someone changed the file since: back to the branch's
        version (the original, unless the commit that moved the branch changed it too)."""
        tip = self._run_bytes(("cat-file", "--filters", f"{ref}:{rel}"), b"", check=False)
        try:
            if path.read_bytes() != new_text.encode("utf-8"):
                return False
            atomic_write(path, tip if tip is not None else original)
        except OSError:
            return False
        return True

    def _configured_ident(self) -> Identity | None:
        done = self._run("-c", "user.useConfigOnly=true", "var", "GIT_COMMITTER_IDENT", check=False)
        match = re.match(r"^(.*?) <([^>]*)> \d+ [+-]\d{4}$", done.stdout.strip())
        if done.returncode != 0 or match is None or not match.group(1) or not match.group(2):
            return None
        return Identity(match.group(1), match.group(2))

    def run_git(
        self, *args: str, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run git in the repo and return how it went; the caller judges the exit code."""
        return self._run(*args, env=env)

    def _run(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        stdin: str | None = None,
        check: bool = False,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                ["git", *args],
                cwd=cwd or self.root,
                env=git_env(env),
                input=stdin,
                capture_output=True,
                text=True,
                check=check,
            )
        except FileNotFoundError as err:
            raise TropError("git is not installed; install it (apt-get install git)") from err

    def _run_bytes(self, args: tuple[str, ...], data: bytes, check: bool = True) -> bytes | None:
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=git_env(), input=data, capture_output=True
        )
        if done.returncode == 0:
            return done.stdout
        if check:
            raise TropError(f"{self.root}: git {args[0]} failed: {done.stderr.decode().strip()}")
        return None
