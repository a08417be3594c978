"""Add or remove one ``<host>`` reservation in a libvirt network file as a textual edit.

Why not re-serialise the XML: the network files live in git and are read by people.
Re-serialising would reorder attributes, change quotes, drop comments and the XML
declaration, and turn a one-line change into a noisy diff nobody can review. So an add
inserts exactly one line and a remove deletes exactly one line; every other byte
(comments, line endings, the trailing newline or its absence) stays as it was.

The parser (``parse_network``) says *where* elements are; this module then checks that
the line really holds what the parser saw before touching it, and re-parses the result
to prove the edit changed nothing but that one reservation. Anything ambiguous (an
element spanning several lines, several elements on one line) is refused with the file,
the line and what to do, rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tropconsole.core.errors import ConfigError
from tropconsole.core.models import LibvirtNetwork, NetworkIP, Reservation
from tropconsole.core.netxml import parse_network

CANONICAL_ORDER: tuple[str, ...] = ("mac", "ip", "name")
_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+\Z")
_ATTR_RE = re.compile(r"""([A-Za-z_:][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CHARREF_RE = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


@dataclass(frozen=True, slots=True)
class HostMatch:
    """Which reservation to remove: every field given must match, and exactly one may."""

    name: str | None = None
    mac: str | None = None
    ip: str | None = None

    def matches(self, res: Reservation) -> bool:
        if self.name is not None and res.name != self.name:
            return False
        if self.mac is not None and (res.mac or "").lower() != self.mac.lower():
            return False
        return self.ip is None or res.ip == self.ip

    def describe(self) -> str:
        parts = [f"{k} {v}" for k, v in (("name", self.name), ("mac", self.mac), ("ip", self.ip))]
        return ", ".join(p for p in parts if not p.endswith(" None")) or "(nothing)"


def add_host(text: str, path: str, reservation: Reservation) -> str:
    """Return ``text`` with one ``<host>`` line added to the DHCP ``<ip>`` of the network.

    The line goes after the last ``<host>`` (or after the ``<range>`` when there is none),
    copies that sibling's indentation, quote style, attribute order, ``/>`` spacing, MAC
    letter case (trop02's published file writes ``0A``) and line ending.
    Validation (duplicates, ranges, syntax) is the caller's job; this only edits text.
    """
    network = parse_network(text, path)
    dhcp = _dhcp_ip(network, path)
    lines = _split_lines(text)
    anchors = [(h.line, "host") for h in dhcp.hosts] + [(r.line, "range") for r in dhcp.ranges]
    if any(line is None for line, _ in anchors):
        raise ConfigError(path, dhcp.line, "the parser gave no line numbers; cannot edit safely")
    if not dhcp.hosts and not dhcp.ranges:
        raise ConfigError(
            path, dhcp.line, "the <dhcp> block has no <range> and no <host>; add a <range> first"
        )
    tag = "host" if dhcp.hosts else "range"
    lineno = max(line for line, kind in anchors if kind == tag and line is not None)
    body, eol = _line_at(lines, lineno, path)
    start = _own_line_start(body, tag, path, lineno, allow_trailing_comments=True)
    end = _element_end(body, start)
    if end is None:
        raise ConfigError(
            path,
            lineno,
            f"the <{tag}> element spans several lines; put it on one line, commit that, and retry",
        )
    if not eol:
        raise ConfigError(path, lineno, f"nothing may follow the last <{tag}> on the last line")
    sibling = body[start:end]
    quote = _quote_style(sibling, text)
    order = _attribute_order(sibling) if tag == "host" else CANONICAL_ORDER
    closer = " />" if re.search(r"\s/>\Z", _first_tag(sibling)) else "/>"
    shown = _like_sibling_mac(reservation, sibling) if tag == "host" else reservation
    new_line = body[:start] + _host_element(shown, quote, order, closer) + eol
    result = "".join(lines[:lineno]) + new_line + "".join(lines[lineno:])
    _check_only_change(text, result, path, added=reservation)
    return result


def remove_host(text: str, path: str, match: Reservation | HostMatch) -> str:
    """Return ``text`` without the one line holding the matching ``<host>``.

    Refuses (``ConfigError`` naming file and line) when nothing or several reservations
    match, or when the element does not sit alone on exactly one line: deleting a line
    that also holds something else would lose data, so the operator tidies it first.
    """
    network = parse_network(text, path)
    target = find_host(network, match, path)
    lines = _split_lines(text)
    if target.line is None:
        raise ConfigError(path, None, "the parser gave no line numbers; cannot edit safely")
    body, _eol = _line_at(lines, target.line, path)
    start = _own_line_start(body, "host", path, target.line, allow_trailing_comments=False)
    end = _element_end(body, start)
    if end is None:
        raise ConfigError(
            path,
            target.line,
            "this <host> element spans several lines; put it on one line, commit that, and retry",
        )
    if body[end:].strip():
        raise ConfigError(
            path,
            target.line,
            "this <host> shares its line with other content; put it on a line of its own, "
            "commit that, and retry",
        )
    attrs = tag_attributes(_first_tag(body[start:end]))
    seen = (attrs.get("mac", "").lower() or None, attrs.get("ip"), attrs.get("name"))
    if seen != ((target.mac or "").lower() or None, target.ip, target.name):
        raise ConfigError(
            path, target.line, "the line does not hold the reservation the parser found there"
        )
    result = "".join(lines[: target.line - 1]) + "".join(lines[target.line :])
    _check_only_change(text, result, path, removed=target)
    return result


def find_host(network: LibvirtNetwork, match: Reservation | HostMatch, path: str) -> Reservation:
    """The one reservation of ``network``'s DHCP ``<ip>`` that ``match`` names."""
    dhcp = _dhcp_ip(network, path)
    if isinstance(match, Reservation):
        wanted = HostMatch(name=match.name, mac=match.mac, ip=match.ip)
        found = [h for h in dhcp.hosts if h.key() == (match.mac, match.ip, match.name)]
        found = found or [
            h
            for h in dhcp.hosts
            if (h.mac or "").lower() == (match.mac or "").lower()
            and h.ip == match.ip
            and h.name == match.name
        ]
    else:
        wanted = match
        if match.name is None and match.mac is None and match.ip is None:
            raise ConfigError(path, None, "say which reservation to remove: a name, MAC or IP")
        found = [h for h in dhcp.hosts if match.matches(h)]
    if not found:
        raise ConfigError(path, None, f"no reservation with {wanted.describe()}")
    if len(found) > 1:
        where = ", ".join(f"line {h.line}" for h in found)
        raise ConfigError(
            path,
            found[0].line,
            f"{len(found)} reservations match {wanted.describe()} ({where}); "
            "give the MAC or IP as well",
        )
    return found[0]


def host_element(reservation: Reservation, quote: str = "'") -> str:
    """The ``<host .../>`` element for a reservation, as ``virsh net-update`` wants it."""
    return _host_element(reservation, quote, CANONICAL_ORDER, "/>")


def _dhcp_ip(network: LibvirtNetwork, path: str) -> NetworkIP:
    with_dhcp = [ip for ip in network.ips if ip.has_dhcp and ip.family == "ipv4"]
    if len(with_dhcp) > 1:
        raise ConfigError(
            path,
            with_dhcp[1].line,
            "the network has two IPv4 <ip> elements with <dhcp>; libvirt allows one — "
            "remove one and retry",
        )
    if not with_dhcp:
        raise ConfigError(
            path, None, "the network has no IPv4 <ip> with <dhcp>, so it takes no reservations"
        )
    return with_dhcp[0]


def _split_lines(text: str) -> list[str]:
    """Lines with their endings; only ``\\n`` splits (``\\r\\n`` stays on its line)."""
    return _LINE_RE.findall(text)


def _line_at(lines: list[str], lineno: int, path: str) -> tuple[str, str]:
    if not 1 <= lineno <= len(lines):
        raise ConfigError(path, lineno, "line number out of range; was the file changed?")
    line = lines[lineno - 1]
    for eol in ("\r\n", "\n"):
        if line.endswith(eol):
            return line[: -len(eol)], eol
    return line, ""


def _own_line_start(
    body: str, tag: str, path: str, lineno: int, *, allow_trailing_comments: bool
) -> int:
    """Index of ``<tag`` on the line, refusing when it does not start the line alone."""
    starts = [m.start() for m in re.finditer(rf"<{tag}(?=[\s/>])", body)]
    if not starts:
        raise ConfigError(
            path,
            lineno,
            f"expected a <{tag}> element on this line; "
            "was the file changed while tropconsole read it?",
        )
    start = starts[0]
    if body[:start].strip() or (len(starts) > 1 and not allow_trailing_comments):
        raise ConfigError(
            path,
            lineno,
            f"this <{tag}> shares its line with other elements; put each element on a line "
            "of its own, commit that, and retry",
        )
    end = _element_end(body, start)
    if end is not None and allow_trailing_comments and not _only_comments(body[end:]):
        raise ConfigError(
            path,
            lineno,
            f"the <{tag}> element is followed by other content on its line; put it on a "
            "line of its own, commit that, and retry",
        )
    return start


def _only_comments(rest: str) -> bool:
    rest = rest.strip()
    while rest:
        if not rest.startswith("<!--"):
            return False
        close = rest.find("-->", 4)
        if close < 0:
            return False
        rest = rest[close + 3 :].strip()
    return True


def _tag_end(line: str, start: int) -> int | None:
    """Index of the ``>`` closing the tag that opens at ``start``, skipping quoted values."""
    quote: str | None = None
    for i in range(start + 1, len(line)):
        ch = line[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == ">":
            return i
    return None


def _element_end(line: str, start: int) -> int | None:
    """Index just past the element opening at ``start``, or None when it ends on a later line."""
    depth = 0
    i = start
    while i < len(line):
        if line.startswith("<!--", i):
            close = line.find("-->", i + 4)
            if close < 0:
                return None
            i = close + 3
            continue
        if line[i] != "<":
            i += 1
            continue
        close_at = _tag_end(line, i)
        if close_at is None:
            return None
        if line.startswith("</", i):
            depth -= 1
        elif line[close_at - 1] != "/":
            depth += 1
        i = close_at + 1
        if depth <= 0:
            return i
    return None


def _first_tag(element: str) -> str:
    end = _tag_end(element, 0)
    return element if end is None else element[: end + 1]


def tag_attributes(tag: str) -> dict[str, str]:
    """The attributes of one start or empty-element tag, character references resolved."""
    return {
        m.group(1): _unescape(m.group(2) if m.group(2) is not None else m.group(3))
        for m in _ATTR_RE.finditer(tag)
    }


def _unescape(value: str) -> str:
    def one(m: re.Match[str]) -> str:
        ref = m.group(1)
        if ref.startswith("#x"):
            return chr(int(ref[2:], 16))
        if ref.startswith("#"):
            return chr(int(ref[1:]))
        return _NAMED[ref]

    return _CHARREF_RE.sub(one, value)


def _quote_style(sibling: str, text: str) -> str:
    m = _ATTR_RE.search(_first_tag(sibling))
    if m is not None:
        return '"' if m.group(2) is not None else "'"
    return '"' if text.count('="') > text.count("='") else "'"


def _attribute_order(sibling: str) -> tuple[str, ...]:
    seen = [name for name in tag_attributes(_first_tag(sibling)) if name in CANONICAL_ORDER]
    return tuple(seen) + tuple(n for n in CANONICAL_ORDER if n not in seen)


def _like_sibling_mac(res: Reservation, sibling: str) -> Reservation:
    """Write the MAC in upper case when the sibling does (the published trop02 file does)."""
    theirs = tag_attributes(_first_tag(sibling)).get("mac", "")
    if res.mac is None or not any(c.isupper() for c in theirs) or any(c.islower() for c in theirs):
        return res
    return Reservation(ip=res.ip, mac=res.mac.upper(), name=res.name, line=res.line)


def _escape(value: str, quote: str) -> str:
    out = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = out.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")
    return out.replace(quote, "&quot;" if quote == '"' else "&apos;")


def _host_element(res: Reservation, quote: str, order: tuple[str, ...], closer: str) -> str:
    values = {"mac": res.mac, "ip": res.ip, "name": res.name}
    attrs = [
        f"{key}={quote}{_escape(value, quote)}{quote}"
        for key in order
        if (value := values[key]) is not None
    ]
    return "<host " + " ".join(attrs) + closer


def _check_only_change(
    before: str,
    after: str,
    path: str,
    *,
    added: Reservation | None = None,
    removed: Reservation | None = None,
) -> None:
    """Re-parse the edited text: the reservations must differ by exactly the one intended."""
    old = _dhcp_ip(parse_network(before, path), path)
    new = _dhcp_ip(parse_network(after, path), path)
    old_keys = [_norm(h) for h in old.hosts]
    new_keys = [_norm(h) for h in new.hosts]
    expected = list(old_keys)
    if added is not None:
        expected.append(_norm(added))
    if removed is not None:
        expected.remove(_norm(removed))
    ranges = [(r.start, r.end) for r in old.ranges] != [(r.start, r.end) for r in new.ranges]
    if sorted(new_keys, key=str) != sorted(expected, key=str) or ranges:
        raise ConfigError(path, None, "the edit would change more than one reservation; refused")


def _norm(res: Reservation) -> tuple[str | None, str, str | None]:
    return ((res.mac or "").lower() or None, res.ip, res.name)
