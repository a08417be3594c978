"""Errors are values a sysadmin can act on: which host, which file, which line, what to do.

Every exception that can reach the CLI or the console derives from ``TropError`` and
carries an ``exit_code`` (2: bad input, conflict or refusal, nothing written; 1: any other
failure) and a one-line ``message``. No stack trace reaches the screen.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Where:
    """A place in the fleet's configuration: host, network, file and line, all optional."""

    host: str | None = None
    network: str | None = None
    path: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.host:
            parts.append(f"host {self.host}")
        if self.network:
            parts.append(f"network {self.network}")
        if self.path:
            parts.append(f"{self.path}:{self.line}" if self.line else self.path)
        return ", ".join(parts) if parts else "unknown location"


class TropError(Exception):
    """Base of every error tropconsole reports to a user."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(TropError):
    """A config file could not be read or parsed. The message starts with ``file:line:``."""

    exit_code = 2

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {problem}")


class ValidationError(TropError):
    """Input was refused by validation. ``problems`` holds every error found, not only the first."""

    exit_code = 2

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"] or list(problems)
        text = "; ".join(str(p) for p in errors)
        super().__init__(text or "invalid input")


class RefusedError(TropError):
    """A write was refused to protect data: dirty file, detached HEAD, HEAD moved, read-only."""

    exit_code = 2


class ReadOnlyError(RefusedError):
    """A write was attempted while the console or CLI runs in read-only (monitoring) mode."""

    def __init__(self, action: str = "this action") -> None:
        super().__init__(
            f"read-only mode: {action} is refused (start without --read-only to write)"
        )


class RemoteError(TropError):
    """A host could not be reached or answered with an error (SSH or libvirt)."""

    exit_code = 1

    def __init__(self, host: str, message: str) -> None:
        self.host = host
        super().__init__(f"{host}: {message}")


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation finding. ``conflict`` names the twin entry when there is one."""

    field: str
    message: str
    severity: str = "error"  # "error" refuses the write, "warning" is shown but allowed
    conflict: Where | None = None

    def __str__(self) -> str:
        text = f"{self.field}: {self.message}"
        if self.conflict is not None:
            text += f" (conflicts with {self.conflict})"
        return text
