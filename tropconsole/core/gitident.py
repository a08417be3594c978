"""Who a commit is by: the operator's git identity, or ``--author`` on someone's behalf."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from tropconsole.core.errors import RefusedError

_AUTHOR_RE = re.compile(r"^\s*([^<>]*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$")


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def ident_env(author: Identity, committer: Identity) -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": author.name,
        "GIT_AUTHOR_EMAIL": author.email,
        "GIT_COMMITTER_NAME": committer.name,
        "GIT_COMMITTER_EMAIL": committer.email,
    }


def parse_author(text: str) -> Identity:
    """``"Name <email>"`` as git writes it; refused (exit 2) when malformed."""
    match = _AUTHOR_RE.match(text)
    if match is None or not match.group(1):
        raise RefusedError(f'--author {text!r}: expected "Full Name <user@example.org>"')
    return Identity(match.group(1), match.group(2))


# Variables that would point our git commands at another repo or index than intended.
_SCRUB = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY")


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every git command of tropconsole's runs with: the caller's, less the
    variables that would aim git elsewhere, in the C locale (output parsed as it is), plus
    ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env["LC_ALL"] = "C"
    env.update(extra or {})
    return env
