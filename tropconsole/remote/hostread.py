"""The one command a refresh runs on a host, and the parsers of its three sections.

A refresh costs one SSH exec and one shell on the host, whatever it reads:

1. ``ip -j -d addr show``: links, addresses, bridges and their ports (``ssh.parse_links``);
2. ``ip -j -s neigh show``: the neighbour table, so a bridged guest's public address (which
   no libvirt DHCP knows) is seen by its MAC; ``-s`` adds the used/confirmed/updated ages;
3. the host's own checkout of the config repo: its HEAD and whether it is dirty.

Sections are separated by marker lines. A missing section (an old ``ip`` without
``neigh -j``, no git, no checkout) reads as empty or as an error *value*; only a missing
first section fails the refresh, as before. Git runs with ``GIT_OPTIONAL_LOCKS=0`` so
``status`` never writes the host's index: reading is read-only.
"""

from __future__ import annotations

import json
import shlex

from tropconsole.core.live import CheckoutState, Neighbour

MARK = "@@tropconsole-section "
NEIGH = "neigh"
CHECKOUT = "checkout"


def refresh_command(checkout: str) -> str:
    """The shell command of one refresh; ``checkout`` is the inventory's path (quoted)."""
    q = shlex.quote(checkout)
    git = "git -c safe.directory='*'"
    probe = (
        f"cd {q} 2>/dev/null || {{ echo 'error no such directory'; exit 0; }}; "
        "[ -e .git ] || { echo 'error not a git checkout (no .git)'; exit 0; }; "
        "command -v git >/dev/null 2>&1 || { echo 'error git is not installed'; exit 0; }; "
        f"h=$({git} rev-parse --verify -q HEAD 2>&1) || "
        '{ echo "error ${h:-no commit yet}" | head -n 1; exit 0; }; '
        'echo "head $h"; '
        f"{git} status --porcelain 2>/dev/null | head -n 1 | sed 's/^/dirty /'"
    )
    return (
        "export LC_ALL=C GIT_OPTIONAL_LOCKS=0; ip -j -d addr show; "
        f"echo; echo '{MARK}{NEIGH}'; ip -j -s neigh show 2>/dev/null; "
        f"echo; echo '{MARK}{CHECKOUT}'; ( {probe} )"
    )


def split_sections(text: str) -> dict[str, str]:
    """``{"": links, "neigh": ..., "checkout": ...}``; a section not printed is absent."""
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in text.splitlines():
        if line.startswith(MARK):
            current = line[len(MARK) :].strip()
            sections[current] = []
            continue
        sections[current].append(line)
    return {name: "\n".join(lines) for name, lines in sections.items()}


def _age(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_neighbours(text: str) -> tuple[Neighbour, ...]:
    """Entries of ``ip -j -s neigh``; unreadable output reads as no entries (the table is
    extra information: it must not fail the refresh that carries the links)."""
    try:
        raw = json.loads(text.strip() or "[]")
    except json.JSONDecodeError:
        return ()
    out = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not item.get("dst") or not item.get("dev"):
            continue
        state = item.get("state") or ()
        mac = item.get("lladdr")
        out.append(
            Neighbour(
                ip=str(item["dst"]),
                dev=str(item["dev"]),
                mac=str(mac).lower() if mac else None,
                states=tuple(str(s) for s in (state if isinstance(state, list) else [state])),
                used=_age(item.get("used")),
                confirmed=_age(item.get("confirmed")),
                updated=_age(item.get("updated")),
            )
        )
    return tuple(sorted(out, key=lambda n: (n.dev, n.ip)))


def parse_checkout(text: str | None, path: str) -> CheckoutState:
    """The checkout section: ``head <id>`` and maybe ``dirty <first line>``, or
    ``error <why>``; nothing at all means the shell never got there."""
    if text is None:
        return CheckoutState(path, error="not read (the host's shell printed no checkout section)")
    head: str | None = None
    dirty = False
    for line in text.splitlines():
        word, _, rest = line.partition(" ")
        if word == "error":
            return CheckoutState(path, error=rest.strip() or "unreadable")
        if word == "head" and rest.strip():
            head = rest.strip()
        elif word == "dirty":
            dirty = True
    if head is None:
        return CheckoutState(path, error="git printed no HEAD")
    return CheckoutState(path, head=head, dirty=dirty)
