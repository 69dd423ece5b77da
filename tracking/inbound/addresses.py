"""Email addresses as bounces show them: typed (`rfc822; a@b`), bracketed, quoted, folded.

Pure helpers shared by every detector; nothing here raises on odd input.
"""

from __future__ import annotations

import re

# A pragmatic addr-spec: no nested quantifiers, so it stays linear on long lines.
_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,256}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,20}")
_TYPE_PREFIX = re.compile(r"^\s*[A-Za-z0-9\-]{1,32}\s*;\s*")


def normalize_address(value: str | None) -> str | None:
    """`rfc822; <Foo@Example.COM>` -> `foo@example.com`; None when no address is there."""
    if not value:
        return None
    text = _TYPE_PREFIX.sub("", value, count=1).strip()
    if "<" in text and ">" in text:
        text = text[text.index("<") + 1 : text.rindex(">")]
    text = text.strip().strip("<>' .,;:").lower()
    if "@" not in text:
        return None
    # A quoted local part is kept as is: "neko....nyaan"@example.org (RFC 5321 §4.1.2) —
    # seen in Postfix DSNs for addresses with consecutive dots.
    if text.startswith('"') and '"@' in text:
        local, _, domain = text.rpartition("@")
        domain_match = _ADDRESS.search("x@" + domain)
        return f"{local}@{domain_match.group(0)[2:]}" if domain_match else None
    text = text.strip('"')
    match = _ADDRESS.search(text)
    if match is None:
        return text if " " not in text else None
    return match.group(0).strip(".").lower()


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
