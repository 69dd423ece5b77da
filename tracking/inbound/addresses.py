"""Email addresses as bounces show them: typed (`rfc822; a@b`), bracketed, quoted, folded.

Pure helpers shared by every detector; nothing here raises on odd input.
"""

from __future__ import annotations

import re

# A pragmatic addr-spec: no nested quantifiers, so it stays linear on long lines.
# The same with UTF-8 local parts and domains (RFC 6531/6532), for one address already cut
# out of its field; free text keeps the ASCII form (non-ASCII quotes around an address there).
_ADDRESS_UTF8 = re.compile(
    r"[\w!#$%&'*+/=?^`{|}~.\-]{1,256}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,20}"
)
_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,256}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,20}")


def normalize_address(value: str | None) -> str | None:
    """`rfc822; <Foo@Example.COM>` -> `foo@example.com`; None when no address is there.

    Reads the forms reports and notices write (RFC 3464 §2.3.1-2, RFC 5321 §4.1.2, RFC 5322
    §3.4): an address type before `;` (`rfc822`, `utf-8` of RFC 6533, any other), comments in
    parentheses, a display name before `<…>`, a source route `<@relay,@relay2:user@domain>`.
    The local part is kept as written: `+`, `=`, `%` and the like are part of the address
    (`list+user=example.org@host` is somebody's VERP return path, not something to undo)."""
    if not value:
        return None
    text = value[:2000]
    address_type, text = _split_type(text)
    if address_type == "utf-8" and "\\x{" in text:
        text = _UNITEXT.sub(_unitext_char, text)  # RFC 6533 §3: \x{HEX} stands for a character
    if "(" in text:
        text = _without_comments(text)
    bracketed = _first_bracketed(text)
    if bracketed is not None:
        text = bracketed
    text = text.strip().strip("<>' .,;:").lower()
    text = _without_source_route(text)
    if "@" not in text:
        return None
    # A quoted local part is kept as is: "neko....nyaan"@example.org (RFC 5321 §4.1.2) —
    # seen in Postfix DSNs for addresses with consecutive dots.
    if text.startswith('"') and '"@' in text:
        local, _, domain = text.rpartition("@")
        domain_match = _ADDRESS.search("x@" + domain)
        return f"{local}@{domain_match.group(0)[2:]}" if domain_match else None
    text = text.strip('"')
    match = (_ADDRESS if text.isascii() else _ADDRESS_UTF8).search(text)
    if match is None:
        return text if " " not in text else None
    return match.group(0).strip(".").lower()


_UNITEXT = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")
_ADDRESS_TYPE = re.compile(r"^\s*([A-Za-z0-9\-]{1,32})\s*;\s*")


def _split_type(text: str) -> tuple[str, str]:
    match = _ADDRESS_TYPE.match(text)
    if match is None:
        return "", text
    return match.group(1).lower(), text[match.end():]


def _unitext_char(match: re.Match) -> str:
    code = int(match.group(1), 16)
    return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)


def _without_comments(text: str) -> str:
    """RFC 5322 §3.2.2 comments removed — nested, with quoted pairs — except inside a quoted
    string (`"a (b)"@example.org` keeps its parentheses)."""
    out: list[str] = []
    depth = 0
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(char)
            continue
        if quoted:
            quoted = char != '"'
            out.append(char)
        elif char == '"' and depth == 0:
            quoted = True
            out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
    return " ".join("".join(out).split())


def _first_bracketed(text: str) -> str | None:
    """The content of the first `<…>` holding an `@` (the route-addr after a display name; a
    quoted display name is skipped, it may hold brackets of its own), or None."""
    if '"' in text:
        text = _DISPLAY_NAME.sub(" ", text)
    start = text.find("<")
    while start >= 0:
        end = text.find(">", start + 1)
        if end < 0:
            inside = text[start + 1 :]  # an unclosed bracket: the rest
            return inside if "@" in inside else None
        inside = text[start + 1 : end]
        if "@" in inside:
            return inside
        start = text.find("<", end + 1)
    return None


_DISPLAY_NAME = re.compile(r'"(?:[^"\\]|\\.){0,500}"\s*(?=<)')


def _without_source_route(text: str) -> str:
    """`@relay.example,@other.example:user@domain` -> `user@domain` (RFC 5321 §4.1.2 A-d-l,
    obsolete but still written by old relays and some X.400 gateways)."""
    if not text.startswith("@"):
        return text
    route, colon, mailbox = text.partition(":")
    return mailbox.strip() if colon and "@" in mailbox else text


def find_address(text: str) -> str | None:
    """The first address in free text, lower-cased."""
    match = _ADDRESS.search(text[:20000])
    return match.group(0).strip(".").lower() if match else None


def find_addresses(text: str) -> list[str]:
    """Every address in free text, lower-cased, first occurrence order, no duplicates."""
    seen: dict[str, None] = {}
    for match in _ADDRESS.finditer(text[:200000]):
        seen.setdefault(match.group(0).strip(".").lower(), None)
    return list(seen)
