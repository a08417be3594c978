"""Who a commit is by: the operator's git identity, or ``--author`` on someone's behalf."""

from __future__ import annotations

import re
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
