"""Crash-safe file replacement and a lock file, for the write path.

Why: a network file half-written by a crash (or read half-written by libvirt or a
colleague's editor) is worse than either version, so files are replaced atomically.
The lock keeps two tropconsole writers from interleaving their write-and-swap steps on
one checkout; git's compare-and-swap still guards against everyone else.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tropconsole.core.errors import RefusedError


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` so readers see the old or the new file, never half of one.

    Temp file in the same directory (same filesystem, so ``os.replace`` is atomic), fsync
    before the rename, fsync of the directory after it so the rename survives a crash.
    The file keeps its permission bits.
    """
    path = Path(path)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def lock_file(
    path: Path,
    what: str,
    *,
    wait: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold ``path`` (created exclusively, holding our pid) for the ``with`` block.

    Another tropconsole holding it is normal (two operators, a script and the console):
    we wait up to ``wait`` seconds for it, telling ``on_wait`` once in one line. A stale
    lock left by a killed process is not broken automatically: after the wait the message
    says which file to remove, because guessing wrong would let two writers interleave.
    """
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            if time.monotonic() >= deadline:
                raise RefusedError(
                    f"{path}: another tropconsole{_holder(path)} is writing to {what}"
                    f"{f' (waited {wait:g} s)' if wait else ''}; retry in a moment "
                    "(if no tropconsole is running, remove that lock file)"
                ) from None
            if not told and on_wait is not None:
                on_wait(f"another tropconsole is writing {what}; waiting up to {wait:g} s")
            told = True
            time.sleep(_POLL_S)
    try:
        os.write(fd, f"{os.getpid()}\n".encode())
        os.close(fd)
        yield
    finally:
        Path(path).unlink(missing_ok=True)


_POLL_S = 0.05


def _holder(path: Path) -> str:
    """`` (pid N)`` from the lock file, when it says; empty when it is gone or garbled."""
    try:
        pid = Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""
